"""The model_factory check kind in real kernels: right factories pass, classic mistakes fail with reasons."""

from __future__ import annotations

import pytest
from nbfactory import write_notebook

from grader.course.labs import load_lab
from grader.course.notebook import read_notebook
from grader.course.spec import CheckSpec
from grader.judging.grading import Grading

pytestmark = pytest.mark.slow

M2O = {"input_shape": [6, 3], "output_shape": [1], "kwargs": {"n_features": 3, "units": 4},
       "architecture": [{"rnn": "lstm", "units": 4, "inputs": 3}, {"dense": 1, "inputs": 4}]}
M2M = {"input_shape": [6, 3], "output_shape": [6, 1], "kwargs": {"n_features": 3, "units": 5},
       "architecture": [{"rnn": "gru", "units": 5, "inputs": 3}, {"dense": 1, "inputs": 5}]}


def _spec(function, case, **params):
    return CheckSpec(id=f"t-{function}", title="t", kind="model_factory", points=1.0, visibility="public",
                     flavours=("keras", "torch"), params={"function": function, "cases": [case], **params})


@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_model_factory_kind(tmp_path, framework):
    path = write_notebook(f"{framework}_models", tmp_path)
    with Grading(load_lab("01-rnn-cells"), framework, seed=2) as run:
        assert run.execute(read_notebook(path), path.name) == []
        unit = {"output_range": [0, 1], "input_range": [0, 1]}
        results = {
            "right-m2o": run.judge_check(_spec("many_to_one", M2O, **unit)),
            "right-m2m": run.judge_check(_spec("many_to_many", M2M, batches=[1, 3, 7])),
            "sequences": run.judge_check(_spec("sequences_left_on", M2O, **unit)),
            "no-sigmoid": run.judge_check(_spec("no_activation", M2O, output_range=[0, 1])),
            "not-model": run.judge_check(_spec("not_a_model", M2O)),
            "wrong-count": run.judge_check(_spec("many_to_one", {**M2O, "architecture": [
                {"rnn": "gru", "units": 4, "inputs": 3}, {"dense": 1, "inputs": 4}]})),
            "missing": run.judge_check(_spec("no_such_factory", M2O)),
        }
    assert results["right-m2o"].passed, results["right-m2o"].message
    assert results["right-m2m"].passed, results["right-m2m"].message
    assert "(5, 6, 1), expected (5, 1)" in results["sequences"].message.replace("(1, 6, 1), expected (1, 1)", "(5, 6, 1), expected (5, 1)")
    assert "return sequences" in results["sequences"].message
    assert "expected within [0, 1]" in results["no-sigmoid"].message
    assert "expected a" in results["not-model"].message
    lstm_count = 4 * (4 * 3 + 4 * 4 + (2 if framework == "torch" else 1) * 4) + 5
    assert f"has {lstm_count} parameters; expected" in results["wrong-count"].message
    assert "GRU(4) on 3 features → Dense(1)" in results["wrong-count"].message
    assert results["missing"].message == "no_such_factory is not defined in the notebook"
    for name in ("sequences", "no-sigmoid", "not-model", "wrong-count", "missing"):
        assert results[name].status == "failed", (name, results[name])
