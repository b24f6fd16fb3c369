"""`grader comment` and the REST client against the local fake GitHub API (tests/fake_github.py)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fake_github import FakeGitHub, make_repo

from grader.cli import main
from grader.platforms.github_api import GitHubClient, GitHubError, parse_links
from grader.platforms.github_comment import MAX_BODY, CommentError, find_own_comment, fit_body, post_comment

REPO = "course/student-repo"
BODY = "<!-- grader-report lab=01-rnn-cells -->\n## 17/22 points\n"


@pytest.fixture()
def github(tmp_path):
    fake = FakeGitHub().start()
    fake.add_repo(REPO, make_repo(tmp_path / "repo"))
    yield fake
    fake.stop()


def _env(fake, tmp_path, event=None, name="push", token="actions-token"):
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event or {"ref": "refs/heads/main"}))
    return {"GITHUB_API_URL": fake.url, "GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": token, "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(event_path)}


def _no_sleep(client):
    waits = []
    client.sleep = waits.append
    return waits


def test_push_creates_then_edits_one_comment_on_the_feedback_pull_request(github, tmp_path):
    env = _env(github, tmp_path)
    first = post_comment(BODY, env)
    assert (first.action, first.pull_request) == ("created", 1)
    second = post_comment(BODY.replace("17/22", "22/22"), env)
    assert (second.action, second.comment_id) == ("updated", first.comment_id)
    comments = github.comments_on(REPO, 1)
    assert len(comments) == 1 and "22/22" in comments[0]["body"]
    assert comments[0]["user"]["login"] == "github-actions[bot]"
    for request in github.requests:
        assert request["headers"]["authorization"] == "Bearer actions-token"
        assert request["headers"]["x-github-api-version"] == "2022-11-28"
        assert request["headers"]["accept"] == "application/vnd.github+json"


def test_feedback_pull_request_is_found_past_the_first_hundred(github, tmp_path):
    """The old code read one page of open pulls, newest first: the Feedback PR (#1) fell off past 100."""
    repo = github.repos[REPO]
    repo.pulls += [FakeGitHub.pull(n, f"student PR {n}", "main") for n in range(2, 160)]
    outcome = post_comment(BODY, _env(github, tmp_path))
    assert outcome.pull_request == 1
    pulls = [r["path"] for r in github.requests if "/pulls" in r["path"]]
    assert pulls and all("base=feedback" in p for p in pulls)
    # the attack on the old filter (first page of every open pull) fails: #1 is not among the newest 100
    client = GitHubClient("actions-token", github.url)
    first_page = client.get(f"/repos/{REPO}/pulls?state=open&per_page=100")
    assert 1 not in [p["number"] for p in first_page]


def test_feedback_pull_request_across_pages_of_the_filtered_list(github, tmp_path):
    repo = github.repos[REPO]
    repo.pulls = [FakeGitHub.pull(n, "Feedback", "feedback") for n in range(150, 260)]
    outcome = post_comment(BODY, _env(github, tmp_path))
    assert outcome.pull_request == 150  # the oldest: the page with it is the second


def test_a_comment_by_someone_else_with_the_marker_is_not_edited(github, tmp_path):
    """A student (or anyone) pastes the marker into their own comment: the grader posts its own instead."""
    github.repos[REPO].comments[1] = [{"id": 5, "body": BODY + "I got full marks", "user": {"login": "student"}}]
    outcome = post_comment(BODY.replace("17/22", "3/22"), _env(github, tmp_path))
    comments = github.comments_on(REPO, 1)
    assert outcome.action == "created" and len(comments) == 2
    assert comments[0]["body"].endswith("I got full marks") and "3/22" in comments[1]["body"]
    # the control: matching on the marker alone (the old rule) picks the student's comment
    client = GitHubClient("actions-token", github.url)
    assert find_own_comment(client, REPO, 1, BODY.split("\n")[0], "student")["id"] == 5


def test_a_personal_token_edits_only_its_own_login(github, tmp_path):
    github.repos[REPO].comments[1] = [{"id": 5, "body": BODY, "user": {"login": "github-actions[bot]"}}]
    env = _env(github, tmp_path, token="ta-token")
    env.pop("GITHUB_ACTIONS")
    assert post_comment(BODY, env).action == "created"
    assert post_comment(BODY, env).action == "updated"
    assert [c["user"]["login"] for c in github.comments_on(REPO, 1)] == ["github-actions[bot]", "ta-login"]


def test_pull_request_event_comments_on_that_pull_request(github, tmp_path):
    github.repos[REPO].comments[7] = [{"id": 5, "body": "a human's comment", "user": {"login": "x"}}]
    env = _env(github, tmp_path, {"pull_request": {"number": 7}}, "pull_request")
    assert post_comment(BODY, env).action == "created"
    comments = github.comments_on(REPO, 7)
    assert len(comments) == 2 and comments[0]["body"] == "a human's comment"


def test_other_labs_keep_their_own_comment(github, tmp_path):
    env = _env(github, tmp_path)
    post_comment(BODY, env)
    post_comment(BODY.replace("01-rnn-cells", "02-tracing-vs-passfail"), env)
    assert len(github.comments_on(REPO, 1)) == 2


def test_a_long_body_is_shortened_with_a_note_and_accepted(github, tmp_path):
    body = BODY + "x" * 100_000
    with pytest.raises(GitHubError, match="422.*body is too long"):  # the control: GitHub refuses it as is
        GitHubClient("actions-token", github.url).request("POST", f"/repos/{REPO}/issues/1/comments", {"body": body})
    post_comment(body, _env(github, tmp_path))
    posted = github.comments_on(REPO, 1)[0]["body"]
    assert len(posted) <= MAX_BODY and posted.startswith(BODY) and "report shortened" in posted
    assert fit_body("short") == "short"


def test_a_422_shows_githubs_validation_message(github, tmp_path):
    github.fail_next.append((422, {}, {"message": "Validation Failed", "errors": [
        {"resource": "IssueComment", "code": "custom", "field": "body", "message": "body is locked"}]}))
    with pytest.raises(CommentError, match="HTTP 422: GitHub refused the comment.*Validation Failed; body is locked"):
        post_comment(BODY, _env(github, tmp_path))


@pytest.mark.parametrize("status, headers", [
    (429, {"Retry-After": "7"}),
    (403, {"retry-after": "7"}),
    (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1006"}),
])
def test_rate_limits_are_waited_out_with_bounded_retries(github, status, headers):
    client = GitHubClient("actions-token", github.url, clock=lambda: 1000.0)
    waits = _no_sleep(client)
    github.fail_next += [(status, headers, {"message": "You have exceeded a secondary rate limit"})] * 2
    assert client.get(f"/repos/{REPO}")["full_name"] == REPO
    assert waits == [7.0, 7.0]
    github.fail_next += [(status, headers, {"message": "You have exceeded a secondary rate limit"})] * 4
    with pytest.raises(GitHubError, match=f"HTTP {status}.*secondary rate limit"):
        client.get(f"/repos/{REPO}")
    assert len(waits) == 2 + 3  # three retries, then the error
    github.fail_next.clear()


def test_a_wait_longer_than_allowed_is_an_error_not_a_hang(github):
    client = GitHubClient("actions-token", github.url, max_wait=30)
    waits = _no_sleep(client)
    github.fail_next.append((429, {"Retry-After": "3600"}, {"message": "slow down"}))
    with pytest.raises(GitHubError, match="rate limited for 3600 s"):
        client.get(f"/repos/{REPO}")
    assert waits == []


def test_a_plain_403_is_not_retried(github, tmp_path):
    github.fail_next.append((403, {}, {"message": "Resource not accessible by integration"}))
    client = GitHubClient("actions-token", github.url)
    waits = _no_sleep(client)
    with pytest.raises(GitHubError, match="HTTP 403"):
        client.get(f"/repos/{REPO}")
    assert waits == []


def test_pagination_never_sends_the_token_to_another_host(github):
    """A ``link`` header pointing elsewhere (a hostile proxy or a confused server) is not followed."""
    thief = FakeGitHub(tokens={"actions-token": None}).start()
    try:
        next_link = f'<{thief.url}/steal?page=2>; rel="next"'
        github.fail_next.append((200, {"Link": next_link}, [{"n": 1}]))
        client = GitHubClient("actions-token", github.url)
        with pytest.raises(GitHubError, match="refusing to send the token"):
            list(client.paginate(f"/repos/{REPO}/pulls"))
        assert thief.requests == []
        # the control: a client that trusted every link would have handed the token over
        github.fail_next.append((200, {"Link": next_link}, [{"n": 1}]))
        client._url = lambda path: path if path.startswith("http") else f"{client.base}{path}"
        with pytest.raises(GitHubError, match="HTTP 404"):
            list(client.paginate(f"/repos/{REPO}/pulls"))
        assert [r["headers"]["authorization"] for r in thief.requests] == ["Bearer actions-token"]
    finally:
        thief.stop()
    assert parse_links('<https://a/x?page=2>; rel="next", <https://a/x?page=5>; rel="last"') == {
        "next": "https://a/x?page=2", "last": "https://a/x?page=5"}


@pytest.mark.parametrize("status, words", [(403, "pull-requests: write"), (404, "not found")])
def test_refusals_are_clear_errors(github, tmp_path, status, words):
    github.repos[REPO].pulls = []
    env = _env(github, tmp_path, {"pull_request": {"number": 1}}, "pull_request")
    github.fail_next += [(200, {}, []), (status, {}, {"message": "Resource not accessible by integration"})]
    with pytest.raises(CommentError, match=f"HTTP {status}") as info:
        post_comment(BODY, env)
    assert words in str(info.value) and "Resource not accessible" in str(info.value)


def test_no_feedback_pull_request(github, tmp_path):
    github.repos[REPO].pulls = [FakeGitHub.pull(3, "Feedback", "main")]  # the title alone does not make it one
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
    github.fail_next += [(403, {}, {"message": "Resource not accessible by integration"})] * 3
    result = runner.invoke(main, ["comment", str(report)])
    assert result.exit_code == 0 and "feedback comment not posted" in result.output and "HTTP 403" in result.output
    github.fail_next.clear()
    monkeypatch.delenv("GITHUB_TOKEN")
    result = runner.invoke(main, ["comment", str(report)])
    assert result.exit_code == 0 and "GITHUB_TOKEN is not set" in result.output
    result = runner.invoke(main, ["comment", str(tmp_path / "missing.md")])
    assert result.exit_code == 0 and "cannot read" in result.output
    assert len(github.comments_on(REPO, 1)) == 1


def test_a_shortened_report_closes_its_code_block_and_its_details():
    """A message long enough to push the comment past GitHub's limit is cut inside its code block: the block
    and the section are closed, so the note is drawn as a note and the rest of the comment as Markdown."""
    from markdown_it import MarkdownIt

    from grader.reports.formats import markdown
    from grader.reports.report import CheckResult, Report

    report = Report("01-rnn-cells", "torch", "sub.ipynb")
    report.checks = [CheckResult("lstm-step", "lstm_step", 0, 3, "failed", "[1, 2] " * 20_000)]
    body = fit_body(markdown.render(report))
    assert len(body) <= MAX_BODY
    tokens = MarkdownIt("commonmark").parse(body)
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1 and "report shortened" not in fences[0].content
    assert any(t.type == "inline" and "report shortened" in t.content for t in tokens)
    assert body.count("<details>") == body.count("</details>") == 1
