"""A local fake of the GitHub REST API on 127.0.0.1, serving local git repositories.

It answers the endpoints the grader calls, shaped as GitHub's REST API answers them (2022-11-28):

- ``GET /user``; ``GET /orgs/{org}/repos``; ``GET /repos/{o}/{r}``
- ``GET /repos/{o}/{r}/commits?sha=&until=&per_page=`` (newest first, by committer date, from ``git log``)
- ``GET /repos/{o}/{r}/activity?ref=&direction=`` (the pushes a test records with ``push``)
- ``GET /repos/{o}/{r}/git/trees/{sha}?recursive=1`` and ``GET /repos/{o}/{r}/git/blobs/{sha}`` (base64)
- ``GET /repos/{o}/{r}/pulls?state=&base=``; ``GET|POST /repos/{o}/{r}/issues/{n}/comments``;
  ``PATCH /repos/{o}/{r}/issues/comments/{id}``
- provisioning (``grader provision``): ``GET /users/{u}``; ``POST /orgs/{org}/repos`` (a new local git
  repository; ``auto_init`` commits a README); ``PATCH /repos/{o}/{r}``; ``POST /repos/{o}/{r}/generate``
  (the template's tree as one new commit, as GitHub does); ``GET /repos/{o}/{r}/git/ref/{ref}``,
  ``POST /repos/{o}/{r}/git/refs``, ``PATCH /repos/{o}/{r}/git/refs/{ref}`` (fast-forward only unless
  ``force``); ``POST`` git ``blobs``, ``trees``, ``commits`` and ``GET /git/commits/{sha}`` (real git objects);
  ``POST /repos/{o}/{r}/pulls`` (422 when there is nothing to merge); ``GET|PUT
  /repos/{o}/{r}/branches/{b}/protection``; ``PUT /repos/{o}/{r}/collaborators/{u}`` (an invitation, which a
  test accepts with ``accept``), ``GET /repos/{o}/{r}/collaborators`` and ``/invitations``

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
    private: bool = True
    is_template: bool = False
    protection: dict[str, dict[str, Any]] = field(default_factory=dict)  # branch -> protection
    collaborators: dict[str, str] = field(default_factory=dict)  # login -> permission
    invitations: list[dict[str, Any]] = field(default_factory=list)


class FakeGitHub:
    def __init__(self, tokens: dict[str, str | None] | None = None, root: Path | None = None) -> None:
        import tempfile

        self.root = root or Path(tempfile.mkdtemp(prefix="fake-github-"))  # where created repositories live
        # organisation -> the logins that may create repositories in it (another organisation is 404)
        self.orgs: dict[str, set[str]] = {"course": {"ta-login"}}
        self.members: set[str] = set()  # organisation members: added as collaborators at once, no invitation
        self.now = "2026-11-01T00:00:00Z"  # GitHub's clock for what the API does (a test's pushes give their own)
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

    def accept(self, full_name: str, login: str) -> None:
        """The invited student accepts the invitation to ``full_name``."""
        repo = self.repos[full_name.lower()]
        for invitation in list(repo.invitations):
            if invitation["invitee"]["login"].lower() == login.lower():
                repo.invitations.remove(invitation)
                repo.collaborators[login] = invitation["permissions"]

    def student_push(self, full_name: str, login: str, files: dict[str, bytes | str], timestamp: str,
                     date: str | None = None) -> str:
        """A student commits ``files`` (dated ``date``, default ``timestamp``) and pushes at ``timestamp``."""
        repo = self.repos[full_name.lower()]
        sha = commit_files(repo.path, files, date or timestamp)
        self.push(full_name, sha, timestamp, actor=login)
        return sha

    def push(self, full_name: str, after: str, timestamp: str, ref: str = "refs/heads/main",
             kind: str = "push", actor: str | None = None) -> None:
        """Record a push as GitHub's repository activity API reports it (GitHub's clock, not the commit's)."""
        repo = self.repos[full_name.lower()]
        self.next_id += 1
        before = repo.activities[-1]["after"] if repo.activities else "0" * 40
        repo.activities.append({"id": self.next_id, "node_id": f"A{self.next_id}", "before": before, "after": after,
                                "ref": ref, "timestamp": timestamp, "activity_type": kind,
                                "actor": {"login": actor} if actor else None})

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
        if match and method == "POST":
            return self._create_repo(match.group(1), login, body or {})
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)/generate", path)
        if match and method == "POST":
            return self._generate(match.group(1), login, body or {})
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
            return 200, {}, self._repo_json(repo)
        if rest == "" and method == "PATCH":
            for key in ("private", "is_template"):
                if key in (body or {}):
                    setattr(repo, key, bool(body[key]))
            return 200, {}, self._repo_json(repo)
        if rest.startswith(("/git/ref", "/git/blobs", "/git/trees", "/git/commits", "/branches/", "/collaborators",
                            "/invitations")) or (rest == "/pulls" and method == "POST"):
            answer = self._provisioning(repo, method, rest, query, body or {}, login)
            if answer is not None:
                return answer
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

    # -- provisioning ------------------------------------------------------------------------------------
    @staticmethod
    def _repo_json(repo: FakeRepo) -> dict[str, Any]:
        return {"name": repo.full_name.split("/", 1)[1], "full_name": repo.full_name, "default_branch": "main",
                "private": repo.private, "is_template": repo.is_template,
                "owner": {"login": repo.full_name.split("/", 1)[0]}}

    def _may_create(self, org: str, login: str | None) -> tuple[int, dict[str, str], Any] | None:
        writers = {o.lower(): logins for o, logins in self.orgs.items()}.get(org.lower())
        if writers is None:
            return 404, {}, {"message": "Not Found"}
        if login not in writers:
            return 403, {}, {"message": "You need admin access to the organization before adding a repository to it."}
        return None

    def _new_repo(self, org: str, name: str, private: bool) -> FakeRepo | tuple[int, dict[str, str], Any]:
        full_name = f"{org}/{name}"
        if full_name.lower() in self.repos:
            return 422, {}, {"message": "Repository creation failed.", "errors": [
                {"resource": "Repository", "code": "custom", "field": "name", "message": "name already exists on this account"}]}
        repo = self.add_repo(full_name, make_repo(self.root / org / name), feedback_pr=None)
        repo.private = private
        return repo

    def _create_repo(self, org: str, login: str | None, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        refused = self._may_create(org, login)
        if refused:
            return refused
        repo = self._new_repo(org, str(body.get("name", "")), bool(body.get("private", False)))
        if isinstance(repo, tuple):
            return repo
        repo.is_template = bool(body.get("is_template", False))
        if body.get("auto_init"):
            commit_files(repo.path, {"README.md": f"# {body['name']}\n"}, "2026-01-01T00:00:00Z", "Initial commit")
        return 201, {}, self._repo_json(repo)

    def _generate(self, template: str, login: str | None, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        source = self.repos.get(template.lower())
        if source is None:
            return 404, {}, {"message": "Not Found"}
        if not source.is_template:
            return 422, {}, {"message": f"{source.full_name} is not a template repository"}
        owner = str(body.get("owner") or template.split("/")[0])
        refused = self._may_create(owner, login)
        if refused:
            return refused
        repo = self._new_repo(owner, str(body.get("name", "")), bool(body.get("private", False)))
        if isinstance(repo, tuple):
            return repo
        archive = subprocess.run(["git", "-C", str(source.path), "archive", "HEAD"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(repo.path)], input=archive, check=True)
        sha = commit_files(repo.path, {}, "2026-01-01T00:00:00Z", "Initial commit")
        self.push(repo.full_name, sha, self.now, kind="branch_creation", actor=login)
        return 201, {}, self._repo_json(repo)

    def _git_in(self, repo: FakeRepo, *args: str, data: bytes | None = None) -> str:
        env = {"GIT_AUTHOR_NAME": "Staff", "GIT_AUTHOR_EMAIL": "staff@example.invalid",
               "GIT_COMMITTER_NAME": "Staff", "GIT_COMMITTER_EMAIL": "staff@example.invalid",
               "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}
        import os

        done = subprocess.run(["git", "-C", str(repo.path), *args], input=data, capture_output=True, check=True,
                              env={**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", **env})
        return done.stdout.decode().strip()

    def _sha_of(self, repo: FakeRepo, ref: str) -> str | None:
        try:
            return self._git_in(repo, "rev-parse", "--verify", "-q", ref)
        except subprocess.CalledProcessError:
            return None

    def _set_ref(self, repo: FakeRepo, ref: str, sha: str, login: str | None = None) -> None:
        old = self._sha_of(repo, ref)
        self._git_in(repo, "update-ref", ref, sha)
        # GitHub records a branch moved through the API in the repository's activity too, as the token's user
        self.push(repo.full_name, sha, self.now, ref, "push" if old else "branch_creation", actor=login)
        repo.activities[-1]["before"] = old or "0" * 40
        if ref == "refs/heads/main":  # keep the working tree (where a test's student commits) at the branch
            self._git_in(repo, "reset", "-q", "--hard")

    def _provisioning(self, repo: FakeRepo, method: str, rest: str, query: dict[str, str], body: dict[str, Any],
                      login: str | None) -> tuple[int, dict[str, str], Any] | None:
        not_found = (404, {}, {"message": "Not Found"})
        match = re.fullmatch(r"/git/ref/(heads/.+)", rest)
        if match and method == "GET":
            sha = self._sha_of(repo, f"refs/{match.group(1)}")
            return (200, {}, {"ref": f"refs/{match.group(1)}", "object": {"sha": sha, "type": "commit"}}) if sha else not_found
        if rest == "/git/refs" and method == "POST":
            ref, sha = str(body.get("ref", "")), str(body.get("sha", ""))
            if not ref.startswith("refs/") or ref.count("/") < 2:
                return 422, {}, {"message": "Reference name must start with 'refs/' and have at least two slashes."}
            if self._sha_of(repo, ref):
                return 422, {}, {"message": "Reference already exists"}
            if not self._sha_of(repo, f"{sha}^{{commit}}"):
                return 422, {}, {"message": "Object does not exist"}
            self._set_ref(repo, ref, sha, login)
            return 201, {}, {"ref": ref, "object": {"sha": sha, "type": "commit"}}
        match = re.fullmatch(r"/git/refs/(heads/.+)", rest)
        if match and method == "PATCH":
            ref, sha = f"refs/{match.group(1)}", str(body.get("sha", ""))
            old = self._sha_of(repo, ref)
            if old is None:
                return 422, {}, {"message": "Reference does not exist"}
            ancestor = subprocess.run(["git", "-C", str(repo.path), "merge-base", "--is-ancestor", old, sha],
                                      capture_output=True).returncode == 0
            if not ancestor and not body.get("force"):
                return 422, {}, {"message": "Update is not a fast forward"}
            self._set_ref(repo, ref, sha, login)
            return 200, {}, {"ref": ref, "object": {"sha": sha, "type": "commit"}}
        if rest == "/git/blobs" and method == "POST":
            content = base64.b64decode(body.get("content", "")) if body.get("encoding") == "base64" else \
                str(body.get("content", "")).encode()
            sha = self._git_in(repo, "hash-object", "-w", "--stdin", data=content)
            return 201, {}, {"sha": sha, "url": f"{self.url}/repos/{repo.full_name}/git/blobs/{sha}"}
        if rest == "/git/trees" and method == "POST":
            return self._make_tree(repo, body)
        if rest == "/git/commits" and method == "POST":
            parents = [arg for parent in body.get("parents", []) for arg in ("-p", str(parent))]
            try:
                sha = self._git_in(repo, "commit-tree", str(body.get("tree", "")), *parents,
                                   data=str(body.get("message", "")).encode())
            except subprocess.CalledProcessError:
                return 422, {}, {"message": "Tree SHA does not exist"}
            return 201, {}, {"sha": sha, "tree": {"sha": body.get("tree")}, "parents": [{"sha": p} for p in body.get("parents", [])]}
        match = re.fullmatch(r"/git/commits/([0-9a-f]{40})", rest)
        if match and method == "GET":
            try:
                parts = self._git_in(repo, "show", "-s", "--format=%T %P", match.group(1)).split()
            except subprocess.CalledProcessError:
                return not_found
            return 200, {}, {"sha": match.group(1), "tree": {"sha": parts[0]}, "parents": [{"sha": p} for p in parts[1:]]}
        if rest == "/pulls" and method == "POST":
            head, base = self._sha_of(repo, f"refs/heads/{body.get('head')}"), self._sha_of(repo, f"refs/heads/{body.get('base')}")
            if head is None or base is None:
                return 422, {}, {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "field": "base", "code": "invalid"}]}
            if head == base or subprocess.run(["git", "-C", str(repo.path), "merge-base", "--is-ancestor", head, base],
                                              capture_output=True).returncode == 0:
                return 422, {}, {"message": "Validation Failed", "errors": [
                    {"resource": "PullRequest", "code": "custom", "message": f"No commits between {body['base']} and {body['head']}"}]}
            number = 1 + max((p["number"] for p in repo.pulls), default=0)
            pull = {**self.pull(number, str(body.get("title", "")), str(body["base"])), "body": body.get("body")}
            pull["head"]["ref"] = str(body["head"])
            repo.pulls.append(pull)
            return 201, {}, pull
        match = re.fullmatch(r"/branches/([^/]+)/protection", rest)
        if match:
            branch = match.group(1)
            if self._sha_of(repo, f"refs/heads/{branch}") is None:
                return 404, {}, {"message": "Branch not found"}
            if method == "GET":
                found = repo.protection.get(branch)
                return (200, {}, found) if found else (404, {}, {"message": "Branch not protected"})
            if method == "PUT":
                missing = [key for key in ("required_status_checks", "enforce_admins", "required_pull_request_reviews",
                                           "restrictions") if key not in body]
                if missing:
                    return 422, {}, {"message": "Invalid request.", "errors": [f"{key} wasn't supplied." for key in missing]}
                repo.protection[branch] = {"url": f"{self.url}/repos/{repo.full_name}/branches/{branch}/protection",
                                           "allow_force_pushes": {"enabled": bool(body.get("allow_force_pushes"))},
                                           "allow_deletions": {"enabled": bool(body.get("allow_deletions"))},
                                           "restrictions": body.get("restrictions")}
                return 200, {}, repo.protection[branch]
        match = re.fullmatch(r"/collaborators/([^/]+)", rest)
        if match and method == "PUT":
            user = match.group(1)
            if self.users is not None and user.lower() not in {u.lower() for u in self.users}:
                return 404, {}, {"message": "Not Found"}
            permission = str(body.get("permission", "push"))
            if user in self.members or user in repo.collaborators:
                repo.collaborators[user] = permission
                return 204, {}, None
            for invitation in repo.invitations:
                if invitation["invitee"]["login"].lower() == user.lower():
                    invitation.update(permissions=permission, expired=False)
                    return 201, {}, invitation
            self.next_id += 1
            invitation = {"id": self.next_id, "invitee": {"login": user}, "permissions": permission, "expired": False,
                          "repository": {"full_name": repo.full_name}, "created_at": "2026-01-01T00:00:00Z"}
            repo.invitations.append(invitation)
            return 201, {}, invitation
        if rest == "/collaborators" and method == "GET":
            found = [{"login": user, "role_name": "write" if p == "push" else p,
                      "permissions": {"push": p in ("push", "maintain", "admin"), "admin": p == "admin", "pull": True}}
                     for user, p in sorted(repo.collaborators.items())]
            items, extra = self._page(found, query, f"/repos/{repo.full_name}/collaborators")
            return 200, extra, items
        if rest == "/invitations" and method == "GET":
            items, extra = self._page(list(repo.invitations), query, f"/repos/{repo.full_name}/invitations")
            return 200, extra, items
        return None

    def _make_tree(self, repo: FakeRepo, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if body.get("base_tree"):
            return 422, {}, {"message": "base_tree is not supported by the fake"}
        index = repo.path / ".git" / "fake-index"
        index.unlink(missing_ok=True)
        import os

        env = {**os.environ, "GIT_INDEX_FILE": str(index)}
        for entry in body.get("tree", []):
            if entry.get("type") != "blob" or entry.get("mode") not in ("100644", "100755"):
                return 422, {}, {"message": "Invalid tree info"}
            subprocess.run(["git", "-C", str(repo.path), "update-index", "--add", "--cacheinfo",
                            f"{entry['mode']},{entry['sha']},{entry['path']}"], check=True, capture_output=True, env=env)
        sha = subprocess.run(["git", "-C", str(repo.path), "write-tree"], check=True, capture_output=True, text=True,
                             env=env).stdout.strip()
        index.unlink(missing_ok=True)
        return 201, {}, {"sha": sha, "tree": self._tree(repo, sha)["tree"], "truncated": False}

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
                    record = {"method": method, "path": self.path, "headers": headers, "body": body}
                    fake.requests.append(record)
                    if fake.fail_next:
                        status, extra, payload = fake.fail_next.pop(0)
                    else:
                        status, extra, payload = fake.answer(method, self.path, headers, body)
                    record["status"] = status
                data = b"" if status == 204 else json.dumps(payload).encode()
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

            def do_PUT(self) -> None:
                self._handle("PUT")

        return Handler
