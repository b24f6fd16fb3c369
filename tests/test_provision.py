"""`grader provision` against the local fake GitHub API (tests/fake_github.py), every request checked against
GitHub's OpenAPI description (tests/github_openapi.py)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fake_github import FakeGitHub, git
from github_openapi import problems

from grader.cli import main
from grader.course.roster import RosterEntry, write_roster
from grader.platforms.github_api import GitHubClient, GitHubError
from grader.platforms.provision import FEEDBACK_TITLE, Provisioner, git_blob_sha, status

ROSTER = [RosterEntry("s1", "ana", "Ana"), RosterEntry("s2", "bo", "Bo", team="red"),
          RosterEntry("s3", "cy", "Cy", team="red"), RosterEntry("s4", "", "Dee")]
COURSE = """organisation: course
roster: roster.csv
labs:
  - {id: 01-rnn-cells, flavour: torch, prefix: lab1, deadline: 2026-11-30T23:59Z}
"""


@pytest.fixture()
def github(tmp_path):
    fake = FakeGitHub(root=tmp_path / "github").start()
    yield fake
    fake.stop()


@pytest.fixture()
def starter(tmp_path):
    folder = tmp_path / "starter"
    (folder / ".github" / "workflows").mkdir(parents=True)
    (folder / "lab.ipynb").write_text('{"cells": []}')
    (folder / "README.md").write_text("# Lab 1\n")
    (folder / ".github" / "workflows" / "grade.yml").write_text("on: push\n")
    return folder


def _client(fake, token="ta-token"):
    client = GitHubClient(token, fake.url)
    client.sleep = lambda seconds: None
    return client


def _writes(fake, since=0):
    return [f"{r['method']} {r['path']}" for r in fake.requests[since:] if r["method"] != "GET"]


def _set_up(fake, starter):
    provisioner = Provisioner(_client(fake), "course")
    provisioner.publish_template(starter, "template-lab1")
    return provisioner.provision("course/template-lab1", "lab1", ROSTER)


def test_the_template_holds_exactly_the_starter_and_a_rerun_writes_nothing(github, starter):
    provisioner = Provisioner(_client(github), "course")
    first = provisioner.publish_template(starter, "template-lab1")
    assert first.done[0] == "create the template repository" and first.done[-1].startswith("commit the starter (3 files changed")
    repo = github.repos["course/template-lab1"]
    assert repo.private and repo.is_template
    listing = git(repo.path, "ls-tree", "-r", "HEAD").split("\n")
    assert sorted(line.split("\t")[1] for line in listing if line) == [".github/workflows/grade.yml", "README.md",
                                                                      "lab.ipynb"]
    assert git_blob_sha(b'{"cells": []}') in git(repo.path, "ls-tree", "HEAD", "lab.ipynb")
    before = len(github.requests)
    assert provisioner.publish_template(starter, "template-lab1").unchanged
    assert _writes(github, before) == []
    (starter / "lab.ipynb").write_text('{"cells": [1]}')
    assert Provisioner(_client(github), "course", dry_run=True).publish_template(starter, "template-lab1").done == [
        "would commit the starter (1 file changed: lab.ipynb)"]
    assert _writes(github, before) == []
    again = provisioner.publish_template(starter, "template-lab1")
    assert again.done == ["commit the starter (1 file changed: lab.ipynb)"]
    assert git(repo.path, "show", "HEAD:lab.ipynb") == '{"cells": [1]}'
    assert problems(github.requests) == []


def test_each_student_or_team_gets_a_repository_invitation_feedback_branch_and_pull_request(github, starter):
    outcomes = {o.repository: o for o in _set_up(github, starter)}
    assert set(outcomes) == {"course/lab1-ana", "course/lab1-red", ""}
    assert "s4 (Dee) has no GitHub username" in outcomes[""].problems[0]
    red = github.repos["course/lab1-red"]
    assert red.private and {i["invitee"]["login"] for i in red.invitations} == {"bo", "cy"}
    assert all(i["permissions"] == "push" for i in red.invitations)
    feedback = git(red.path, "rev-parse", "refs/heads/feedback").strip()
    assert git(red.path, "rev-list", "--max-parents=0", "HEAD").strip() == feedback  # the starter commit
    assert git(red.path, "show", "HEAD:lab.ipynb") == '{"cells": []}'
    assert git(red.path, "log", "-1", "--format=%s").strip() == "Set up the Feedback pull request"
    assert [(p["title"], p["base"]["ref"], p["head"]["ref"]) for p in red.pulls] == [(FEEDBACK_TITLE, "feedback", "main")]
    assert red.protection["feedback"]["allow_force_pushes"] == {"enabled": False}
    assert red.protection["feedback"]["restrictions"] == {"users": [], "teams": [], "apps": []}
    assert problems(github.requests) == []
    # a rerun creates nothing and finds nothing changed
    before = len(github.requests)
    rerun = Provisioner(_client(github), "course").provision("course/template-lab1", "lab1", ROSTER)
    assert [o.unchanged for o in rerun if o.repository] == [True, True]
    assert _writes(github, before) == []


def test_without_the_empty_commit_github_refuses_the_pull_request(github, starter):
    """The control for the setup commit: a pull request from main into feedback at the same commit is a 422."""
    _set_up(github, starter)
    red = github.repos["course/lab1-red"]
    git(red.path, "branch", "other", "refs/heads/feedback")
    with pytest.raises(GitHubError, match="422.*No commits between feedback and other"):
        _client(github).request("POST", "/repos/course/lab1-red/pulls", {"title": "x", "head": "other", "base": "feedback"})


def test_a_rerun_reports_what_it_found_changed(github, starter):
    _set_up(github, starter)
    github.accept("course/lab1-ana", "ana")
    ana = github.repos["course/lab1-ana"]
    ana.private = False
    ana.pulls[0]["state"] = "closed"
    ana.protection.clear()
    ana.collaborators["mallory"] = "push"
    git(ana.path, "update-ref", "refs/heads/feedback", "refs/heads/main")
    github.repos["course/lab1-red"].invitations[0]["expired"] = True
    outcomes = {o.repository: o for o in Provisioner(_client(github), "course").provision(
        "course/template-lab1", "lab1", ROSTER)}
    found = outcomes["course/lab1-ana"].found
    assert "the repository is public" in found
    assert any(line.startswith("feedback has moved off the starter") for line in found)
    assert "the Feedback pull request #1 is closed" in found
    assert "feedback was not protected" in found and outcomes["course/lab1-ana"].done == ["protect feedback"]
    assert "mallory has access but is not on the roster for it" in found
    assert outcomes["course/lab1-red"].found == ["the invitation of bo expired"]
    assert outcomes["course/lab1-red"].done == ["invite bo"]
    assert problems(github.requests) == []


def test_a_dry_run_writes_nothing(github, starter):
    provisioner = Provisioner(_client(github), "course", dry_run=True)
    template = provisioner.publish_template(starter, "template-lab1")
    assert template.done == ["would create the template repository", "would commit the starter (3 files)"]
    Provisioner(_client(github), "course").publish_template(starter, "template-lab1")
    before = len(github.requests)
    outcomes = provisioner.provision("course/template-lab1", "lab1", ROSTER)
    assert _writes(github, before) == [] and "course/lab1-ana" not in github.repos
    assert outcomes[0].done == ["would create the repository from the template", "would invite ana",
                                "would create feedback at the starter", "would open the Feedback pull request",
                                "would protect feedback"]


def test_the_status_table(github, starter):
    _set_up(github, starter)
    github.accept("course/lab1-red", "bo")
    github.student_push("course/lab1-red", "bo", {"lab.ipynb": '{"v": 1}'}, "2026-11-20T10:00:00Z")
    github.student_push("course/lab1-red", "bo", {"lab.ipynb": '{"v": 2}'}, "2026-11-21T10:00:00Z")
    rows = {row.repository: row for row in status(_client(github), "course", "lab1", ROSTER + [RosterEntry("s5", "eve", "Eve")])}
    red, ana, eve = rows["course/lab1-red"], rows["course/lab1-ana"], rows["course/lab1-eve"]
    assert (red.invited, red.accepted, red.pushes, red.last_push) == (["cy"], ["bo"], 2, "2026-11-21T10:00:00Z")
    assert (ana.invited, ana.accepted, ana.pushes) == (["ana"], [], 0)
    assert not eve.exists
    assert problems(github.requests) == []


def _course(tmp_path):
    (tmp_path / "course.yaml").write_text(COURSE)
    write_roster(ROSTER, tmp_path / "roster.csv")
    return tmp_path / "course.yaml"


def test_provision_commands(github, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ta-token")
    course = _course(tmp_path)
    base = ["--course", str(course), "--lab", "01-rnn-cells", "--api-url", github.url]
    result = CliRunner().invoke(main, ["provision", "template", *base])  # the starter written by grader starter
    assert result.exit_code == 0, result.output
    template = github.repos["course/template-lab1"]
    assert ".github/workflows/classroom.yml" in git(template.path, "ls-tree", "-r", "--name-only", "HEAD")
    result = CliRunner().invoke(main, ["provision", "repos", *base, "--dry-run"])
    assert result.exit_code == 0 and "would invite bo" in result.output and "course/lab1-ana" not in github.repos
    result = CliRunner().invoke(main, ["provision", "repos", *base])
    assert result.exit_code == 0, result.output
    assert "2 repositories: 2 changed" in result.output and "s4 (Dee) has no GitHub username" in result.output
    result = CliRunner().invoke(main, ["provision", "repos", *base])
    assert "2 repositories: 0 changed, 0 found changed" in result.output
    assert result.output.count("up to date") == 2
    result = CliRunner().invoke(main, ["provision", "status", *base])
    assert result.exit_code == 0 and "course/lab1-red" in result.output and "bo, cy" in result.output
    for command in ("template", "repos", "status"):
        assert CliRunner().invoke(main, ["provision", command, "--help"]).exit_code == 0
    assert problems(github.requests) == []


@pytest.mark.parametrize(("set_up", "message"), [
    (lambda fake, env: env.setenv("GITHUB_TOKEN", "expired"), "GitHub refused the token (HTTP 401 Bad credentials)"),
    (lambda fake, env: fake.orgs.update(course={"someone-else"}),
     "the token cannot create repositories in the organisation course (HTTP 403)"),
    (lambda fake, env: fake.orgs.clear(), "the token cannot create repositories in the organisation course (HTTP 404)"),
    (lambda fake, env: fake.fail_next.extend(
        [(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "4102444800"}, {"message": "API rate limit exceeded"})]),
     "rate limited for"),
])
def test_a_refusal_is_one_clear_line(github, tmp_path, monkeypatch, set_up, message):
    monkeypatch.setenv("GITHUB_TOKEN", "ta-token")
    course = _course(tmp_path)
    set_up(github, monkeypatch)
    result = CliRunner().invoke(main, ["provision", "template", "--course", str(course), "--lab", "01-rnn-cells",
                                       "--api-url", github.url, "--starter", str(tmp_path)])
    assert result.exit_code == 3, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_bad_course_file_or_roster_is_exit_2(github, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ta-token")
    course = _course(tmp_path)
    course.write_text(COURSE.replace("2026-11-30T23:59Z", "2026-11-30T23:59"))
    result = CliRunner().invoke(main, ["provision", "repos", "--course", str(course), "--lab", "01-rnn-cells",
                                       "--api-url", github.url])
    assert result.exit_code == 2 and "has no time zone" in result.output
    course.write_text(COURSE)
    (tmp_path / "roster.csv").write_text("identifier,github_username,name\na,ana,Ana\nb,ana,Bo\n")
    result = CliRunner().invoke(main, ["provision", "repos", "--course", str(course), "--lab", "01-rnn-cells",
                                       "--api-url", github.url])
    assert result.exit_code == 2 and "GitHub username 'ana' is also on line 2" in result.output
    assert github.requests == []


def test_the_openapi_check_sees_what_github_does_not_document():
    requests = [
        {"method": "PUT", "path": "/repos/o/r/branches/feedback/protection", "body": {"enforce_admins": False},
         "status": 200},
        {"method": "POST", "path": "/repos/o/r/feedback", "body": {}, "status": 201},
        {"method": "POST", "path": "/orgs/o/repos", "body": {"name": "x", "privat": True}, "status": 201},
        {"method": "GET", "path": "/repos/o/r/pulls?state=any&head_ref=x", "body": None, "status": 200},
        {"method": "GET", "path": "/repos/o/r/git/ref/heads/feedback", "body": None, "status": 200},
    ]
    found = problems(requests)
    assert any("'required_status_checks' is a required property" in p for p in found)
    assert any("POST /repos/o/r/feedback: no such operation" in p for p in found)
    assert any("'privat' is not a field" in p for p in found)
    assert any("'head_ref' is not one of" in p for p in found) and any("state='any'" in p for p in found)
    assert not any("git/ref/heads/feedback" in p for p in found)


def test_a_repository_still_empty_after_its_generation_is_waited_for(github, starter):
    """GitHub fills a repository made from a template shortly after answering: its ref is a 409 meanwhile."""
    Provisioner(_client(github), "course").publish_template(starter, "template-lab1")
    original = github.answer
    empty = {"count": 2}

    def answer(method, path, headers, body):
        if "/lab1-ana/git/ref/heads/main" in path and empty["count"]:
            empty["count"] -= 1
            return 409, {}, {"message": "Git Repository is empty."}
        return original(method, path, headers, body)

    github.answer = answer
    client = _client(github)
    waits = []
    client.sleep = waits.append
    outcomes = Provisioner(client, "course").provision("course/template-lab1", "lab1", ROSTER[:1])
    assert outcomes[0].problems == [] and "open the Feedback pull request" in outcomes[0].done
    assert waits == [1.0, 1.0]


def test_a_username_github_does_not_know_is_named_and_the_rest_set_up(github, starter):
    github.users = {"ana", "cy"}  # bo's username is misspelt in the roster
    outcomes = {o.repository: o for o in _set_up(github, starter)}
    red = outcomes["course/lab1-red"]
    assert red.problems == ["GitHub has no user 'bo' to invite (HTTP 404): correct the roster and run this again"]
    assert "invite cy" in red.done and "open the Feedback pull request" in red.done
    assert outcomes["course/lab1-ana"].problems == []
