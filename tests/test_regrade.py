"""Regrading a subset of a batch (tests/batchfakes.py stands in for `grader check`): only the chosen
submissions are graded again, the table lists every changed score, grades.csv and the exports follow."""

from __future__ import annotations

import csv

import pytest
from batchfakes import REPORT, WRITE, fake, notebook
from click.testing import CliRunner

from grader import cli
from grader.batch.class_grading import ClassOptions, grade_class
from grader.batch.planning import BatchOptions
from grader.batch.regrade import regrade
from grader.errors import InputError

# the check fixed: lstm-step now passes whatever the notebook says
FIXED = ("for c in report['checks']:\n"
         "    if c['id'] == 'lstm-step': c.update(score=c['max_score'], status='passed', message='')\n"
         "report['score'] = sum(c['score'] for c in report['checks'])\n")


def _count(tmp_path):
    return f"open({str(tmp_path / 'graded.txt')!r}, 'a').write(sys.argv[2] + '\\n')\n"


def _options(tmp_path, script):
    return BatchOptions(out_dir=tmp_path / "out", seed=5, argv=fake(script), no_sandbox=True)


@pytest.fixture()
def graded(tmp_path):
    for student, failing in (("alice", ""), ("bob", "fail: lstm-step"), ("carol", "fail: lstm-step, gru-step")):
        notebook(tmp_path / "class" / student / "lab01.ipynb", failing)
    roster = tmp_path / "roster.csv"
    roster.write_text("identifier,github_username,name\nA1,alice,Alice\nB2,bob,Bob\nC3,carol,Carol\n")
    how = ClassOptions(sequential=True, roster=roster, gradebooks=("canvas",))
    grade_class([tmp_path / "class"], _options(tmp_path, REPORT + _count(tmp_path) + WRITE), how)
    (tmp_path / "graded.txt").unlink()
    return how


def _scores(path):
    return {row["submission"]: row["score"] for row in csv.DictReader(path.open())}


def test_only_the_chosen_students_are_regraded_and_the_changes_listed(tmp_path, graded):
    fixed = _options(tmp_path, REPORT + FIXED + _count(tmp_path) + WRITE)
    before = _scores(tmp_path / "out" / "grades.csv")
    assert before == {"alice__lab01": "22", "bob__lab01": "19", "carol__lab01": "16"}
    # the control: the batch run again with the fixed check resumes everyone, bob keeps his old score
    grade_class([tmp_path / "class"], fixed, graded)
    assert _scores(tmp_path / "out" / "grades.csv") == before and not (tmp_path / "graded.txt").exists()
    result = regrade([tmp_path / "class"], fixed, graded, students=["Bob"])
    assert result.regraded == ["bob__lab01"]
    assert (tmp_path / "graded.txt").read_text().count("\n") == 1  # alice and carol were resumed, not graded
    assert _scores(tmp_path / "out" / "grades.csv") == {"alice__lab01": "22", "bob__lab01": "22",
                                                        "carol__lab01": "16"}
    table = list(csv.DictReader(result.table.open()))
    assert table == [{"submission": "bob__lab01", "student": "bob", "lab": "01-rnn-cells", "score_before": "19",
                      "score_after": "22", "change": "+3", "status_before": "graded", "status_after": "graded"}]
    canvas = list(csv.reader((tmp_path / "out" / "gradebook-canvas.csv").open()))
    assert ["Bob", "", "B2", "", "", "22"] in canvas  # the export follows the regrade


def test_a_lab_subset_and_unknown_students(tmp_path, graded):
    result = regrade([tmp_path / "class"], _options(tmp_path, REPORT + FIXED + WRITE), graded, labs=["01-rnn-cells"])
    assert sorted(result.regraded) == ["alice__lab01", "bob__lab01", "carol__lab01"]
    assert [(c.student, c.before, c.after) for c in result.changes] == [("bob", "19", "22"), ("carol", "16", "19")]
    with pytest.raises(InputError, match="no submission of zed in the batch"):
        regrade([tmp_path / "class"], _options(tmp_path, REPORT + WRITE), graded, students=["zed"])
    with pytest.raises(InputError, match="no grades.csv|no .*grades.csv"):
        regrade([tmp_path / "class"], BatchOptions(out_dir=tmp_path / "none", argv=fake(WRITE)), graded, students=["bob"])


def test_regrade_command(tmp_path, graded, monkeypatch):
    seen = {}

    def fake_regrade(paths, options, how, students, labs, listener):
        seen.update(paths=paths, students=students, labs=labs, out=options.out_dir, gradebooks=how.gradebooks)
        raise InputError("stop here")

    monkeypatch.setattr("grader.batch.regrade.regrade", fake_regrade)
    result = CliRunner().invoke(cli.main, ["regrade", str(tmp_path / "class"), "--out", str(tmp_path / "out"),
                                           "--student", "bob", "--gradebook", "canvas"])
    assert result.exit_code == 2 and "stop here" in result.output
    assert seen["students"] == ("bob",) and seen["gradebooks"] == ("canvas",)
    result = CliRunner().invoke(cli.main, ["regrade", str(tmp_path / "class")])
    assert result.exit_code == 2 and "--student LOGIN and/or --only-lab LAB" in result.output
