"""`grader comment` against a local server that plays the GitHub REST API."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.github_comment import CommentError, post_comment

REPO = "course/student-repo"


class FakeGitHub:
    """Comments of issue/PR numbers, open pulls; ``refuse`` makes every call answer that status."""

    def __init__(self):
        self.comments: dict[int, list[dict]] = {}
        self.pulls = [{"number": 1, "title": "Feedback", "base": {"ref": "feedback"}}]
        self.refuse: int | None = None
        self.requests: list[tuple[str, str, str]] = []
        self.next_id = 100

    def handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.requests.append((method, self.path, self.headers.get("Authorization", "")))
                if fake.refuse:
                    return self._answer(fake.refuse, {"message": "Resource not accessible by integration"})
                path = self.path.split("?", 1)[0]
                if method == "GET" and path == f"/repos/{REPO}/pulls":
                    return self._answer(200, fake.pulls)
                match = re.fullmatch(rf"/repos/{REPO}/issues/(\d+)/comments", path)
                if match:
                    number = int(match.group(1))
                    if method == "GET":
                        return self._answer(200, fake.comments.get(number, []))
                    fake.next_id += 1
                    comment = {"id": fake.next_id, "body": body["body"], "html_url": f"http://x/{fake.next_id}"}
                    fake.comments.setdefault(number, []).append(comment)
                    return self._answer(201, comment)
                match = re.fullmatch(rf"/repos/{REPO}/issues/comments/(\d+)", path)
                if match and method == "PATCH":
                    for comments in fake.comments.values():
                        for comment in comments:
                            if comment["id"] == int(match.group(1)):
                                comment["body"] = body["body"]
                                return self._answer(200, comment)
                return self._answer(404, {"message": "Not Found"})

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_PATCH(self):
                self._handle("PATCH")

        return Handler


@pytest.fixture()
def github():
    fake = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


def _env(fake, tmp_path, event=None, name="push"):
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event or {"ref": "refs/heads/main"}))
    return {"GITHUB_API_URL": fake.url, "GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": "t0ken",
            "GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(event_path)}


BODY = "<!-- grader-report lab=01-rnn-cells -->\n## 17/22 points\n"


def test_push_creates_then_edits_one_comment_on_the_feedback_pull_request(github, tmp_path):
    env = _env(github, tmp_path)
    first = post_comment(BODY, env)
    assert (first.action, first.pull_request) == ("created", 1)
    second = post_comment(BODY.replace("17/22", "22/22"), env)
    assert (second.action, second.comment_id) == ("updated", first.comment_id)
    assert len(github.comments[1]) == 1 and "22/22" in github.comments[1][0]["body"]
    assert all(auth == "Bearer t0ken" for _, _, auth in github.requests)


def test_pull_request_event_comments_on_that_pull_request(github, tmp_path):
    github.comments[7] = [{"id": 5, "body": "a human's comment"}]
    env = _env(github, tmp_path, {"pull_request": {"number": 7}}, "pull_request")
    assert post_comment(BODY, env).action == "created"
    assert len(github.comments[7]) == 2 and github.comments[7][0]["body"] == "a human's comment"


def test_other_labs_keep_their_own_comment(github, tmp_path):
    env = _env(github, tmp_path)
    post_comment(BODY, env)
    post_comment(BODY.replace("01-rnn-cells", "02-tracing-vs-passfail"), env)
    assert len(github.comments[1]) == 2


@pytest.mark.parametrize("status, words", [(403, "pull-requests: write"), (404, "not found")])
def test_refusals_are_clear_errors(github, tmp_path, status, words):
    github.refuse = status
    with pytest.raises(CommentError, match=f"HTTP {status}") as info:
        post_comment(BODY, _env(github, tmp_path))
    assert words in str(info.value) and "Resource not accessible" in str(info.value)


def test_no_feedback_pull_request(github, tmp_path):
    github.pulls = []
    with pytest.raises(CommentError, match="no pull request to comment on"):
        post_comment(BODY, _env(github, tmp_path))


def test_cli_never_fails_the_job(github, tmp_path, monkeypatch):
    report = tmp_path / "report.md"
    report.write_text(BODY)
    runner = CliRunner()
    for key, value in _env(github, tmp_path).items():
        monkeypatch.setenv(key, value)
    result = runner.invoke(main, ["comment", str(report)])
    assert result.exit_code == 0 and "created comment" in result.output
    github.refuse = 403
    result = runner.invoke(main, ["comment", str(report)])
    assert result.exit_code == 0 and "feedback comment not posted" in result.output and "HTTP 403" in result.output
    monkeypatch.delenv("GITHUB_TOKEN")
    result = runner.invoke(main, ["comment", str(report)])
    assert result.exit_code == 0 and "GITHUB_TOKEN is not set" in result.output
    result = runner.invoke(main, ["comment", str(tmp_path / "missing.md")])
    assert result.exit_code == 0 and "cannot read" in result.output
    assert len(github.comments[1]) == 1
