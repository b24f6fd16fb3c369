"""A course run on GitHub end to end, against the local fake GitHub API (tests/fake_github.py) with
tests/batchfakes.py standing in for `grader check`: Canvas roster → course file → template → repositories,
invitations, Feedback pull requests → pushes → collect at each student's deadline → batch with the late
policy → comments → grades.csv and the Canvas CSV; then every step again, which changes nothing.

The class: a team of two (bo, cy) late past the grace; dee, who never accepts; eve, with an extension; fay,
late within the grace; hal, who pushes a commit dated before the deadline after it. Every request is checked
against GitHub's OpenAPI description (tests/github_openapi.py).
"""

from __future__ import annotations

import csv
import json

from batchfakes import REPORT, WRITE, fake, notebook
from click.testing import CliRunner
from fake_github import FakeGitHub
from github_openapi import problems

from grader.batch.class_grading import ClassOptions, grade_class
from grader.batch.planning import BatchOptions
from grader.cli import main
from grader.platforms.feedback import post_class_feedback
from grader.platforms.github_api import GitHubClient

CANVAS = ('Student,ID,SIS User ID,SIS Login ID,Section\n'
          '    Points Possible,,,,\n'
          '"Berg, Bo",12,S2,bo@uni.example,Mon\n"Chen, Cy",13,S3,cy@uni.example,Mon\n'
          '"Diaz, Dee",14,S4,dee@uni.example,Tue\n"Eze, Eve",15,S5,eve@uni.example,Tue\n'
          '"Fox, Fay",16,S6,fay@uni.example,Mon\n"Holm, Hal",18,S8,hal@uni.example,Tue\n')
LOGINS = ("email,github_username,team\nbo@uni.example,bo,red\ncy@uni.example,cy,red\ndee@uni.example,dee,\n"
          "eve@uni.example,eve,\nfay@uni.example,fay,\nhal@uni.example,hal,\n")
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


def _pushed_notebook(tmp_path, source):
    return notebook(tmp_path / "nb" / "lab.ipynb", source).read_text()


def _steps(tmp_path, github):
    """Every step after the pushes; returns what the batch gave."""
    base = ["--course", str(tmp_path / "course.yaml"), "--lab", "01-rnn-cells", "--api-url", github.url]
    collected = CliRunner().invoke(main, ["collect", *base, "--out", str(tmp_path / "submissions")])
    assert collected.exit_code == 0, collected.output
    script = (REPORT + f"open({str(tmp_path / 'graded.txt')!r}, 'a').write('x')\n" + WRITE
              + "pathlib.Path(sys.argv[3]).write_text('## %g/%g points\\n' % (report['score'], report['max_score']))\n")
    options = BatchOptions(out_dir=tmp_path / "grading", seed=5, no_sandbox=True,
                           argv=(*fake(script), "{markdown}"))
    result = grade_class([tmp_path / "submissions"], options,
                         ClassOptions(sequential=True, roster=tmp_path / "roster.csv", gradebooks=("canvas", "csv")))
    client = GitHubClient("ta-token", github.url)
    outcomes = post_class_feedback([tmp_path / "submissions"], result.batch.rows, tmp_path / "grading", client)
    return collected, result, outcomes


def _class(tmp_path, github, course_text=COURSE):
    """Roster, course file, template, repositories, invitations accepted (not dee's), the pushes."""
    (tmp_path / "canvas.csv").write_text(CANVAS)
    (tmp_path / "logins.csv").write_text(LOGINS)
    (tmp_path / "course.yaml").write_text(course_text)
    runner = CliRunner()
    result = runner.invoke(main, ["roster", "import", str(tmp_path / "canvas.csv"), "--from", "canvas",
                                  "--github", str(tmp_path / "logins.csv"), "--out", str(tmp_path / "roster.csv")])
    assert result.exit_code == 0 and "6 students, 1 team" in result.output, result.output
    starter = tmp_path / "starter"
    notebook(starter / "lab.ipynb", "")
    base = ["--course", str(tmp_path / "course.yaml"), "--lab", "01-rnn-cells", "--api-url", github.url]
    assert runner.invoke(main, ["provision", "template", *base, "--starter", str(starter)]).exit_code == 0
    result = runner.invoke(main, ["provision", "repos", *base])
    assert result.exit_code == 0 and "5 repositories: 5 changed" in result.output, result.output
    for repository, login in (("red", "bo"), ("red", "cy"), ("eve", "eve"), ("fay", "fay"), ("hal", "hal")):
        github.accept(f"course/lab1-{repository}", login)
    github.student_push("course/lab1-red", "cy", {"lab.ipynb": _pushed_notebook(tmp_path, "fail: lstm-step")},
                        "2026-12-01T01:00:00Z")  # 2 h late: 10%
    github.student_push("course/lab1-eve", "eve", {"lab.ipynb": _pushed_notebook(tmp_path, "# eve")},
                        "2026-12-01T20:00:00Z")  # her own deadline is two days later
    github.student_push("course/lab1-fay", "fay", {"lab.ipynb": _pushed_notebook(tmp_path, "# fay")},
                        "2026-11-30T23:10:00Z")  # 11 minutes late, within the grace
    github.hal_first = github.student_push(
        "course/lab1-hal", "hal", {"lab.ipynb": _pushed_notebook(tmp_path, "fail: lstm-step, gru-step")},
        "2026-11-30T20:00:00Z")  # on time, 16 points
    github.student_push("course/lab1-hal", "hal", {"lab.ipynb": _pushed_notebook(tmp_path, "fail: gru-step")},
                        "2026-12-02T10:00:00Z", date="2026-11-30T21:00:00Z")  # backdated, 35 h late: 20%
    return runner, base


def test_a_course_on_github_from_roster_to_gradebook(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ta-token")
    github = FakeGitHub(root=tmp_path / "github").start()
    try:
        runner, base = _class(tmp_path, github)
        status = runner.invoke(main, ["provision", "status", *base])
        assert "course/lab1-dee" in status.output and "2026-12-01T01:00:00Z" in status.output

        collected, result, outcomes = _steps(tmp_path, github)
        grades = {row["student"]: row for row in csv.DictReader((tmp_path / "grading" / "grades.csv").open())}
        assert set(grades) == {"bo", "cy", "eve", "fay", "hal"}  # dee pushed nothing
        wanted = {"bo": ("19", "10", "17.1", "2.02"), "cy": ("19", "10", "17.1", "2.02"),
                  "eve": ("22", "0", "22", "0"), "fay": ("22", "0", "22", "0.18"), "hal": ("19", "20", "15.2", "35.02")}
        assert {s: (g["raw_score"], g["penalty_percent"], g["score"], g["hours_late"]) for s, g in grades.items()} == wanted
        assert grades["hal"]["pushed_at"] == "2026-12-02T10:00:00Z" and grades["eve"]["deadline"] == "2026-12-02T22:59:00Z"
        canvas = list(csv.reader((tmp_path / "grading" / "gradebook-canvas.csv").open()))
        assert ["Bo Berg", "", "S2", "", "", "17.1"] in canvas and ["Hal Holm", "", "S8", "", "", "15.2"] in canvas
        assert ["Dee Diaz", "", "S4", "", "", ""] in canvas
        generic = {row["github_username"]: row for row in csv.DictReader((tmp_path / "grading" / "gradebook-csv.csv").open())}
        assert generic["hal"]["01-rnn-cells"] == "15.2"
        assert "late policy: 1 on time, 4 late (1 within the grace); 3 with a penalty of 10% to 20%" in result.summary_text
        assert {o.status for o in outcomes} == {"posted"} and len(outcomes) == 5
        hal_comment = github.comments_on("course/lab1-hal", 1)[0]["body"]
        assert "2 days begun × 10% = 20% off" in hal_comment and "19 − 20% = **15.2** of 22" in hal_comment
        assert "within the 15 minutes' grace" in github.comments_on("course/lab1-fay", 1)[0]["body"]
        assert len(github.comments_on("course/lab1-red", 1)) == 2  # one report for each member
        assert problems(github.requests) == []

        # every step again: nothing changes
        before = len(github.requests)
        files = {name: (tmp_path / "grading" / name).read_text() for name in
                 ("grades.csv", "gradebook-canvas.csv", "gradebook-csv.csv", "students.csv")}
        comments = {name: [c["body"] for c in repo.comments.get(1, [])] for name, repo in github.repos.items()}
        graded = (tmp_path / "graded.txt").read_text()
        result = runner.invoke(main, ["provision", "repos", *base])
        assert "5 repositories: 0 changed, 0 found changed, 0 with problems" in result.output
        again, batch_again, outcomes_again = _steps(tmp_path, github)
        assert json.loads((tmp_path / "submissions" / "collect.json").read_text())["students"]["hal"]["status"] == "unchanged"
        assert (tmp_path / "graded.txt").read_text() == graded  # every submission resumed, none graded again
        assert {name: (tmp_path / "grading" / name).read_text() for name in files} == files
        assert {name: [c["body"] for c in repo.comments.get(1, [])] for name, repo in github.repos.items()} == comments
        writes = [f"{r['method']} {r['path']}" for r in github.requests[before:] if r["method"] not in ("GET",)]
        assert all("/comments" in w for w in writes), writes  # only the comments, edited with the same text
    finally:
        github.stop()


def test_counts_best_grades_every_push_and_keeps_the_best_after_its_penalty(tmp_path, monkeypatch):
    """hal's late push scores 19 raw, 15.2 after its 20%; his earlier on-time push 16: that one counts."""
    monkeypatch.setenv("GITHUB_TOKEN", "ta-token")
    github = FakeGitHub(root=tmp_path / "github").start()
    try:
        _class(tmp_path, github, COURSE.replace("flavour: torch", "flavour: torch\n    counts: best"))
        collected, result, outcomes = _steps(tmp_path, github)
        rows = [row for row in csv.DictReader((tmp_path / "grading" / "grades.csv").open()) if row["student"] == "hal"]
        assert sorted((r["score"], r["penalty_percent"], r["counted"]) for r in rows) == [
            ("15.2", "20", "no"), ("16", "0", "yes")]
        canvas = list(csv.reader((tmp_path / "grading" / "gradebook-canvas.csv").open()))
        assert ["Hal Holm", "", "S8", "", "", "16"] in canvas
        comments = github.comments_on("course/lab1-hal", 1)
        assert len(comments) == 1 and f"`{github.hal_first[:12]}` pushed 2026-11-30T20:00:00Z, the best of your 2 pushes" \
            in comments[0]["body"]
        assert "**On time**" in comments[0]["body"]
        assert len([o for o in outcomes if o.student == "hal"]) == 1
        assert problems(github.requests) == []
    finally:
        github.stop()
