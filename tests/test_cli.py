"""The command line: exit codes, one-line errors for bad input, no framework imported for help."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.reports.formats import json_format, terminal
from grader.reports.report import CellEvent, CheckResult, Report


@pytest.fixture()
def runner():
    return CliRunner()


def test_list_shows_labs_and_points(runner):
    result = runner.invoke(main, ["list"])
    assert result.exit_code == 0
    assert "01-rnn-cells" in result.output and "keras" in result.output and "pts" in result.output


@pytest.mark.parametrize("content, message", [
    ("this is not json", "not a Jupyter notebook"),
    (json.dumps({"nbformat": 4}), "no list of cells"),
    (json.dumps({"nbformat": 3, "cells": []}), "nbformat 3 is not supported"),
])
def test_unusable_notebooks_exit_2(runner, tmp_path, content, message):
    path = tmp_path / "sub.ipynb"
    path.write_text(content)
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_unreadable_notebook_of_a_known_lab_is_out_of_the_labs_points(runner, tmp_path):
    # the flavour cannot be told from a broken file: the zero report still carries the lab's maximum
    path, out = tmp_path / "sub.ipynb", tmp_path / "report.json"
    path.write_text("{ not json")
    result = runner.invoke(main, ["check", str(path), "--lab", "01-rnn-cells", "--format", "json", "--output", str(out)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    data = json.loads(out.read_text())
    assert data["score"] == 0 and data["max_score"] == 22 and data["framework"] == "unknown"
    assert any("could not be told" in note for note in data["notes"])


def test_missing_file_unknown_lab_and_flavour(runner, tmp_path):
    assert runner.invoke(main, ["check", str(tmp_path / "none.ipynb")]).exit_code == 2
    import nbformat

    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), path)
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 2 and "--lab" in result.output
    result = runner.invoke(main, ["check", str(path), "--lab", "99-nothing", "--framework", "torch"])
    assert result.exit_code == 2 and "unknown lab '99-nothing'" in result.output
    result = runner.invoke(main, ["check", str(path), "--lab", "01-rnn-cells"])
    assert result.exit_code == 2 and "--framework" in result.output
    result = runner.invoke(main, ["check", str(path), "--format", "pdf"])
    assert result.exit_code == 2 and "no report format named 'pdf'" in result.output
    result = runner.invoke(main, ["check", str(path), "--format", "json", "--format", "terminal", "--output", "a"])
    assert result.exit_code == 2


def test_release_check_reports_up_to_date(runner):
    result = runner.invoke(main, ["release", "--check"])
    assert result.exit_code == 0 and "up to date" in result.output


def test_validate_unknown_lab_exits_2(runner):
    assert runner.invoke(main, ["validate", "00-none"]).exit_code == 2


def test_help_imports_no_framework():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from grader.cli import main\n"
        "for args in (['--help'], ['check', '--help'], ['list'], ['release', '--check']):\n"
        "    assert CliRunner().invoke(main, args).exit_code == 0, args\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'torch', 'nbclient') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _report():
    report = Report("01-rnn-cells", "torch", "sub.ipynb", seed=5)
    report.checks = [
        CheckResult("a", "first", 2, 2, "passed", "fine"),
        CheckResult("b", "second", 0, 3, "failed", "rnn_step(x) returned shape (1,), expected (2, 4)"),
        CheckResult("c", "third", 0, 1, "error", "the check could not run", visibility="hidden"),
    ]
    report.cells = [CellEvent(3, "timeout", "cell 4 ran longer than 60 s")]
    return report


def test_json_report_has_the_documented_fields():
    data = json.loads(json_format.render(_report()))
    assert {"lab", "framework", "score", "max_score", "checks"} <= set(data)
    assert data["score"] == 2 and data["max_score"] == 6
    assert [c["status"] for c in data["checks"]] == ["passed", "failed", "error"]
    for check in data["checks"]:
        assert {"id", "title", "score", "max_score", "status", "message"} <= set(check)
    assert data["cells"][0]["status"] == "timeout"


def test_terminal_report_shows_score_and_messages():
    text = terminal.render(_report())
    assert "2/6" in text.replace(" ", "") or "2 / 6" in text
    assert "rnn_step(x) returned shape" in text and "cell 4" in text


# -- messages that say what is wrong, in the order a user meets it --------------------------------------

def test_check_of_a_folder_says_it_is_a_folder_and_names_the_notebooks_in_it(runner, tmp_path):
    import nbformat

    for name in ("lab01.ipynb", "b/lab04.ipynb", ".ipynb_checkpoints/lab01-checkpoint.ipynb"):
        (tmp_path / "sub" / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / "sub" / name)
    result = runner.invoke(main, ["check", str(tmp_path / "sub")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no such file" not in errors[0]
    assert "is a folder" in errors[0] and "lab01.ipynb" in errors[0] and "b/lab04.ipynb" in errors[0]
    assert "checkpoint" not in errors[0]
    (tmp_path / "empty").mkdir()
    result = runner.invoke(main, ["check", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "is a folder" in result.output and "holds no notebook" in result.output
    # with --output (a CI step), the unusable report is still written and says the same
    out = tmp_path / "report.json"
    result = runner.invoke(main, ["check", str(tmp_path / "sub"), "--lab", "01-rnn-cells", "--format", "json",
                                  "--output", str(out)])
    assert result.exit_code == 2 and "is a folder" in json.dumps(json.loads(out.read_text()))


def test_starter_names_an_unknown_lab_before_anything_else(runner, tmp_path):
    result = runner.invoke(main, ["starter", "no-such-lab", str(tmp_path / "repo")])
    assert result.exit_code == 2 and "unknown lab 'no-such-lab'" in result.output
    assert "--framework" not in result.output
    result = runner.invoke(main, ["starter", "no-such-lab", str(tmp_path / "repo"), "--staff-workflow"])
    assert result.exit_code == 2 and "unknown lab 'no-such-lab'" in result.output and "--org" not in result.output
    result = runner.invoke(main, ["starter", "01-rnn-cells", str(tmp_path / "repo")])  # a known lab: the flavour
    assert result.exit_code == 2 and "--framework is required" in result.output


def test_printing_a_report_to_the_terminal_uses_no_deprecated_click(runner, tmp_path, monkeypatch):
    import warnings

    import grader.judging.grading

    monkeypatch.setattr(grader.judging.grading, "grade", lambda *args, **kwargs: _report())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = runner.invoke(main, ["check", str(tmp_path / "sub.ipynb"), "--no-sandbox", "--quiet"])
    assert result.exit_code == 1 and "rnn_step(x) returned shape" in result.output, result.output
    deprecated = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    assert not [message for message in deprecated if "click" in message.lower() or "get_text_stream" in message]
