"""Check kinds judge plain values: fed fake kernel results, they pass right answers and explain wrong ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.judging.checks import registry
from grader.judging.checks.base import CheckContext
from grader.judging.numerics import rnn
from grader.kernel.probing import CallError, CallResult


def _ctx(framework="torch"):
    return CheckContext(framework, np.random.default_rng(3), Path("."), "01-rnn-cells")


def _answer(kind, params, ctx, respond):
    plan = kind.plan(params, ctx)
    results = {call["id"]: respond(call) for call in plan.calls}
    return kind.judge(params, ctx, plan, results)


def _right_step(cell):
    def respond(call):
        args = [np.asarray(a, dtype=np.float64) if isinstance(a, np.ndarray) else a for a in call["args"]]
        if cell == "lstm":
            return CallResult(True, rnn.lstm_step(*args))
        return CallResult(True, (rnn.rnn_step if cell == "rnn" else rnn.gru_step)(*args))
    return respond


@pytest.mark.parametrize("cell", rnn.CELLS)
def test_cell_step_passes_the_equations(cell):
    verdict = _answer(registry.get("cell_step"), {"cell": cell}, _ctx(), _right_step(cell))
    assert verdict.passed, verdict.message


def test_cell_step_explains_a_forgotten_cell_state():
    def respond(call):
        x, h, c, p = call["args"]
        return CallResult(True, rnn.lstm_step(x, h, np.zeros_like(c), p))

    verdict = _answer(registry.get("cell_step"), {"cell": "lstm"}, _ctx(), respond)
    assert not verdict.passed
    assert "lstm_step(x_t, h_prev, c_prev, p)" in verdict.message
    assert "max abs error" in verdict.message and "ignores c_prev" in verdict.message


def _run_sequence(default):
    def respond(call):
        if call["function"] != "run_sequence":
            return _right_step("lstm")(call)
        cell, xs, p = call["args"]
        mode = call["kwargs"].get("return_sequences", default)
        sequence = rnn.run_sequence(cell, np.asarray(xs, dtype=np.float64), p, return_sequences=True)
        return CallResult(True, sequence if mode else sequence[:, -1])
    return respond


def test_run_sequence_returns_sequences_by_default():
    kind = registry.get("run_sequence")
    assert _answer(kind, {"cell": "lstm"}, _ctx(), _run_sequence(default=True)).passed
    # the contract fixes the default (return_sequences=True): a flipped default loses the check
    verdict = _answer(kind, {"cell": "lstm"}, _ctx(), _run_sequence(default=False))
    assert not verdict.passed and "left to its default" in verdict.message


def test_wrong_shape_is_reported_with_both_shapes():
    verdict = _answer(registry.get("cell_step"), {"cell": "rnn"}, _ctx(),
                      lambda call: CallResult(True, np.zeros((1, 1))))
    assert not verdict.passed and "expected shape" in verdict.message and "got (1, 1)" in verdict.message


def test_missing_and_raising_functions():
    missing = CallResult(False, error=CallError("NameError", "gru_step is not defined in the notebook", missing=True))
    verdict = _answer(registry.get("cell_step"), {"cell": "gru"}, _ctx(), lambda call: missing)
    assert verdict.message == "gru_step is not defined in the notebook"
    raising = CallResult(False, error=CallError("NotImplementedError", "gru_step: your code here", "cell 7, line 3"))
    verdict = _answer(registry.get("cell_step"), {"cell": "gru"}, _ctx(), lambda call: raising)
    assert not verdict.passed and "raised NotImplementedError: gru_step: your code here" in verdict.message


def test_nan_is_never_close():
    verdict = _answer(registry.get("cell_step"), {"cell": "rnn"}, _ctx(),
                      lambda call: CallResult(True, np.full((call["args"][0].shape[0], call["args"][1].shape[1]), np.nan)))
    assert not verdict.passed and "NaN" in verdict.message


@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_count_params(framework):
    kind = registry.get("count_params")
    right = _answer(kind, {}, _ctx(framework), lambda call: CallResult(True, rnn.count_params(framework, *call["args"])))
    assert right.passed, right.message

    def one_bias(call):
        cell, m, n, k = call["args"]
        return CallResult(True, {"rnn": 1, "lstm": 4, "gru": 3}[cell] * (n * m + n * n + n) + k * n + k)

    wrong = _answer(kind, {}, _ctx(framework), one_bias)
    assert not wrong.passed and "count_params(" in wrong.message and "two bias vectors" in wrong.message


def test_count_params_rejects_non_integers():
    kind = registry.get("count_params")
    verdict = _answer(kind, {}, _ctx("keras"), lambda call: CallResult(True, "513"))
    assert not verdict.passed and "expected an int" in verdict.message
