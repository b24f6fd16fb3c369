"""Posting each student's graded report on their Feedback pull request, against the local fake GitHub API."""

from __future__ import annotations

import json

import pytest
from fake_github import FakeGitHub, make_repo

from grader.batch.rows import Row
from grader.errors import InputError
from grader.platforms.feedback import NOT_POSTED, POSTED, WOULD_POST, post_class_feedback
from grader.platforms.github_api import GitHubClient

REPORT = "<!-- grader-report lab=01-rnn-cells -->\n## ❌ 01-rnn-cells (torch): 17/22 points\n"


@pytest.fixture()
def setup(tmp_path):
    fake = FakeGitHub().start()
    fake.add_repo("course/lab1-alice", make_repo(tmp_path / "git" / "alice"))
    fake.add_repo("course/lab1-bob", make_repo(tmp_path / "git" / "bob"), feedback_pr=None)
    submissions, out = tmp_path / "submissions", tmp_path / "grading"
    submissions.mkdir()
    out.mkdir()
    students = {user: {"user": user, "status": "collected", "repository": f"course/lab1-{user}",
                       "commit": f"{n}" * 40, "commit_date": "", "notebooks": ["lab.ipynb"], "message": "",
                       "roster_identifier": ""} for n, user in enumerate(["alice", "bob", "mallory"], start=1)}
    students["mallory"]["repository"] = "course/lab1-mallory"  # not served: the API answers 404
    (submissions / "collect.json").write_text(json.dumps(
        {"org": "course", "prefix": "lab1", "deadline": "2026-11-30T23:59:00Z", "collected_at": "x",
         "students": students}))
    rows = []
    for user in ["alice", "bob", "mallory"]:
        (out / f"{user}__lab.md").write_text(REPORT)
        rows.append(Row(f"{user}__lab", f"submissions/{user}/lab.ipynb", "graded", "01-rnn-cells", "torch",
                        17.0, 22.0, student=user))
    rows.append(Row("carol__lab", "submissions/carol/lab.ipynb", "graded", "01-rnn-cells", student="carol"))
    rows.append(Row("alice__broken", "submissions/alice/broken.ipynb", "not graded", "01-rnn-cells",
                    message="not a notebook: ``` <b>x</b>", student="alice"))
    yield fake, submissions, out, rows
    fake.stop()


def test_each_report_goes_on_its_students_feedback_pull_request(setup):
    fake, submissions, out, rows = setup
    client = GitHubClient("ta-token", fake.url)
    outcomes = {o.submission: o for o in post_class_feedback([submissions], rows, out, client)}
    assert outcomes["alice__lab"].status == POSTED and "created on pull request #1" in outcomes["alice__lab"].message
    assert outcomes["bob__lab"].status == NOT_POSTED and "no open Feedback pull request" in outcomes["bob__lab"].message
    assert outcomes["mallory__lab"].status == NOT_POSTED and "HTTP 404" in outcomes["mallory__lab"].message
    assert outcomes["carol__lab"].status == NOT_POSTED and "not in collect.json" in outcomes["carol__lab"].message
    comments = fake.comments_on("course/lab1-alice", 1)
    assert len(comments) == 2 and all(c["user"]["login"] == "ta-login" for c in comments)
    graded = comments[0]["body"]
    assert graded.startswith("<!-- grader-report lab=01-rnn-cells run=graded submission=alice__lab -->")
    assert "`111111111111`" in graded and "2026-11-30T23:59:00Z" in graded and "17/22 points" in graded
    broken = comments[1]["body"]
    assert "could not be graded" in broken and "````text\nnot a notebook: ``` <b>x</b>\n````" in broken
    # a rerun edits the same two comments, and a student's copy of the marker is left alone
    fake.repos["course/lab1-alice"].comments[1].insert(0, {"id": 7, "body": graded, "user": {"login": "alice"}})
    again = {o.submission: o for o in post_class_feedback([submissions], rows, out, client)}
    assert "updated" in again["alice__lab"].message
    assert len(fake.comments_on("course/lab1-alice", 1)) == 3
    assert fake.comments_on("course/lab1-alice", 1)[0]["body"] == graded


def test_dry_run_posts_nothing_and_writes_what_it_would(setup):
    fake, submissions, out, rows = setup
    outcomes = post_class_feedback([submissions], rows, out, None, dry_run=True)
    assert fake.requests == []
    would = [o for o in outcomes if o.status == WOULD_POST]
    assert {o.submission for o in would} == {"alice__lab", "bob__lab", "mallory__lab", "alice__broken"}
    assert "17/22 points" in (out / "feedback" / "alice__lab.md").read_text()


def test_posting_needs_the_manifest_and_a_personal_token(setup, tmp_path):
    fake, submissions, out, rows = setup
    with pytest.raises(InputError, match="collect.json"):
        post_class_feedback([tmp_path / "elsewhere"], rows, out, GitHubClient("ta-token", fake.url))
    with pytest.raises(InputError, match="whose token"):
        post_class_feedback([submissions], rows, out, GitHubClient("actions-token", fake.url))
    with pytest.raises(InputError, match="needs a GitHub token"):
        post_class_feedback([submissions], rows, out, None)
