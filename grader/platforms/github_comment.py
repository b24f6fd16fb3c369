"""Post the Markdown report as a pull-request comment, editing the earlier one (found by its marker).

Inside GitHub Actions, ``GITHUB_API_URL``, ``GITHUB_REPOSITORY``, ``GITHUB_TOKEN``, ``GITHUB_EVENT_NAME``
and ``GITHUB_EVENT_PATH`` say where. On a pull-request event the comment goes on that pull request; on a
push it goes on GitHub Classroom's "Feedback" pull request (the open pull request whose base is the
``feedback`` branch, found through every page). Only a comment written by the same identity is edited:
anyone can paste the marker into a comment of their own. Every failure is a :class:`CommentError` with a
message for the log; it never changes a grade.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.platforms.github_api import DEFAULT_API_URL, GitHubClient, GitHubError
from grader.reports.formats.markdown import MARKER_PREFIX

DEFAULT_MARKER = f"{MARKER_PREFIX} -->"
FEEDBACK_BRANCH = "feedback"
ACTIONS_BOT = "github-actions[bot]"
MAX_BODY = 65536  # GitHub refuses a longer comment body (422)
_HINTS = {
    401: "the token was refused",
    403: "the token may not write pull-request comments (the workflow needs `pull-requests: write`)",
    404: "not found (wrong repository or pull request, or the token cannot see it)",
    422: "GitHub refused the comment",
}


class CommentError(GraderError):
    """The comment could not be posted (no token, no pull request, the API refused)."""


@dataclass
class Outcome:
    action: str  # created | updated
    pull_request: int
    comment_id: int
    url: str


def _api_error(exc: GitHubError) -> CommentError:
    hint = _HINTS.get(exc.status)
    text = str(exc)
    if hint and f"HTTP {exc.status}" in text:
        text = text.replace(f"HTTP {exc.status}", f"HTTP {exc.status}: {hint}", 1)
    return CommentError(text)


def marker_of(body: str) -> str:
    first = body.split("\n", 1)[0].strip()
    return first if first.startswith(MARKER_PREFIX) else DEFAULT_MARKER


_FENCE = re.compile(r"^(?:> ?)*(`{3,})")


def _closing(text: str) -> str:
    """What closes the code block and the ``<details>`` sections that ``text`` leaves open."""
    fence = ""
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if match and not fence:
            fence = match.group(1)
        elif match and len(match.group(1)) >= len(fence) and not line.strip("`> \t"):
            fence = ""
    open_details = text.count("<details>") - text.count("</details>")
    return (f"\n{fence}\n" if fence else "") + "\n</details>\n" * max(open_details, 0)


def fit_body(body: str, limit: int = MAX_BODY) -> str:
    """The body, shortened with a note when longer than GitHub accepts (the marker line is kept). It is cut at
    the end of a line, and a code block or section the cut leaves open is closed: the note, and whatever a
    student's text may hold, is never read as part of another block."""
    if len(body) <= limit:
        return body
    note = (f"\n\n… *(report shortened: {len(body):,} characters, GitHub keeps at most {limit:,}; "
            "the full report is in the run's artifact)*\n")
    room = limit - len(note) - 64  # 64: what closes a code block and a few sections
    head = body[:room]
    head = head[: head.rfind("\n") + 1] if "\n" in head else head
    closing = _closing(head)
    while len(head) + len(closing) > room and "\n" in head.rstrip("\n"):  # many sections open: cut earlier
        head = head[: head.rstrip("\n").rfind("\n") + 1]
        closing = _closing(head)
    return head + closing + note


def feedback_pull_request(client: GitHubClient, repository: str) -> int | None:
    """The number of the open pull request into ``feedback`` (GitHub Classroom's Feedback PR), if any."""
    pulls = client.paginate(f"/repos/{repository}/pulls?state=open&base={FEEDBACK_BRANCH}&per_page=100")
    numbers = sorted(int(p["number"]) for p in pulls if (p.get("base") or {}).get("ref") == FEEDBACK_BRANCH)
    return numbers[0] if numbers else None


def pull_request_number(client: GitHubClient, repository: str, event_name: str, event: dict[str, Any]) -> int:
    """The pull request of this run, or the Classroom "Feedback" pull request on a push."""
    if isinstance(event.get("pull_request"), dict) and event["pull_request"].get("number"):
        return int(event["pull_request"]["number"])
    if isinstance(event.get("issue"), dict) and event["issue"].get("pull_request"):
        return int(event["issue"]["number"])
    number = feedback_pull_request(client, repository)
    if number is None:
        raise CommentError(f"no pull request to comment on: the {event_name or 'unknown'} event names none and "
                           f"the repository has no open pull request into {FEEDBACK_BRANCH!r} (GitHub Classroom's "
                           "\"Feedback\" pull request; enable it in the assignment's settings)")
    return number


def find_own_comment(client: GitHubClient, repository: str, number: int, marker: str,
                     author: str) -> dict[str, Any] | None:
    """The comment carrying ``marker`` on its first line and written by ``author`` (case-insensitive)."""
    for comment in client.paginate(f"/repos/{repository}/issues/{number}/comments?per_page=100"):
        login = str((comment.get("user") or {}).get("login", ""))
        if login.lower() != author.lower():
            continue
        if str(comment.get("body", "")).split("\n", 1)[0].strip() == marker:
            return comment
    return None


def upsert_comment(client: GitHubClient, repository: str, number: int, body: str, author: str) -> Outcome:
    """Create the report comment on pull request ``number``, or edit ``author``'s one with the same marker."""
    marker = marker_of(body)
    if marker == DEFAULT_MARKER and not body.startswith(MARKER_PREFIX):
        body = f"{marker}\n{body}"
    body = fit_body(body)
    try:
        existing = find_own_comment(client, repository, number, marker, author)
        if existing is not None:
            answer = client.request("PATCH", f"/repos/{repository}/issues/comments/{existing['id']}",
                                    {"body": body}).data or {}
            return Outcome("updated", number, int(existing["id"]), str(answer.get("html_url", "")))
        answer = client.request("POST", f"/repos/{repository}/issues/{number}/comments", {"body": body}).data or {}
    except GitHubError as exc:
        raise _api_error(exc) from None
    return Outcome("created", number, int(answer.get("id", 0)), str(answer.get("html_url", "")))


def identity(client: GitHubClient, env: dict[str, str]) -> str:
    """Who the token writes as: ``GET /user``'s login; the Actions token cannot ask, and is the Actions bot."""
    login = client.login()
    if login:
        return login
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_EVENT_PATH"):
        return ACTIONS_BOT
    raise CommentError("cannot tell whose token this is (GET /user refused it); give a personal token")


def post_comment(body: str, env: dict[str, str] | None = None, client: GitHubClient | None = None) -> Outcome:
    """Create the report comment, or update the one this identity posted with the same marker."""
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
    client = client or GitHubClient(token, env.get("GITHUB_API_URL") or DEFAULT_API_URL)
    try:
        author = identity(client, env)
        number = pull_request_number(client, repository, env.get("GITHUB_EVENT_NAME", ""), event)
    except GitHubError as exc:
        raise _api_error(exc) from None
    return upsert_comment(client, repository, number, body, author)
