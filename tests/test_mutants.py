"""Mutation analysis (``grader mutants``): the operators, the mutant notebooks, the equivalence filter (run here
in a plain namespace, as the reference's kernel runs it) and the report."""

from __future__ import annotations

import ast
import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

from grader.authoring import mutants as m
from grader.authoring.mutation_operators import function_mutants
from grader.course.notebook import read_notebook

TINY = Path(__file__).resolve().parent / "notebooks" / "numpy_tiny_lab.ipynb"

EVERY_KIND = '''
def build(x, xs, n, return_sequences=True):
    if n <= 0 or x is None:
        raise ValueError("n")
    y = torch.tanh(x @ W + b) * 0.5
    z = torch.sigmoid(torch.cat([y, y], dim=-1)).sum(axis=0)
    layer = keras.layers.SimpleRNN(n, activation="tanh", return_sequences=return_sequences)
    module = nn.Sequential(nn.Linear(n, n), nn.ReLU())
    total = 0
    for i in range(n):
        total += xs[i:n - 1].size(1)
    return torch.stack([y, z], 1), layer, module, pow(total, n), ys[:-1]
'''


def _function(source: str) -> ast.FunctionDef:
    return ast.parse(source).body[0]


def test_every_operator_gives_valid_code_that_differs():
    function = _function(EVERY_KIND)
    original = ast.unparse(function)
    mutants = function_mutants(function)
    assert {mutant.operator for mutant in mutants} == {"operator", "comparison", "constant", "slice", "axis",
                                                        "activation", "removed", "swap", "flag"}
    sources = [mutant.source for mutant in mutants]
    assert len(set(sources)) == len(sources) and original not in sources
    for mutant in mutants:
        compile(mutant.source, "<mutant>", "exec")  # valid
        tree = _function(mutant.source)
        assert tree.name == "build"
    shown = {mutant.description.split(": ", 1)[1] for mutant in mutants}
    # a few of each kind, by what they change
    for change in ("Add -> Sub", "MatMult -> Mult", "LtE -> Lt", "Or -> And", "0.5 -> 1.0", "0 -> 1",
                   "dim=-1 -> dim=-2", "axis=0 -> axis=1", "stack(.., 1) -> stack(.., 0)", "size(.., 1) -> size(.., 0)",
                   ".tanh -> .sigmoid", ".tanh -> .relu", ".sigmoid -> .tanh", ".ReLU -> .Tanh", "'tanh' -> 'relu'",
                   "True -> False", "slice upper bound n - 1 -> n - 1 + 1", "slice lower bound added (1)",
                   "arguments 1 and 2 of pow swapped"):
        assert change in shown, change
    assert any(d.startswith("removed `y = torch.tanh") for d in shown)
    # the default of the signature is flipped (a default the contract may not fix)
    assert any("def build(x, xs, n, return_sequences=False)" in s for s in sources)
    # an axis is changed as an axis, not also as a constant
    assert not any("dim=-1" in d and mu.operator == "constant" for mu in mutants for d in [mu.description])


def test_strings_docstrings_and_fstrings_are_not_mutated():
    function = _function('def f(x):\n    """Doc 1."""\n    return f"{x + 1}" + "relu!"\n')
    assert [mutant.description for mutant in function_mutants(function)] == [
        "line 3: removed `return f'{x + 1}' + 'relu!'`", "line 3: Add -> Sub"]


def test_mutant_notebooks_change_one_student_function_only():
    nb = read_notebook(TINY)
    found = m.student_functions(nb)
    assert [node.name for _, node in found] == ["moving_average", "softmax", "count_params_dense", "summary"]
    cases = m.make_cases(nb)
    assert len(cases) > 20 and len({case.id for case in cases}) == len(cases)
    for case in cases:
        mutant = m.mutant_notebook(nb, case)
        changed = [i for i, (a, b) in enumerate(zip(nb.cells, mutant.cells, strict=True)) if a.source != b.source]
        assert changed == [case.cell]
        assert len(mutant.cells) == len(nb.cells)
        assert [(c.cell_type, c.metadata) for c in mutant.cells] == [(c.cell_type, c.metadata) for c in nb.cells]
        namespace: dict = {"np": np}
        exec(mutant.cells[case.cell].source, namespace)  # the changed cell still runs
        assert case.diff().startswith(f"--- reference/{case.function}\n+++ mutant/{case.function}\n")
    assert nb.cells == read_notebook(TINY).cells  # the reference itself is left as it was


def test_function_and_max_mutants_choose_the_mutants():
    nb = read_notebook(TINY)
    only = m.make_cases(nb, function="count_params_dense")
    assert {case.function for case in only} == {"count_params_dense"} and len(only) == 3
    sample = m.make_cases(nb, max_mutants=5, seed=1)
    assert len(sample) == 5 and sample == m.make_cases(nb, max_mutants=5, seed=1)
    assert [c.id for c in sample] != [c.id for c in m.make_cases(nb, max_mutants=5, seed=2)]
    with pytest.raises(m.InputError, match="no student function 'nope'"):
        m.make_cases(nb, function="nope")


def _verdicts(calls: dict[str, list[tuple[tuple, dict]]], cases: list[m.Case]) -> dict[str, str]:
    """The kernel's recording and comparison code, run in a namespace of this process."""
    nb = read_notebook(TINY)
    namespace: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and "uses-solution" not in cell.metadata.get("tags", []):
            exec(cell.source, namespace)
    names = [node.name for _, node in m.student_functions(nb)]
    exec(m.RECORD_CODE % {"limit": m.RECORDED_CALLS, "names": names}, namespace)
    for name, made in calls.items():
        for args, kwargs in made:
            with contextlib.suppress(ValueError):  # a call where the reference raises is recorded too
                namespace[name](*args, **kwargs)
    exec(m.RESTORE_CODE, namespace)
    sources = {node.name: ast.unparse(node) for _, node in m.student_functions(nb)}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(m.COMPARE_CODE % {"mark": m.RESULT_MARK, "sources": sources, "seconds": 5,
                               "mutants": {case.id: (case.function, case.source) for case in cases}}, namespace)
    line = [text for text in printed.getvalue().splitlines() if text.startswith(m.RESULT_MARK)][0]
    return json.loads(line[len(m.RESULT_MARK):])


def _case(cases: list[m.Case], function: str, description: str) -> m.Case:
    return next(c for c in cases if c.function == function and c.description.endswith(description))


def test_equivalent_mutants_are_found_on_the_recorded_inputs():
    nb = read_notebook(TINY)
    cases = m.make_cases(nb)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 5))
    calls = {"softmax": [((z,), {})], "count_params_dense": [((4, 3), {})],
             "moving_average": [((np.arange(6.0), 2), {}), ((np.arange(4.0), 9), {})]}
    chosen = {
        "shift": _case(cases, "softmax", "Sub -> Add"),  # z + max(z): softmax is shift-invariant
        "axis": _case(cases, "softmax", "line 5: axis=-1 -> axis=-2"),
        "biases": _case(cases, "count_params_dense", "Add -> Sub"),
        "asarray": _case(cases, "moving_average", "removed `x = np.asarray(x, dtype=np.float64)`"),
        "check": _case(cases, "moving_average", "removed `if not 1 <= k <= len(x):`"),  # k=9 raises no more
        "summary": _case(cases, "summary", "removed `x = np.asarray(x)`"),  # never called: no inputs
    }
    verdicts = _verdicts(calls, list(chosen.values()))
    assert {key: verdicts[case.id] for key, case in chosen.items()} == {
        "shift": "equivalent", "axis": "differs", "biases": "differs", "asarray": "equivalent",
        "check": "differs", "summary": "untested"}


def test_a_mutant_differs_when_it_changes_its_arguments_raises_or_hangs():
    original = ast.unparse(m.student_functions(read_notebook(TINY))[3][1])
    head = "def summary(x):\n    x = np.asarray(x)\n"
    stats = "{'mean': x.mean(axis=0), 'std': x.std(axis=0), 'shape': tuple(int(n) for n in x.shape)}"
    mutated = [
        # the same values returned, but the caller's array zeroed
        m.Case("mutates", "summary", "x", "", 0, head + f"    out = {stats}\n    x[...] = 0\n    return out\n",
               original),
        m.Case("raises", "summary", "x", "", 0, head + "    raise ValueError(x.shape)\n", original),
        m.Case("hangs", "summary", "x", "", 0, head + "    while True:\n        pass\n", original),
        m.Case("list", "summary", "x", "", 0, head + f"    out = {stats}\n    out['shape'] = list(x.shape)\n"
               "    return out\n", original),
        m.Case("same", "summary", "x", "", 0, head + "    return {'mean': x.sum(axis=0) / len(x), "
               "'std': np.sqrt(x.var(axis=0)), 'shape': x.shape}\n", original),
    ]
    x = np.random.default_rng(1).normal(size=(4, 3))
    verdicts = _verdicts({"summary": [((x,), {}), ((x[:2],), {})]}, mutated)
    assert verdicts == {"mutates": "differs", "raises": "differs", "hangs": "differs", "list": "differs",
                        "same": "equivalent"}


def test_the_report_shows_each_survivor_as_a_diff(tmp_path):
    nb = read_notebook(TINY)
    cases = m.make_cases(nb, function="count_params_dense")
    statuses = ["killed", "survived", "equivalent"]
    for case, status in zip(cases, statuses, strict=True):
        case.status = status
    analysis = m.Analysis("90-tiny", "torch", 0, cases, {"score": 4.0, "max_score": 4.0, "checks": {}},
                          {"count_params_dense": 3}, 12.0)
    assert analysis.counts() == {"killed": 1, "survived": 1, "equivalent": 1, "not graded": 0, "mutants": 3}
    written = m.write_report(analysis, tmp_path)
    text = written[0].read_text()
    assert "**1/2 (50%) of the others killed**" in text
    assert "| `count_params_dense` | 3 | 1 | 1 | 1 | 1/2 (50%) |" in text
    survivor = cases[1]
    assert f"### {survivor.id}: operator, line 3: Add -> Sub" in text
    assert "-    return n_in * n_out + n_out\n+    return n_in * n_out - n_out" in text
    equivalent = cases[2]
    assert "## Equivalent on the checks' inputs\n" in text
    assert f"- {equivalent.id}: {equivalent.operator}, {equivalent.description}\n" in text
    data = json.loads(written[1].read_text())
    assert data["totals"]["survived"] == 1
    assert [bool(item["diff"]) for item in data["mutants"]] == [False, True, False]
    assert data["drawn_from"] is None and "drawn at random" not in text
    # a run on a sample (--max-mutants) says so, and from how many
    analysis.drawn_from = 40
    sampled = m.write_report(analysis, tmp_path / "sampled")[0].read_text()
    assert "--seed 0 --max-mutants 3`: 3 first-order mutants drawn at random from the 40 " in sampled


def test_a_methods_mutant_keeps_its_name_in_the_batch(tmp_path):
    """A mutant of ``__init__`` is found by its row: the batch strips underscores from the ends of a name."""
    from grader.batch.rows import find_submissions

    (tmp_path / "s").mkdir()
    for case_id in ("__init__-002", "forward-006"):
        (tmp_path / "s" / f"{m._submission_name(case_id)}.ipynb").write_text("{}")
        (tmp_path / "bare").mkdir(exist_ok=True)
        (tmp_path / "bare" / f"{case_id}.ipynb").write_text("{}")
    assert sorted(s.name for s in find_submissions([tmp_path / "s"])) == [
        m._submission_name("__init__-002"), m._submission_name("forward-006")]
    assert "__init__-002" not in {s.name for s in find_submissions([tmp_path / "bare"])}  # what the prefix prevents
