"""`grader collect` against the local fake GitHub API serving local git repositories (tests/fake_github.py)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fake_github import FakeGitHub, commit_files, git, make_repo

from grader.cli import main
from grader.errors import InputError
from grader.platforms.collect import (
    COLLECTED,
    NO_ACCOUNT,
    NO_COMMIT,
    NO_REPOSITORY,
    UNCHANGED,
    Collector,
    collect,
    parse_deadline,
    read_manifest,
)
from grader.platforms.github_api import GitHubClient

DEADLINE = "2026-11-30T23:59:00Z"


def git_head(repo):
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture()
def github(tmp_path):
    fake = FakeGitHub().start()
    alice = make_repo(tmp_path / "git" / "alice")
    commit_files(alice, {"lab.ipynb": '{"v": "alice-1"}', "notes.txt": "x"}, "2026-11-29T10:00:00Z")
    bob = make_repo(tmp_path / "git" / "bob")
    fake.bob_early = commit_files(bob, {"lab.ipynb": '{"v": "bob-early"}'}, "2026-11-28T10:00:00Z")
    commit_files(bob, {"lab.ipynb": '{"v": "bob-late"}'}, "2026-12-01T09:00:00Z")
    dave = make_repo(tmp_path / "git" / "dave")
    commit_files(dave, {"lab.ipynb": '{"v": "dave-late"}'}, "2026-12-02T09:00:00Z")
    fake.add_repo("course/lab1-Alice", alice)
    fake.add_repo("course/lab1-bob", bob)
    fake.add_repo("course/lab1-dave", dave)
    fake.add_repo("course/other-alice", alice)
    yield fake
    fake.stop()


def _client(fake):
    return GitHubClient("ta-token", fake.url)


def test_each_student_at_the_last_commit_before_the_deadline(github, tmp_path):
    out = tmp_path / "submissions"
    result = collect(_client(github), "course", "lab1", DEADLINE, out)
    assert set(result.students) == {"Alice", "bob", "dave"}
    assert result.students["Alice"].status == COLLECTED
    assert json.loads((out / "Alice" / "lab.ipynb").read_text()) == {"v": "alice-1"}
    assert not (out / "Alice" / "notes.txt").exists()
    bob = result.students["bob"]
    assert (bob.status, bob.commit) == (COLLECTED, github.bob_early)
    assert json.loads((out / "bob" / "lab.ipynb").read_text()) == {"v": "bob-early"}  # the late push is not graded
    assert result.students["dave"].status == NO_COMMIT and not (out / "dave").exists()
    manifest = json.loads((out / "collect.json").read_text())
    assert manifest["deadline"] == DEADLINE and manifest["students"]["bob"]["repository"] == "course/lab1-bob"
    assert manifest["students"]["bob"]["notebooks"] == ["lab.ipynb"]
    commits = [r["path"] for r in github.requests if r["path"].split("?")[0].endswith("/commits")]
    assert all("until=2026-11-30T23%3A59%3A00Z" in p or "until=2026-11-30T23:59:00Z" in p for p in commits)
    assert all(r["headers"]["authorization"] == "Bearer ta-token" for r in github.requests)


def test_a_rerun_fetches_only_changed_repositories(github, tmp_path):
    out = tmp_path / "submissions"
    collect(_client(github), "course", "lab1", DEADLINE, out)
    before = len(github.requests)
    again = collect(_client(github), "course", "lab1", DEADLINE, out)
    assert again.students["Alice"].status == UNCHANGED and again.students["bob"].status == UNCHANGED
    fetched = [r["path"] for r in github.requests[before:] if "/git/" in r["path"]]
    assert fetched == []
    # a later deadline takes bob's late commit, and only bob's repository is read again
    before = len(github.requests)
    later = collect(_client(github), "course", "lab1", "2026-12-01T12:00:00+00:00", out)
    assert later.students["bob"].status == COLLECTED and later.students["Alice"].status == UNCHANGED
    assert json.loads((out / "bob" / "lab.ipynb").read_text()) == {"v": "bob-late"}
    fetched = {r["path"].split("/")[3] for r in github.requests[before:] if "/git/" in r["path"]}
    assert fetched == {"lab1-bob"}


def test_roster_names_who_has_no_repository_or_account(github, tmp_path):
    roster = tmp_path / "classroom_roster.csv"
    roster.write_text('"identifier","github_username","github_id","name"\n'
                      '"a@uni","alice","1","Alice"\n"c@uni","carol","3","Carol"\n"e@uni","","","Eve"\n'
                      '"x@uni","../../etc","9","Mallory"\n')
    out = tmp_path / "submissions"
    result = collect(_client(github), "course", "lab1", DEADLINE, out, roster=roster)
    assert result.students["alice"].status == COLLECTED  # the roster's spelling names the folder
    assert (out / "alice" / "lab.ipynb").is_file()
    assert result.students["carol"].status == NO_REPOSITORY and "lab1-carol" in result.students["carol"].message
    assert result.students["(unlinked) e@uni"].status == NO_ACCOUNT
    assert result.students["../../etc"].status == "error" and not (tmp_path / "etc").exists()
    assert "bob" not in result.students  # not on the roster


def test_repository_listing_follows_every_page(github, tmp_path):
    for n in range(130):
        github.add_repo(f"course/zz-{n:03}", tmp_path / "git" / "alice", feedback_pr=None)
    found = Collector(_client(github), "course", "lab1", DEADLINE, tmp_path / "o").repositories()
    assert set(found) == {"alice", "bob", "dave"}
    assert sum("/orgs/course/repos" in r["path"] for r in github.requests) == 2


def test_a_tree_path_leaving_the_folder_is_refused(github, tmp_path):
    """A hostile tree (say, a crafted API answer) cannot make collect write outside OUT/<user>/."""
    client = _client(github)
    original = client.get

    def hostile(path):
        answer = original(path)
        if "/git/trees/" in path:
            answer["tree"].append({"path": "../../escaped.ipynb", "type": "blob", "sha": answer["tree"][0]["sha"],
                                   "size": 3})
            answer["tree"].append({"path": "/abs.ipynb", "type": "blob", "sha": answer["tree"][0]["sha"], "size": 3})
        return answer

    client.get = hostile
    out = tmp_path / "deep" / "submissions"
    result = collect(client, "course", "lab1", DEADLINE, out, pattern="*/*/*.ipynb")
    assert not (tmp_path / "deep" / "escaped.ipynb").exists() and not (tmp_path / "escaped.ipynb").exists()
    assert "leaves the folder" in result.students["Alice"].message
    # the control: the same entry is what a naive join would have written outside
    assert (out / "Alice" / "../../escaped.ipynb").resolve().parent == tmp_path / "deep"


def test_deadline_must_carry_a_zone():
    assert parse_deadline("2026-12-01T00:59:00+01:00") == "2026-11-30T23:59:00Z"
    with pytest.raises(InputError, match="no time zone"):
        parse_deadline("2026-12-01T00:59:00")
    with pytest.raises(InputError, match="not an ISO 8601"):
        parse_deadline("friday")


def test_manifest_of_another_assignment_is_not_overwritten(github, tmp_path):
    out = tmp_path / "submissions"
    collect(_client(github), "course", "lab1", DEADLINE, out)
    with pytest.raises(InputError, match="use another folder"):
        collect(_client(github), "course", "other", DEADLINE, out)
    assert read_manifest(out).prefix == "lab1"


def test_cli(github, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ta-token")
    out = tmp_path / "submissions"
    args = ["collect", "--org", "course", "--prefix", "lab1", "--deadline", DEADLINE, "--out", str(out),
            "--api-url", github.url]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "2 collected" in result.output and "1 no commit before the deadline" in result.output
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 3 and "HTTP 401" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, [*args[:6], "tomorrow", *args[7:]])
    assert result.exit_code == 2 and "ISO 8601" in result.output


def test_the_token_comes_from_the_environment_or_gh(tmp_path, monkeypatch):
    from grader.platforms.github_api import token_from_environment

    assert token_from_environment({"GITHUB_TOKEN": "a", "GH_TOKEN": "b"}) == "a"
    assert token_from_environment({"GH_TOKEN": "b "}) == "b"
    gh = tmp_path / "bin" / "gh"
    gh.parent.mkdir()
    gh.write_text('#!/bin/sh\n[ "$1 $2" = "auth token" ] && echo gh-token\n')
    gh.chmod(0o755)
    monkeypatch.setenv("PATH", str(gh.parent))
    assert token_from_environment({}) == "gh-token"
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert token_from_environment({}) == ""


def test_a_backdated_commit_pushed_after_the_deadline_is_not_taken(github, tmp_path):
    """The attack: after the deadline, push a commit whose date says it was made before.

    GitHub's ``commits?until=`` believes the date (the control below); a collection already made after the
    deadline is what counts, so the rerun keeps what it found then.
    """
    out = tmp_path / "submissions"
    first = collect(_client(github), "course", "lab1", DEADLINE, out)  # collected_at is now, after the deadline
    assert first.collected_at > DEADLINE
    alice = tmp_path / "git" / "alice"
    forged = commit_files(alice, {"lab.ipynb": '{"v": "alice-forged"}'}, "2026-11-30T12:00:00Z")
    dave = tmp_path / "git" / "dave"
    dave_forged = commit_files(dave, {"lab.ipynb": '{"v": "dave-forged"}'}, "2026-11-30T12:00:00Z")
    client = _client(github)
    # the control: the API answers the forged commits as the last ones before the deadline
    assert client.get(f"/repos/course/lab1-Alice/commits?until={DEADLINE}&per_page=1")[0]["sha"] == forged
    assert client.get(f"/repos/course/lab1-dave/commits?until={DEADLINE}&per_page=1")[0]["sha"] == dave_forged
    again = collect(client, "course", "lab1", DEADLINE, out)
    assert again.students["Alice"].commit == first.students["Alice"].commit != forged
    assert "backdated" in again.students["Alice"].message
    assert json.loads((out / "Alice" / "lab.ipynb").read_text()) == {"v": "alice-1"}
    assert again.students["dave"].status == NO_COMMIT and "backdated" in again.students["dave"].message
    assert not (out / "dave").exists()
    # for a deadline still to come nothing is settled: the forged commit is simply the latest one
    early = tmp_path / "early"
    Collector(client, "course", "lab1", "2027-01-01T00:00:00Z", early).collect()
    assert read_manifest(early).students["Alice"].commit == forged


def test_by_push_takes_where_the_branch_stood_at_the_deadline(github, tmp_path):
    """GitHub's record of pushes cannot be backdated: a forged commit pushed late is not taken, even at first."""
    alice = tmp_path / "git" / "alice"
    honest = git_head(alice)
    github.push("course/lab1-Alice", honest, "2026-11-29T10:00:05Z")
    forged = commit_files(alice, {"lab.ipynb": '{"v": "alice-forged"}'}, "2026-11-30T12:00:00Z")
    github.push("course/lab1-Alice", forged, "2026-12-01T09:30:00Z")  # pushed after the deadline
    bob = github.bob_early
    github.push("course/lab1-bob", bob, "2026-11-28T10:00:00Z")
    github.push("course/lab1-bob", git_head(tmp_path / "git" / "bob"), "2026-11-30T23:58:59Z", kind="force_push")
    out = tmp_path / "submissions"
    # the control: by commit date, the forged commit is the last one before the deadline
    by_date = collect(_client(github), "course", "lab1", DEADLINE, tmp_path / "by-date")
    assert by_date.students["Alice"].commit == forged
    result = collect(_client(github), "course", "lab1", DEADLINE, out, by="push")
    assert result.students["Alice"].commit == honest and result.students["Alice"].pushed_at == "2026-11-29T10:00:05Z"
    assert json.loads((out / "Alice" / "lab.ipynb").read_text()) == {"v": "alice-1"}
    # bob's late-dated commit was force-pushed a second before the deadline: by push, it counts
    assert result.students["bob"].commit == git_head(tmp_path / "git" / "bob")
    assert json.loads((out / "bob" / "lab.ipynb").read_text()) == {"v": "bob-late"}
    assert result.students["dave"].status == NO_COMMIT and "pushed" in result.students["dave"].message
    activity = [r["path"] for r in github.requests if "/activity" in r["path"]]
    assert activity and all("ref=refs%2Fheads%2Fmain" in p for p in activity)
