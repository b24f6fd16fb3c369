"""Batch grading: naming, one process per submission, and a row for every submission whatever happens."""

from __future__ import annotations

import csv
import json
import sys

import pytest

from grader.batch import GRADED, GRADER_ERROR, NOT_GRADED, find_submissions, grade_batch, write_gradebook
from grader.errors import InputError


def _notebook(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_submissions_in_folders_get_unique_names(tmp_path):
    _notebook(tmp_path / "class" / "alice" / "lab 01.ipynb")
    _notebook(tmp_path / "class" / "bob" / "lab 01.ipynb")
    _notebook(tmp_path / "class" / "bob" / ".ipynb_checkpoints" / "lab 01-checkpoint.ipynb")
    single = _notebook(tmp_path / "alice__lab_01.ipynb")
    found = find_submissions([tmp_path / "class", single])
    assert [s.name for s in found] == ["alice__lab_01", "bob__lab_01", "alice__lab_01-2"]
    assert found[2].path == single


def test_nothing_to_grade_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        find_submissions([tmp_path / "missing.ipynb"])
    with pytest.raises(InputError, match="no notebooks"):
        find_submissions([tmp_path])


def _fake(script):
    """A stand-in for ``grader check``: a Python snippet given the report path and the notebook path."""
    def command(submission, out_dir, options):
        return [sys.executable, "-c", script, str(out_dir / f"{submission.name}.json"), str(submission.path)]
    return command


REPORT = (
    "import json, sys, pathlib\n"
    "name = pathlib.Path(sys.argv[2]).stem\n"
    "checks = [{'id': 'a', 'score': 2.0}, {'id': name, 'score': 1.0}]\n"
    "pathlib.Path(sys.argv[1]).write_text(json.dumps({'lab': 'L', 'framework': 'torch', 'score': 3.0,\n"
    "    'max_score': 5.0, 'checks': checks, 'cells': [{'index': 1}], 'notes': []}))\n"
)


def test_every_submission_gets_a_row_whatever_its_grading_does(tmp_path):
    subs = find_submissions([_notebook(tmp_path / n) for n in ("ok.ipynb", "crash.ipynb", "hang.ipynb", "bad.ipynb")])
    script = (
        "import sys, time, pathlib\n"
        "stem = pathlib.Path(sys.argv[2]).stem\n"
        "if stem == 'crash':\n    print('Traceback ...\\nZeroDivisionError: boom', file=sys.stderr); sys.exit(3)\n"
        "if stem == 'hang':\n    time.sleep(30)\n"
        + REPORT +
        "if stem == 'bad':\n    print('error: not a notebook', file=sys.stderr); sys.exit(2)\n"
    )
    rows = grade_batch(subs, tmp_path / "out", jobs=4, timeout=5, command=_fake(script))
    by_name = {row.name: row for row in rows}
    assert [row.name for row in rows] == ["ok", "crash", "hang", "bad"]
    assert by_name["ok"].status == GRADED and by_name["ok"].score == 3.0 and by_name["ok"].max_score == 5.0
    assert by_name["ok"].message == "1 cell(s) failed"
    assert by_name["crash"].status == GRADER_ERROR and "ZeroDivisionError: boom" in by_name["crash"].message
    assert by_name["hang"].status == GRADER_ERROR and "within 5 s" in by_name["hang"].message
    assert by_name["bad"].status == NOT_GRADED and by_name["bad"].message == "error: not a notebook"

    write_gradebook(rows, tmp_path / "grades.csv")
    table = list(csv.DictReader((tmp_path / "grades.csv").open()))
    assert [r["submission"] for r in table] == ["ok", "crash", "hang", "bad"]
    assert table[0]["score"] == "3" and table[0]["a"] == "2" and table[0]["ok"] == "1" and table[0]["bad"] == ""
    assert table[1]["score"] == "0" and table[1]["status"] == GRADER_ERROR
    assert table[3]["bad"] == "1" and table[3]["status"] == NOT_GRADED


def test_a_stale_report_is_never_read_back(tmp_path):
    sub = find_submissions([_notebook(tmp_path / "x.ipynb")])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.json").write_text(json.dumps({"score": 99, "max_score": 99, "checks": []}))
    row = grade_batch(sub, tmp_path / "out", command=_fake("import sys; sys.exit(3)"))[0]
    assert row.status == GRADER_ERROR and row.score == 0


def test_a_submission_past_its_time_is_stopped_with_everything_it_started(tmp_path):
    import time

    import psutil

    sub = find_submissions([_notebook(tmp_path / "slow.ipynb")])
    pid_file = tmp_path / "kernel.pid"
    script = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    row = grade_batch(sub, tmp_path / "out", timeout=3, command=_fake(script))[0]
    assert row.status == GRADER_ERROR and "within 3 s" in row.message
    assert row.seconds < 30  # not the 60 s the child would take to end by itself
    pid = int(pid_file.read_text())
    for _ in range(50):
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the grading process's child (its kernel) was left running")
