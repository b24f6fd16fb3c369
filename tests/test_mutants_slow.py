"""``grader mutants`` end to end on a tiny NumPy lab scaffolded by ``grader new``: the equivalent mutants are
filtered in the reference's kernel, the others graded by the batch engine, a known bug killed and a known survivor
reported with its diff."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).resolve().parent / "notebooks" / "numpy_tiny_lab.ipynb"
LAB = "91-tiny-mutants"
# the tiny lab and one more function: the oracle check compares what it returns, not what it does to its argument
CENTRE = """def centre(x):
    # grader: {dims: {n: [2, 6]}, args: [{array: {shape: [n]}}]}
    # BEGIN SOLUTION
    x = x.copy()
    x -= x.mean()
    return x
    # END SOLUTION"""


@pytest.fixture
def course(tmp_path, monkeypatch):
    (tmp_path / "assignments").mkdir()
    (tmp_path / "grader" / "numerics").mkdir(parents=True)  # what marks a private course
    (tmp_path / "grader" / "numerics" / "rnn.py").write_text("")
    monkeypatch.setenv("GRADER_COURSE", str(tmp_path))
    monkeypatch.setenv("GRADER_PRIVATE", str(tmp_path))
    monkeypatch.setenv("GRADER_CACHE", str(tmp_path / "cache"))
    from grader.scaffold import new_lab

    nb = nbformat.read(NOTEBOOK, as_version=4)
    position = next(i for i, cell in enumerate(nb.cells) if "uses-solution" in cell.metadata.get("tags", []))
    nb.cells.insert(position, nbformat.v4.new_code_cell(CENTRE))
    solved = tmp_path / "solved.ipynb"
    nbformat.write(nb, solved)
    new_lab(LAB, solved)
    return tmp_path


def test_grader_mutants_kills_a_known_bug_and_reports_a_survivor(course, tmp_path):
    from grader.cli import main

    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["mutants", LAB, "--framework", "torch", "--function", "centre",
                                       "--sequential", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / f"mutants_{LAB}-torch.json").read_text())
    by_change = {item["description"]: item for item in data["mutants"]}
    assert {item["function"] for item in data["mutants"]} == {"centre"}
    assert data["reference"]["score"] == data["reference"]["max_score"] == 5
    # the mean added instead of subtracted: the oracle check fails it
    killed = by_change["line 5: Sub -> Add"]
    assert killed["status"] == "killed" and killed["failed_checks"] == ["centre"]
    assert killed["equivalence"] == "differs" and killed["diff"] == ""
    # the caller's array centred in place: the same values come back, so the check lets it through
    survivor = by_change["line 4: removed `x = x.copy()`"]
    assert survivor["equivalence"] == "differs" and survivor["status"] == "survived"
    assert [item["id"] for item in data["mutants"] if item["status"] == "survived"] == [survivor["id"]]
    assert "-    x = x.copy()\n+    pass\n" in survivor["diff"]
    markdown = (out / f"mutants_{LAB}-torch.md").read_text()
    assert f"### {survivor['id']}: removed, line 4: removed `x = x.copy()`" in markdown
    assert survivor["diff"].rstrip() in markdown
    totals = data["totals"]
    assert totals["survived"] == 1 and totals["killed"] == totals["mutants"] - 1
    assert f"{LAB} torch: {totals['killed']}/{totals['killed'] + 1}" in result.output
