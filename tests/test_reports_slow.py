"""One grading run of the lab 01 reference writes every format; a starter repo's notebook grades end to end."""

from __future__ import annotations

import json

import nbformat
import pytest
from click.testing import CliRunner
from test_formats import check_classroom, check_gradescope, check_junit, check_markdown

from grader.cli import main
from grader.course.labs import load_lab
from grader.platforms.starter import write_starter
from grader.reports.formats.markdown import MARKER_PREFIX
from grader.reports.report import CheckResult, Report

pytestmark = pytest.mark.slow


def _report_from_json(data):
    report = Report(data["lab"], data["framework"], data["notebook"], seed=data["seed"])
    report.checks = [CheckResult(c["id"], c["title"], c["score"], c["max_score"], c["status"], c["message"],
                                 c.get("visibility", "public"), c["seconds"]) for c in data["checks"]]
    return report


def test_reference_run_writes_every_format(root, tmp_path, monkeypatch):
    summary, outputs = tmp_path / "summary.md", tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    names = ["json", "markdown", "gradescope", "junit", "classroom"]
    files = {name: tmp_path / "out" / f"report.{name}" for name in names}
    args = ["check", str(root / "reference" / "torch" / "01-rnn-cells.ipynb"), "-q", "--seed", "1",
            "--executed", str(tmp_path / "out" / "executed.ipynb")]
    for name in names:
        args += ["--format", name, "--output", str(files[name])]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = _report_from_json(json.loads(files["json"].read_text()))
    assert report.score == report.max_score == 22
    check_markdown(files["markdown"].read_text(), report)
    check_gradescope(files["gradescope"].read_text(), report, root)
    check_junit(files["junit"].read_text(), report)
    check_classroom(files["classroom"].read_text(), report, root)
    assert "::notice title=Autograding complete::Points 22/22" in result.output
    assert summary.read_text().startswith(MARKER_PREFIX)
    assert outputs.read_text().startswith("result=")
    executed = nbformat.read(tmp_path / "out" / "executed.ipynb", as_version=4)
    assert any(cell.get("outputs") for cell in executed.cells if cell.cell_type == "code")


def test_unusable_notebook_still_writes_zero_reports(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["check", str(broken), "--lab", "01-rnn-cells", "--framework", "torch",
                                       "--format", "json", "--output", str(out)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    data = json.loads(out.read_text())
    assert data["score"] == 0 and data["max_score"] == 22
    assert all(c["status"] == "failed" and "not graded" in c["message"] for c in data["checks"])


def test_starter_notebook_with_the_solution_pasted_in_gets_full_marks(root, tmp_path):
    lab = load_lab("01-rnn-cells")
    repo = tmp_path / "repo"
    write_starter(lab, "torch", repo)
    path = repo / "01-rnn-cells-torch.ipynb"
    student = nbformat.read(path, as_version=4)
    reference = nbformat.read(root / "reference" / "torch" / "01-rnn-cells.ipynb", as_version=4)
    solutions = {cell.source.split("\n", 1)[0]: cell.source for cell in reference.cells if cell.cell_type == "code"}
    pasted = 0
    for cell in student.cells:
        if cell.cell_type == "code" and "NotImplementedError" in cell.source and cell.source.split("\n", 1)[0] in solutions:
            cell.source = solutions[cell.source.split("\n", 1)[0]]
            pasted += 1
    assert pasted >= 6
    nbformat.write(student, path)
    result = CliRunner().invoke(main, ["check", str(path), "-q", "--format", "json"])
    data = json.loads(result.output[result.output.index("{"):])
    assert result.exit_code == 0 and data["score"] == data["max_score"] == 22, result.output
