"""Post the Markdown report as a pull-request comment, editing the earlier one (found by its marker).

Runs inside GitHub Actions: ``GITHUB_API_URL``, ``GITHUB_REPOSITORY``, ``GITHUB_TOKEN``,
``GITHUB_EVENT_NAME`` and ``GITHUB_EVENT_PATH`` say where. On a pull-request event the comment goes
on that pull request; on a push it goes on GitHub Classroom's "Feedback" pull request. Every failure
is a :class:`CommentError` with a message for the log; it never changes a grade.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.formats.markdown import MARKER_PREFIX

DEFAULT_MARKER = f"{MARKER_PREFIX} -->"
_PER_PAGE = 100
_MAX_PAGES = 20


class CommentError(GraderError):
    """The comment could not be posted (no token, no pull request, the API refused)."""


@dataclass
class Outcome:
    action: str  # created | updated
    pull_request: int
    comment_id: int
    url: str


class GitHubAPI:
    def __init__(self, api_url: str, repository: str, token: str, timeout: float = 30.0) -> None:
        self.base = api_url.rstrip("/")
        self.repository = repository
        self.token = token
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method, headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "rnn-course-grader",
            **({"Content-Type": "application/json"} if data is not None else {}),
        })
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - API URL from the runner
                payload = response.read()
        except urllib.error.HTTPError as exc:
            detail = _api_message(exc)
            hint = {
                401: "the token was refused",
                403: "the token may not write pull-request comments (the workflow needs `pull-requests: write`)",
                404: "not found (wrong repository or pull request, or the token cannot see it)",
            }.get(exc.code, "the API refused the request")
            raise CommentError(f"GitHub API {method} {path}: HTTP {exc.code}: {hint}{detail}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise CommentError(f"GitHub API {method} {path}: {exc}") from None
        try:
            return json.loads(payload) if payload else None
        except json.JSONDecodeError:
            raise CommentError(f"GitHub API {method} {path}: the answer is not JSON") from None

    def repo_path(self, suffix: str) -> str:
        return f"/repos/{self.repository}{suffix}"


def _api_message(exc: urllib.error.HTTPError) -> str:
    try:
        message = json.loads(exc.read()).get("message")
    except Exception:  # noqa: BLE001 - the body is only a detail
        return ""
    return f" ({message})" if message else ""


def marker_of(body: str) -> str:
    first = body.split("\n", 1)[0].strip()
    return first if first.startswith(MARKER_PREFIX) else DEFAULT_MARKER


def pull_request_number(api: GitHubAPI, event_name: str, event: dict[str, Any]) -> int:
    """The pull request of this run, or the Classroom "Feedback" pull request on a push."""
    if isinstance(event.get("pull_request"), dict) and event["pull_request"].get("number"):
        return int(event["pull_request"]["number"])
    if isinstance(event.get("issue"), dict) and event["issue"].get("pull_request"):
        return int(event["issue"]["number"])
    pulls = api.request("GET", api.repo_path(f"/pulls?state=open&per_page={_PER_PAGE}")) or []
    feedback = [p for p in pulls if str(p.get("title", "")).strip().lower() == "feedback"
                or (p.get("base") or {}).get("ref") == "feedback"]
    if not feedback:
        raise CommentError(f"no pull request to comment on: the {event_name or 'unknown'} event names none and "
                           "the repository has no open GitHub Classroom \"Feedback\" pull request")
    return int(feedback[0]["number"])


def _find_comment(api: GitHubAPI, number: int, marker: str) -> dict[str, Any] | None:
    for page in range(1, _MAX_PAGES + 1):
        comments = api.request("GET", api.repo_path(f"/issues/{number}/comments?per_page={_PER_PAGE}&page={page}")) or []
        for comment in comments:
            if str(comment.get("body", "")).split("\n", 1)[0].strip() == marker:
                return comment
        if len(comments) < _PER_PAGE:
            return None
    return None


def post_comment(body: str, env: dict[str, str] | None = None) -> Outcome:
    """Create the report comment, or update the one carrying the same marker."""
    env = dict(os.environ) if env is None else env
    token = env.get("GITHUB_TOKEN", "")
    repository = env.get("GITHUB_REPOSITORY", "")
    if not token:
        raise CommentError("GITHUB_TOKEN is not set: pass it to the step (env: GITHUB_TOKEN: ${{ github.token }})")
    if "/" not in repository:
        raise CommentError("GITHUB_REPOSITORY is not set (owner/name): run this inside GitHub Actions")
    event: dict[str, Any] = {}
    if env.get("GITHUB_EVENT_PATH"):
        try:
            event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise CommentError(f"cannot read the event payload {env['GITHUB_EVENT_PATH']}: {exc}") from None
    api = GitHubAPI(env.get("GITHUB_API_URL", "https://api.github.com"), repository, token)
    number = pull_request_number(api, env.get("GITHUB_EVENT_NAME", ""), event)
    marker = marker_of(body)
    if marker == DEFAULT_MARKER and not body.startswith(MARKER_PREFIX):
        body = f"{marker}\n{body}"
    existing = _find_comment(api, number, marker)
    if existing is not None:
        answer = api.request("PATCH", api.repo_path(f"/issues/comments/{existing['id']}"), {"body": body}) or {}
        return Outcome("updated", number, int(existing["id"]), str(answer.get("html_url", "")))
    answer = api.request("POST", api.repo_path(f"/issues/{number}/comments"), {"body": body}) or {}
    return Outcome("created", number, int(answer.get("id", 0)), str(answer.get("html_url", "")))
