"""``grader new`` end to end on a small solved notebook that is not one of the course's labs: the scaffolded lab
is recorded and validated (reference full marks, released stubs 0, wrong solutions fail their checks, also as a
public install judges them from the recordings), and the reference kernel runs once per grading seed."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).resolve().parent / "notebooks" / "numpy_tiny_lab.ipynb"
LAB = "90-tiny-numpy"
WRONG = {
    # a window centred and padded: one value per input instead of len(x) - k + 1
    "moving_average_same": ("moving-average", "def moving_average(x, k):\n"
                            "    x = np.asarray(x, dtype=float)\n"
                            "    return np.convolve(x, np.ones(k) / k, mode='same')\n"),
    # normalised over the first axis, not the last
    "softmax_axis0": ("softmax", "def softmax(z):\n    e = np.exp(z - z.max())\n    return e / e.sum(axis=0)\n"),
    # the biases forgotten
    "dense_no_bias": ("count-params-dense", "def count_params_dense(n_in, n_out):\n    return n_in * n_out\n"),
    # the shape as a list, not a tuple
    "summary_list_shape": ("summary", "def summary(x):\n    x = np.asarray(x)\n"
                           "    return {'mean': x.mean(axis=0), 'std': x.std(axis=0), 'shape': list(x.shape)}\n"),
}


@pytest.fixture
def course(tmp_path, monkeypatch):
    (tmp_path / "assignments").mkdir()
    monkeypatch.setenv("GRADER_COURSE", str(tmp_path))
    monkeypatch.setenv("GRADER_PRIVATE", str(tmp_path))
    monkeypatch.setenv("GRADER_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "tests" / "wrong_solutions" / LAB / "torch"
    folder.mkdir(parents=True)
    for name, (check_id, source) in WRONG.items():
        (folder / f"{name}.py").write_text(f"# expect-fail: {check_id}\n{source}")
    return tmp_path


def test_a_scaffolded_lab_validates_and_fails_wrong_solutions(course, monkeypatch):
    from grader.authoring.record import record_lab
    from grader.authoring.scaffold import new_lab
    from grader.authoring.validate import validate_lab
    from grader.course.labs import load_lab
    from grader.judging import oracle_runner

    new_lab(LAB, NOTEBOOK)
    monkeypatch.setattr(oracle_runner, "_MEMO", {})
    monkeypatch.setattr(oracle_runner, "STATS", {"reference_runs": 0, "disk_hits": 0})
    record_lab(load_lab(LAB))
    assert oracle_runner.STATS["reference_runs"] == 1  # every oracle check recorded from one reference run

    result = validate_lab(LAB, seed=0)
    lines = [text for _, text in result.lines]
    assert result.ok, "\n".join(text for ok, text in result.lines if not ok)
    assert "torch reference scores 4/4" in lines
    assert "torch reference, public checks only: 4 passed from their recordings, 0 await the private run" in lines
    for name, (check_id, _) in WRONG.items():
        assert f"torch wrong solution {name} fails {check_id}" in lines
        assert f"torch wrong solution {name}, public checks only: fails 1 of its 1 failing checks, the rest await " \
               "the private run" in lines
    assert "torch: every oracle check fails on the released stubs" in lines
    # the reference notebook, the wrong solutions and the student notebook graded at seed 0: one reference run
    assert oracle_runner.STATS["reference_runs"] == 2

    # another process at the same seed (a regrade, a batch worker) answers from the cache on disk
    monkeypatch.setattr(oracle_runner, "_MEMO", {})
    again = validate_lab(LAB, seed=0)
    assert again.ok and oracle_runner.STATS["reference_runs"] == 2 and oracle_runner.STATS["disk_hits"] > 0


def test_validate_reports_an_oracle_check_left_as_todo(course):
    import yaml

    from grader.authoring.scaffold import new_lab
    from grader.authoring.validate import validate_lab

    new_lab(LAB, NOTEBOOK)
    spec_path = course / "assignments" / LAB / "assignment.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["checks"][1]["params"]["args"] = ["TODO z: how to draw it"]
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = validate_lab(LAB, seed=0)
    assert not result.ok
    assert (False, "oracle check softmax: inputs still marked TODO: declare how to draw them") in result.lines


TORCH_REFERENCE = '''import torch
from torch import nn

def make_encoder(n_in, n_hidden):
    # grader: {dims: {i: [2, 5]}, args: [{int: i}, {int: [2, 6]}], probe_inputs: [{tensor: {shape: [3, i]}}], probe_values: true}
    # BEGIN SOLUTION
    return nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU())
    # END SOLUTION
'''


def test_a_returned_module_is_compared_by_its_parameters_and_outputs(course, tmp_path):
    import nbformat

    from grader.authoring.scaffold import new_lab
    from grader.course.labs import load_lab
    from grader.course.notebook import read_notebook
    from grader.judging.grading import Grading

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(TORCH_REFERENCE))
    source = tmp_path / "encoder.ipynb"
    nbformat.write(nb, source)
    new_lab("92-encoder", source)
    lab = load_lab("92-encoder")
    assert lab.checks[0].params["probe_values"] is True and "torch" in lab.flavours
    wrong = {
        "def make_encoder(n_in, n_hidden):\n    return nn.Sequential(nn.Linear(n_in, n_hidden, bias=False), nn.ReLU())":
            "parameters, got",
        "def make_encoder(n_in, n_hidden):\n    return nn.Sequential(nn.Linear(n_in, n_hidden), nn.Tanh())":
            "applied to probe input 0",
        "def make_encoder(n_in, n_hidden):\n    return nn.Linear(n_in, n_hidden).weight.detach()": "expected a model",
    }
    with Grading(lab, "torch", 4) as run:
        run.execute(read_notebook(lab.flavours["torch"].reference))
        (right,) = run.judge()
        assert right.passed, right.message
        run.snapshot()
        for cell, words in wrong.items():
            assert run.run_extra_cell(cell) == "ok"
            (result,) = run.judge()
            assert not result.passed and words in result.message, result.message
            run.restore()
