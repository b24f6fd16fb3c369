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
    (tmp_path / "grader" / "judging" / "numerics").mkdir(parents=True)  # what marks a private course
    (tmp_path / "grader" / "judging" / "numerics" / "rnn.py").write_text("")
    monkeypatch.setenv("GRADER_COURSE", str(tmp_path))
    monkeypatch.setenv("GRADER_PRIVATE", str(tmp_path))
    monkeypatch.setenv("GRADER_CACHE", str(tmp_path / "cache"))
    from grader.authoring.scaffold import new_lab

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


TRAIN_STEP = """def train_step(model, optimizer, x, y):
    model.train()
    optimizer.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    return float(loss.detach())
"""


def test_a_training_step_is_compared_with_the_gradients_its_model_came_with():
    """A check hands train_step a model whose parameters hold stale gradients: the recorded copy keeps them, so
    a step without ``zero_grad()`` is not taken for an equivalent (a Parameter's deepcopy drops ``.grad``)."""
    import ast
    import contextlib
    import io

    import torch

    from grader.authoring import mutants as m
    from grader.authoring.mutation_operators import function_mutants

    namespace: dict = {"torch": torch}
    exec(TRAIN_STEP, namespace)
    exec(m.RECORD_CODE % {"limit": m.RECORDED_CALLS, "names": ["train_step"]}, namespace)
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(4, 3), torch.randn(4, 1)
    for p in model.parameters():
        p.grad = torch.ones_like(p)  # left over from an earlier step
    namespace["train_step"](model, optimizer, x, y)
    model.eval()  # the next call gets a model in evaluation mode
    namespace["train_step"](model, optimizer, x, y)
    exec(m.RESTORE_CODE, namespace)
    cases = [m.Case(f"c{i}", "train_step", mu.operator, mu.description, 0, mu.source, "")
             for i, mu in enumerate(function_mutants(ast.parse(TRAIN_STEP).body[0]))]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(m.COMPARE_CODE % {"mark": m.RESULT_MARK, "sources": {"train_step": TRAIN_STEP}, "seconds": 10,
                               "mutants": {case.id: (case.function, case.source) for case in cases}}, namespace)
    line = [text for text in printed.getvalue().splitlines() if text.startswith(m.RESULT_MARK)][0]
    verdicts = {case.description: verdict for case, verdict in
                zip(cases, json.loads(line[len(m.RESULT_MARK):]).values(), strict=True)}
    assert verdicts["line 3: removed `optimizer.zero_grad()`"] == "differs"
    assert verdicts["line 2: removed `model.train()`"] == "differs"  # the training flag is compared too
    assert verdicts["line 4: Sub -> Add"] == "differs"
