"""A small GitHub REST client on urllib: auth and version headers, Link pagination, bounded retries.

Used by ``grader comment`` (the Actions token), ``grader collect`` and the feedback poster (the TA's token).
It follows GitHub's REST guidance: ``Authorization: Bearer``, ``X-GitHub-Api-Version: 2022-11-28``,
pages through the ``link`` header's ``rel="next"`` (only on the same host: the token never leaves it),
waits out a primary or secondary rate limit (429, or 403 with ``retry-after`` or
``x-ratelimit-remaining: 0``) a bounded number of times, and shows a 422's validation errors.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from grader.errors import GraderError

API_VERSION = "2022-11-28"
DEFAULT_API_URL = "https://api.github.com"
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([^";]+)"?')


class GitHubError(GraderError):
    """A GitHub API call failed; ``status`` is the HTTP status (0 when no answer came)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    data: Any
    links: dict[str, str] = field(default_factory=dict)


def parse_links(header: str) -> dict[str, str]:
    """``link: <url>; rel="next", <url>; rel="last"`` as ``{"next": url, "last": url}``."""
    return {rel: url for url, rel in _LINK.findall(header or "")}


def token_from_environment(env: dict[str, str] | None = None) -> str:
    """The TA's token: ``GITHUB_TOKEN``, ``GH_TOKEN``, else ``gh auth token``; empty when none."""
    env = dict(os.environ) if env is None else env
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        if env.get(name):
            return env[name].strip()
    gh = shutil.which("gh")
    if gh:
        try:
            done = subprocess.run([gh, "auth", "token"], capture_output=True, text=True, timeout=20, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        if done.returncode == 0:
            return done.stdout.strip()
    return ""


def _error_detail(payload: bytes) -> str:
    """GitHub's ``message`` and, on a 422, each validation error."""
    try:
        body = json.loads(payload)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body["message"])] if body.get("message") else []
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            text = error.get("message") or " ".join(str(error.get(k, "")) for k in ("field", "code")).strip()
            parts.append(str(text))
        elif error:
            parts.append(str(error))
    return f" ({'; '.join(parts)})" if parts else ""


class GitHubClient:
    """One token against one API root. ``sleep`` and ``clock`` are injectable for tests."""

    def __init__(self, token: str, api_url: str = DEFAULT_API_URL, *, timeout: float = 30.0, retries: int = 3,
                 max_wait: float = 120.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time) -> None:
        self.token = token
        self.base = api_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self._origin = urllib.parse.urlsplit(self.base)[:2]

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            if urllib.parse.urlsplit(path)[:2] != self._origin:
                raise GitHubError(f"refusing to send the token to {path}: not the API host {self.base}")
            return path
        return f"{self.base}{path}"

    def _wait_for(self, status: int, headers: dict[str, str], attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the answer is final."""
        if status in (500, 502, 503, 504):
            return float(2 ** attempt)
        if status not in (403, 429):
            return None
        if headers.get("retry-after", "").strip().isdigit():
            return float(headers["retry-after"].strip())
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
            return max(0.0, float(headers["x-ratelimit-reset"]) - self.clock()) + 1.0
        if status == 429:
            return 60.0 * 2 ** attempt  # secondary limit without a hint: at least a minute, growing
        return None  # a plain 403: a permission problem, not a rate limit

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Response:
        url = self._url(path)
        data = json.dumps(body).encode() if body is not None else None
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.token}",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "rnn-course-grader",
            **({"Content-Type": "application/json"} if data is not None else {}),
        }
        shown = urllib.parse.urlsplit(url).path
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(url, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 - the API root given
                    payload = answer.read()
                    status, answer_headers = answer.status, {k.lower(): v for k, v in answer.headers.items()}
            except urllib.error.HTTPError as exc:
                answer_headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
                payload = exc.read() or b""
                wait = self._wait_for(exc.code, answer_headers, attempt)
                if wait is not None and attempt < self.retries:
                    if wait > self.max_wait:
                        raise GitHubError(f"GitHub API {method} {shown}: HTTP {exc.code}: rate limited for "
                                          f"{wait:.0f} s, longer than the {self.max_wait:.0f} s this run waits; "
                                          f"try again later{_error_detail(payload)}", exc.code) from None
                    self.sleep(wait)
                    continue
                raise GitHubError(f"GitHub API {method} {shown}: HTTP {exc.code}{_error_detail(payload)}",
                                  exc.code) from None
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                if attempt < self.retries:
                    self.sleep(float(2 ** attempt))
                    continue
                raise GitHubError(f"GitHub API {method} {shown}: {getattr(exc, 'reason', exc)}") from None
            try:
                parsed = json.loads(payload) if payload else None
            except ValueError:
                raise GitHubError(f"GitHub API {method} {shown}: the answer is not JSON", status) from None
            return Response(status, answer_headers, parsed, parse_links(answer_headers.get("link", "")))
        raise GitHubError(f"GitHub API {method} {shown}: gave up after {self.retries + 1} attempts")  # pragma: no cover

    def get(self, path: str) -> Any:
        return self.request("GET", path).data

    def paginate(self, path: str, max_pages: int = 50) -> Iterator[Any]:
        """Every item of a list endpoint, following ``rel="next"`` links (``per_page=100`` added if absent)."""
        if "per_page=" not in path:
            path += ("&" if "?" in path else "?") + "per_page=100"
        url: str | None = path
        for _ in range(max_pages):
            if url is None:
                return
            answer = self.request("GET", url)
            items = answer.data or []
            if isinstance(items, dict):  # a few endpoints wrap their list
                items = next((v for v in items.values() if isinstance(v, list)), [])
            yield from items
            url = answer.links.get("next")
        if url is not None:
            raise GitHubError(f"GitHub API GET {path}: more than {max_pages} pages; narrow the request")

    def login(self) -> str | None:
        """The token's own login (``GET /user``), or None when the token cannot say (an Actions token)."""
        try:
            user = self.get("/user")
        except GitHubError as exc:
            if exc.status in (401, 403, 404):
                return None
            raise
        return str(user.get("login")) if isinstance(user, dict) and user.get("login") else None
