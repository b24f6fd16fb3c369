"""`grader collect --course`: each student's own deadline and the late policy, by GitHub's record of pushes,
from repositories `grader provision` made (tests/fake_github.py; every request checked by tests/github_openapi.py).

The class: a team of two (bo, cy) late past the grace; dee, who never accepts the invitation; eve, with a
two-day extension, pushing the day after the class deadline; fay, late within the grace; hal, who pushes on
time and then, after the deadline, a commit dated before it.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fake_github import FakeGitHub
from github_openapi import problems

from grader.cli import main
from grader.course.roster import RosterEntry, write_roster
from grader.platforms.collect import COLLECTED, NO_COMMIT, UNCHANGED, collect, read_manifest
from grader.platforms.github_api import GitHubClient
from grader.platforms.provision import Provisioner

COURSE = """organisation: course
roster: roster.csv
late_policy: {grace_minutes: 15, penalty_percent: 10, per: day, cap_percent: 50}
labs:
  - id: 01-rnn-cells
    flavour: torch
    prefix: lab1
    deadline: 2026-11-30T23:59[Europe/Berlin]
    last_accepted: 2026-12-07T23:59[Europe/Berlin]
extensions:
  - {student: S5, lab: 01-rnn-cells, days: 2, reason: medical}
"""
ROSTER = [RosterEntry("S2", "bo", "Bo", team="red"), RosterEntry("S3", "cy", "Cy", team="red"),
          RosterEntry("S4", "dee", "Dee"), RosterEntry("S5", "eve", "Eve"), RosterEntry("S6", "fay", "Fay"),
          RosterEntry("S8", "hal", "Hal")]
DEADLINE = "2026-11-30T22:59:00Z"  # 23:59 in Berlin


def _notebook(tag):
    return json.dumps({"cells": [], "metadata": {"tag": tag}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture()
def course(tmp_path):
    fake = FakeGitHub(root=tmp_path / "github").start()
    client = GitHubClient("ta-token", fake.url)
    client.sleep = lambda seconds: None
    starter = tmp_path / "starter"
    starter.mkdir()
    (starter / "lab.ipynb").write_text(_notebook("starter"))
    provisioner = Provisioner(client, "course")
    provisioner.publish_template(starter, "template-lab1")
    provisioner.provision("course/template-lab1", "lab1", ROSTER)
    for login in ("bo", "cy", "eve", "fay", "hal"):
        fake.accept(f"course/lab1-{'red' if login in ('bo', 'cy') else login}", login)
    fake.student_push("course/lab1-red", "cy", {"lab.ipynb": _notebook("red-draft")}, "2026-11-29T12:00:00Z")
    fake.student_push("course/lab1-red", "bo", {"lab.ipynb": _notebook("red")}, "2026-12-01T01:00:00Z")
    fake.student_push("course/lab1-eve", "eve", {"lab.ipynb": _notebook("eve")}, "2026-12-01T20:00:00Z")
    fake.student_push("course/lab1-fay", "fay", {"lab.ipynb": _notebook("fay")}, "2026-11-30T23:10:00Z")
    fake.hal_on_time = fake.student_push("course/lab1-hal", "hal", {"lab.ipynb": _notebook("hal")},
                                         "2026-11-30T20:00:00Z")
    fake.hal_forged = fake.student_push("course/lab1-hal", "hal", {"lab.ipynb": _notebook("hal-forged")},
                                        "2026-12-02T10:00:00Z", date="2026-11-30T21:00:00Z")
    (tmp_path / "course.yaml").write_text(COURSE)
    write_roster(ROSTER, tmp_path / "roster.csv")
    fake.client = client
    yield fake
    fake.stop()


def _collect(course, tmp_path, *extra):
    return CliRunner().invoke(main, ["collect", "--course", str(tmp_path / "course.yaml"), "--lab", "01-rnn-cells",
                                     "--out", str(tmp_path / "submissions"), "--api-url", course.url, *extra])


def test_each_student_at_their_own_deadline_with_the_late_policy(course, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ta-token")
    result = _collect(course, tmp_path)
    assert result.exit_code == 0, result.output
    students = read_manifest(tmp_path / "submissions").students
    red = students["bo"]
    assert (red.status, red.repository, red.pushed_at) == (COLLECTED, "course/lab1-red", "2026-12-01T01:00:00Z")
    assert (red.hours_late, red.penalty_percent) == (2.02, 10)
    assert students["cy"].commit == red.commit and students["cy"].penalty_percent == 10  # one repository, one push
    assert json.loads((tmp_path / "submissions" / "cy" / "lab.ipynb").read_text())["metadata"]["tag"] == "red"
    # dee never accepted and never pushed: the staff's set-up of the repository is no submission
    assert students["dee"].status == NO_COMMIT
    eve = students["eve"]
    assert (eve.deadline, eve.penalty_percent, eve.hours_late) == ("2026-12-02T22:59:00Z", 0, 0)
    assert eve.extension == "extended by 2 days: medical" and eve.cutoff == "2026-12-09T22:59:00Z"
    fay = students["fay"]
    assert (fay.hours_late, fay.penalty_percent) == (0.18, 0) and "within the 15 minutes' grace" in fay.late_reason
    # hal's forged commit says 21:00 on the deadline day; GitHub recorded its push 35 hours late
    hal = students["hal"]
    assert hal.commit == course.hal_forged and hal.pushed_at == "2026-12-02T10:00:00Z"
    assert (hal.hours_late, hal.penalty_percent) == (35.02, 20)
    assert "2 days begun × 10% = 20% off" in hal.late_reason and "20% off" in result.output
    assert problems(course.requests) == []
    # the control: by the commit's own date, hal's forged commit is on time
    by_date = collect(course.client, "course", "lab1", DEADLINE, tmp_path / "by-date")
    assert by_date.students["hal"].commit == course.hal_forged and by_date.students["hal"].status == COLLECTED
    # a rerun changes nothing
    before = len(course.requests)
    assert _collect(course, tmp_path).exit_code == 0
    again = read_manifest(tmp_path / "submissions").students
    assert {user: s.status for user, s in again.items() if s.status != NO_COMMIT} == dict.fromkeys(
        ["bo", "cy", "eve", "fay", "hal"], UNCHANGED)
    assert not [r for r in course.requests[before:] if "/git/" in r["path"]]


def test_a_push_after_the_cut_off_is_not_taken(course, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ta-token")
    course.student_push("course/lab1-fay", "fay", {"lab.ipynb": _notebook("fay-too-late")}, "2026-12-08T09:00:00Z")
    course.student_push("course/lab1-eve", "eve", {"lab.ipynb": _notebook("eve-late")}, "2026-12-09T22:00:00Z")
    assert _collect(course, tmp_path).exit_code == 0
    students = read_manifest(tmp_path / "submissions").students
    assert students["fay"].pushed_at == "2026-11-30T23:10:00Z"  # the push before the last accepted time
    # eve's cut-off moved with her extension: her push the day after the class's cut-off still counts
    assert students["eve"].pushed_at == "2026-12-09T22:00:00Z" and students["eve"].penalty_percent == 50


def test_collect_course_options(course, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ta-token")
    result = _collect(course, tmp_path, "--org", "course")
    assert result.exit_code == 2 and "--course takes --lab" in result.output
    result = CliRunner().invoke(main, ["collect", "--out", str(tmp_path / "x"), "--api-url", course.url])
    assert result.exit_code == 2 and "give --org, --prefix, --deadline, or --course and --lab" in result.output


def test_counts_best_collects_every_push_before_the_cut_off(course, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ta-token")
    (tmp_path / "course.yaml").write_text(COURSE.replace("flavour: torch", "flavour: torch\n    counts: best"))
    assert _collect(course, tmp_path).exit_code == 0
    out = tmp_path / "submissions"
    students = read_manifest(out).students
    hal = students["hal"]
    assert hal.counts == "best" and hal.commit == course.hal_forged and hal.penalty_percent == 20
    assert [(e["commit"], e["pushed_at"], e["penalty_percent"]) for e in hal.earlier] == [
        (course.hal_on_time, "2026-11-30T20:00:00Z", 0)]
    folder = out / "hal" / hal.earlier[0]["folder"]
    assert folder.name == f"20261130T200000Z-{course.hal_on_time[:12]}"
    assert json.loads((folder / "lab.ipynb").read_text())["metadata"]["tag"] == "hal"
    assert json.loads((out / "hal" / "lab.ipynb").read_text())["metadata"]["tag"] == "hal-forged"
    # the team's earlier push is cy's draft; the staff's set-up commits are no push of theirs
    assert [e["pushed_at"] for e in students["bo"].earlier] == ["2026-11-29T12:00:00Z"]
    assert students["fay"].earlier == [] and students["dee"].earlier == []
    before = len(course.requests)
    assert _collect(course, tmp_path).exit_code == 0
    assert not [r for r in course.requests[before:] if "/git/" in r["path"]]  # nothing fetched twice
    assert read_manifest(out).students["hal"].earlier == hal.earlier
    assert problems(course.requests) == []
