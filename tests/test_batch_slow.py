"""``grader batch`` end to end: real submissions, real kernels, two at a time, one of them not a notebook."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from click.testing import CliRunner

from grader.cli import main

pytestmark = pytest.mark.slow


def test_batch_grades_a_class_and_keeps_going_past_a_broken_submission(root, tmp_path):
    submissions = tmp_path / "class"
    for student, flavour in (("alice", "torch"), ("bob", "keras")):
        (submissions / student).mkdir(parents=True)
        shutil.copy(root / "tests" / "submissions" / f"01-rnn-cells-{flavour}-sample.ipynb",
                    submissions / student / "lab01.ipynb")
    (submissions / "carol").mkdir()
    (submissions / "carol" / "lab01.ipynb").write_text("{ this is not json")
    out = tmp_path / "grading"
    result = CliRunner().invoke(main, ["batch", str(submissions), "--out", str(out), "--jobs", "2",
                                       "--lab", "01-rnn-cells", "--seed", "7"])
    assert result.exit_code == 0, result.output
    rows = {row["submission"]: row for row in csv.DictReader((out / "grades.csv").open())}
    assert set(rows) == {"alice__lab01", "bob__lab01", "carol__lab01"}
    assert rows["alice__lab01"]["status"] == "graded" and rows["alice__lab01"]["score"] == "17"
    assert rows["alice__lab01"]["lstm-step"] == "0" and rows["alice__lab01"]["rnn-step"] != "0"
    assert rows["bob__lab01"]["status"] == "graded" and float(rows["bob__lab01"]["score"]) < 22
    assert rows["carol__lab01"]["status"] == "not graded" and rows["carol__lab01"]["score"] == "0"
    assert "not" in rows["carol__lab01"]["message"] and rows["carol__lab01"]["max_score"] == "22"
    report = json.loads((out / "alice__lab01.json").read_text())
    assert report["seed"] == 7 and report["framework"] == "torch"
    assert (out / "alice__lab01.md").is_file() and (out / "alice__lab01.executed.ipynb").is_file()
