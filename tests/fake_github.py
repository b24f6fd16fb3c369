"""A local fake of the GitHub REST API on 127.0.0.1, serving local git repositories.

It answers the endpoints the grader calls, shaped as GitHub's REST API answers them (2022-11-28):

- ``GET /user``; ``GET /orgs/{org}/repos``; ``GET /repos/{o}/{r}``
- ``GET /repos/{o}/{r}/commits?sha=&until=&per_page=`` (newest first, by committer date, from ``git log``)
- ``GET /repos/{o}/{r}/activity?ref=&direction=`` (the pushes a test records with ``push``)
- ``GET /repos/{o}/{r}/git/trees/{sha}?recursive=1`` and ``GET /repos/{o}/{r}/git/blobs/{sha}`` (base64)
- ``GET /repos/{o}/{r}/pulls?state=&base=``; ``GET|POST /repos/{o}/{r}/issues/{n}/comments``;
  ``PATCH /repos/{o}/{r}/issues/comments/{id}``

Every list is paginated with ``per_page``/``page`` and a ``link`` header (``rel="next"``/``"last"``), as
GitHub does. Each token maps to a login (``None``: an Actions token, for which ``GET /user`` is 403);
an unknown token is 401. A comment body over 65,536 characters is a 422 with GitHub's validation error.
``fail_next`` queues answers (status, headers, body) to give before the real one, to play rate limits.

Repository contents come from real git repositories on disk (``add_repo`` takes a working tree's path),
read with ``git log``, ``git ls-tree`` and ``git cat-file``; nothing is cloned and no git server runs.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    import os

    full_env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", **(env or {})}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                          env=full_env).stdout


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return path


def commit_files(repo: Path, files: dict[str, bytes | str], date: str, message: str = "work") -> str:
    """Write ``files`` into the working tree ``repo`` and commit them at ``date`` (ISO 8601); the new sha."""
    for name, content in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    git(repo, "add", "-A")
    ident = {"GIT_AUTHOR_NAME": "Student", "GIT_AUTHOR_EMAIL": "s@example.invalid", "GIT_AUTHOR_DATE": date,
             "GIT_COMMITTER_NAME": "Student", "GIT_COMMITTER_EMAIL": "s@example.invalid", "GIT_COMMITTER_DATE": date}
    git(repo, "commit", "-q", "-m", message, env=ident)
    return git(repo, "rev-parse", "HEAD").strip()


@dataclass
class FakeRepo:
    full_name: str
    path: Path
    pulls: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    activities: list[dict[str, Any]] = field(default_factory=list)  # oldest first, as pushes happened


class FakeGitHub:
    def __init__(self, tokens: dict[str, str | None] | None = None) -> None:
        self.tokens: dict[str, str | None] = {"ta-token": "ta-login", "actions-token": None, **(tokens or {})}
        self.repos: dict[str, FakeRepo] = {}
        self.fail_next: list[tuple[int, dict[str, str], dict[str, Any]]] = []
        self.requests: list[dict[str, Any]] = []
        self.users: set[str] | None = None  # the logins GitHub knows (None: every one)
        self.next_id = 1000
        self.lock = threading.Lock()
        self.url = ""
        self._server: ThreadingHTTPServer | None = None

    # -- set-up --------------------------------------------------------------------------------------------
    def add_repo(self, full_name: str, path: Path, feedback_pr: int | None = 1) -> FakeRepo:
        repo = FakeRepo(full_name, path)
        if feedback_pr is not None:
            repo.pulls.append(self.pull(feedback_pr, "Feedback", "feedback"))
        self.repos[full_name.lower()] = repo
        return repo

    @staticmethod
    def pull(number: int, title: str, base: str) -> dict[str, Any]:
        return {"number": number, "title": title, "state": "open", "base": {"ref": base}, "head": {"ref": "main"}}

    def push(self, full_name: str, after: str, timestamp: str, ref: str = "refs/heads/main",
             kind: str = "push") -> None:
        """Record a push as GitHub's repository activity API reports it (GitHub's clock, not the commit's)."""
        repo = self.repos[full_name.lower()]
        self.next_id += 1
        before = repo.activities[-1]["after"] if repo.activities else "0" * 40
        repo.activities.append({"id": self.next_id, "node_id": f"A{self.next_id}", "before": before, "after": after,
                                "ref": ref, "timestamp": timestamp, "activity_type": kind, "actor": None})

    def comments_on(self, full_name: str, number: int) -> list[dict[str, Any]]:
        return self.repos[full_name.lower()].comments.get(number, [])

    def start(self) -> FakeGitHub:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- answers -------------------------------------------------------------------------------------------
    def _page(self, items: list[Any], query: dict[str, str], path: str) -> tuple[list[Any], dict[str, str]]:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = max(int(query.get("page", 1)), 1)
        last = max(1, -(-len(items) // per_page))
        headers = {}
        links = []
        if page < last:
            links.append(f'<{self.url}{path}?{urllib.parse.urlencode({**query, "page": page + 1})}>; rel="next"')
            links.append(f'<{self.url}{path}?{urllib.parse.urlencode({**query, "page": last})}>; rel="last"')
        if links:
            headers["Link"] = ", ".join(links)
        return items[(page - 1) * per_page: page * per_page], headers

    def _commits(self, repo: FakeRepo, query: dict[str, str]) -> list[dict[str, Any]]:
        args = ["log", "--format=%H%x09%cI%x09%aI%x09%s", query.get("sha") or "HEAD"]
        if query.get("until"):
            args.insert(1, f"--until={query['until']}")
        try:
            out = git(repo.path, *args)
        except subprocess.CalledProcessError:
            return []
        commits = []
        for line in out.splitlines():
            sha, committed, authored, subject = line.split("\t", 3)
            commits.append({"sha": sha, "commit": {"message": subject, "committer": {"date": committed},
                                                   "author": {"date": authored}}})
        return commits

    def _tree(self, repo: FakeRepo, sha: str) -> dict[str, Any]:
        entries = []
        for line in git(repo.path, "ls-tree", "-r", "-l", sha).splitlines():
            meta, path = line.split("\t", 1)
            mode, kind, object_sha, size = meta.split()
            entries.append({"path": path, "mode": mode, "type": kind, "sha": object_sha,
                            "size": int(size) if size.isdigit() else None})
        return {"sha": sha, "tree": entries, "truncated": False}

    def answer(self, method: str, raw_path: str, headers: dict[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        parsed = urllib.parse.urlsplit(raw_path)
        path, query = parsed.path, dict(urllib.parse.parse_qsl(parsed.query))
        auth = headers.get("authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        if token not in self.tokens:
            return 401, {}, {"message": "Bad credentials"}
        login = self.tokens[token]
        if path == "/user":
            if login is None:
                return 403, {}, {"message": "Resource not accessible by integration"}
            return 200, {}, {"login": login}
        match = re.fullmatch(r"/users/([^/]+)", path)
        if match and method == "GET":
            user = match.group(1)
            if self.users is not None and user.lower() not in {u.lower() for u in self.users}:
                return 404, {}, {"message": "Not Found"}
            return 200, {}, {"login": user, "type": "User"}
        match = re.fullmatch(r"/orgs/([^/]+)/repos", path)
        if match:
            org = match.group(1).lower() + "/"
            found = [{"name": r.full_name.split("/", 1)[1], "full_name": r.full_name, "private": True,
                      "default_branch": "main"} for key, r in sorted(self.repos.items()) if key.startswith(org)]
            items, extra = self._page(found, query, path)
            return 200, extra, items
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        if not match or match.group(1).lower() not in self.repos:
            return 404, {}, {"message": "Not Found"}
        repo, rest = self.repos[match.group(1).lower()], match.group(2) or ""
        if rest == "" and method == "GET":
            return 200, {}, {"full_name": repo.full_name, "default_branch": "main"}
        if rest == "/commits" and method == "GET":
            items, extra = self._page(self._commits(repo, query), query, path)
            return (200, extra, items) if items or query.get("until") else (409, {}, {"message": "Git Repository is empty."})
        if rest == "/activity" and method == "GET":
            found = [a for a in repo.activities if not query.get("ref") or a["ref"] == query["ref"]]
            if query.get("direction", "desc") == "desc":
                found = found[::-1]
            items, extra = self._page(found, query, path)
            return 200, extra, items
        match = re.fullmatch(r"/git/trees/([0-9a-f]{40})", rest)
        if match and method == "GET":
            return 200, {}, self._tree(repo, match.group(1))
        match = re.fullmatch(r"/git/blobs/([0-9a-f]{40})", rest)
        if match and method == "GET":
            content = subprocess.run(["git", "-C", str(repo.path), "cat-file", "blob", match.group(1)],
                                     capture_output=True, check=True).stdout
            return 200, {}, {"sha": match.group(1), "size": len(content), "encoding": "base64",
                             "content": base64.encodebytes(content).decode()}
        if rest == "/pulls" and method == "GET":
            pulls = [p for p in repo.pulls if query.get("state", "open") in ("all", p["state"])
                     and (not query.get("base") or p["base"]["ref"] == query["base"])]
            items, extra = self._page(sorted(pulls, key=lambda p: -p["number"]), query, path)
            return 200, extra, items
        match = re.fullmatch(r"/issues/(\d+)/comments", rest)
        if match:
            number = int(match.group(1))
            if method == "GET":
                items, extra = self._page(repo.comments.get(number, []), query, path)
                return 200, extra, items
            if method == "POST":
                if login is None:
                    login = "github-actions[bot]"
                return self._write_comment(repo, number, None, body, login)
        match = re.fullmatch(r"/issues/comments/(\d+)", rest)
        if match and method == "PATCH":
            return self._write_comment(repo, None, int(match.group(1)), body, login or "github-actions[bot]")
        return 404, {}, {"message": "Not Found"}

    def _write_comment(self, repo: FakeRepo, number: int | None, comment_id: int | None, body: Any,
                       login: str) -> tuple[int, dict[str, str], Any]:
        text = (body or {}).get("body")
        if not isinstance(text, str):
            return 422, {}, {"message": "Invalid request.", "errors": ["body is missing"]}
        if len(text) > 65536:
            return 422, {}, {"message": "Validation Failed", "errors": [
                {"resource": "IssueComment", "code": "custom", "field": "body",
                 "message": "body is too long (maximum is 65536 characters)"}]}
        if comment_id is None:
            self.next_id += 1
            comment = {"id": self.next_id, "body": text, "user": {"login": login},
                       "html_url": f"https://github.invalid/{repo.full_name}/pull/{number}#issuecomment-{self.next_id}"}
            repo.comments.setdefault(int(number or 0), []).append(comment)
            return 201, {}, comment
        for comments in repo.comments.values():
            for comment in comments:
                if comment["id"] == comment_id:
                    if comment["user"]["login"] != login:
                        return 403, {}, {"message": "Must have admin rights to Repository."}
                    comment["body"] = text
                    return 200, {}, comment
        return 404, {}, {"message": "Not Found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                headers = {k.lower(): v for k, v in self.headers.items()}
                with fake.lock:
                    fake.requests.append({"method": method, "path": self.path, "headers": headers, "body": body})
                    if fake.fail_next:
                        status, extra, payload = fake.fail_next.pop(0)
                    else:
                        status, extra, payload = fake.answer(method, self.path, headers, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

        return Handler
