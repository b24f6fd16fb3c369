"""Lab 04 check kinds judge plain values: fed fake kernel results, they pass right answers and explain wrong ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.judging.checks import registry
from grader.judging.checks.base import CheckContext
from grader.judging.numerics import clipping as num
from grader.kernel.probing import CallError, CallResult, Opaque


def _ctx(framework: str = "torch") -> CheckContext:
    return CheckContext(framework, np.random.default_rng(7), Path("."), "04-gradient-clipping")


def _answer(kind_name, params, respond, framework="torch"):
    kind = registry.get(kind_name)
    ctx = _ctx(framework)
    plan = kind.plan(params, ctx)
    results = {call["id"]: respond(call) for call in plan.calls}
    return kind.judge(params, ctx, plan, results)


def _list_answer(function):
    return lambda call: CallResult(True, function(*call["args"]))


# -- the grader's own numerics ---------------------------------------------------------------------

def test_numerics_clip_rule():
    grads = [np.array([3.0, 4.0]), np.array([[12.0]])]
    assert num.global_norm(grads) == pytest.approx(13.0)
    clipped = num.clip_by_global_norm(grads, 1.0)
    assert num.global_norm(clipped) == pytest.approx(1.0)
    assert np.allclose(clipped[0], [3 / 13, 4 / 13])
    assert all(np.array_equal(a, b) for a, b in zip(num.clip_by_global_norm(grads, 20.0), grads, strict=True))
    zeros = num.clip_by_global_norm([np.zeros(3)], 1.0)
    assert np.array_equal(zeros[0], np.zeros(3))
    assert np.allclose(num.clip_by_value(grads, 3.5)[1], [[3.5]])


def test_numerics_backpropagation_matches_finite_differences():
    rng = np.random.default_rng(0)
    params = {k: v.astype(np.float64) for k, v in num.random_rnn_params(2, 3, rng, recurrent_gain=1.1).items()}
    x = rng.normal(size=(2, 4, 2))
    y = rng.normal(size=(2, 1))
    _, grads = num.mse_loss_and_grads(params, x, y)
    step = 1e-6
    for key in ("weight_hh", "bias_ih", "weight_out"):
        shifted = {k: v.copy() for k, v in params.items()}
        shifted[key].reshape(-1)[0] += step
        numeric = (num.mse_loss_and_grads(shifted, x, y)[0] - num.mse_loss_and_grads(params, x, y)[0]) / step
        assert numeric == pytest.approx(grads[key].reshape(-1)[0], rel=1e-4, abs=1e-6)
    for many_to_many in (False, True):
        outputs = num.rnn_outputs(params, x, many_to_many)
        _, d_x = num.rnn_backward(params, x, np.ones_like(outputs), many_to_many)
        shifted_x = x.copy()
        shifted_x[1, 0, 1] += step
        numeric = (num.rnn_outputs(params, shifted_x, many_to_many).sum() - outputs.sum()) / step
        assert numeric == pytest.approx(d_x[1, 0, 1], rel=1e-4, abs=1e-6)
        assert np.allclose(num.input_gradient_norms(params, x, many_to_many), np.sqrt((d_x ** 2).sum(axis=(0, 2))))


# -- lists of gradients ------------------------------------------------------------------------------

def test_global_norm_passes_and_explains_the_sum_of_norms():
    right = _answer("global_norm", {}, _list_answer(num.global_norm))
    assert right.passed, right.message
    wrong = _answer("global_norm", {}, _list_answer(lambda grads: sum(num.global_norm([g]) for g in grads)))
    assert not wrong.passed and "global_norm(grads) with 2 tensors" in wrong.message
    assert "sum of the per-tensor norms" in wrong.message


def test_global_norm_rejects_one_norm_per_tensor():
    verdict = _answer("global_norm", {}, lambda call: CallResult(True, [1.0] * len(call["args"][0])))
    assert not verdict.passed and "expected one number" in verdict.message


@pytest.mark.parametrize("below", [False, True])
def test_clip_by_global_norm_passes_the_rule(below):
    verdict = _answer("clip_by_global_norm", {"below": below}, _list_answer(num.clip_by_global_norm))
    assert verdict.passed, verdict.message


def test_clip_by_global_norm_explains_per_tensor_and_value_clipping():
    per_tensor = _answer("clip_by_global_norm", {}, _list_answer(num.clip_per_tensor))
    assert not per_tensor.passed and "clipped to max_norm on its own" in per_tensor.message
    assert "clip_by_global_norm(grads, max_norm=" in per_tensor.message and "max abs error" in per_tensor.message
    by_value = _answer("clip_by_global_norm", {}, _list_answer(num.clip_by_value))
    assert not by_value.passed and "clipping by value" in by_value.message
    unchanged = _answer("clip_by_global_norm", {}, _list_answer(lambda grads, u: list(grads)))
    assert not unchanged.passed and "unchanged although" in unchanged.message


def test_clip_below_threshold_catches_always_rescaling_and_nan():
    def always(grads, u):
        norm = num.global_norm(grads)
        return [g * (u / norm) if norm else g * np.nan for g in grads]

    verdict = _answer("clip_by_global_norm", {"below": True}, _list_answer(always))
    assert not verdict.passed and "only clip when" in verdict.message

    def nan_on_zero(grads, u):
        norm = num.global_norm(grads)
        return [g * min(1.0, u / norm) if norm else g * np.nan for g in grads]

    verdict = _answer("clip_by_global_norm", {"below": True}, _list_answer(nan_on_zero))
    assert not verdict.passed and "NaN" in verdict.message and "guard the division" in verdict.message


def test_clip_results_must_keep_shapes_and_count():
    verdict = _answer("clip_by_global_norm", {}, _list_answer(lambda grads, u: grads[:1]))
    assert not verdict.passed
    verdict = _answer("clip_by_value", {}, lambda call: CallResult(True, Opaque("torch.Tensor")))
    assert not verdict.passed and "expected a list" in verdict.message


def test_clip_by_value():
    right = _answer("clip_by_value", {}, _list_answer(num.clip_by_value))
    assert right.passed, right.message
    upper = _answer("clip_by_value", {}, _list_answer(lambda grads, limit: [np.minimum(g, limit) for g in grads]))
    assert not upper.passed and "only the upper limit" in upper.message


def test_missing_function_message_is_kept():
    missing = CallResult(False, error=CallError("NameError", "clip_by_value is not defined in the notebook", missing=True))
    verdict = _answer("clip_by_value", {}, lambda call: missing)
    assert verdict.message == "clip_by_value is not defined in the notebook"


# -- train_step (PyTorch) ----------------------------------------------------------------------------

def _simulate_train_step(clip, returned="loss", zero_grad=True):
    """A fake kernel: runs train_step's arithmetic in NumPy with a given clipping function."""

    def respond(call):
        lr = call["learning_rate"]
        params = {k: np.asarray(v, dtype=np.float64) for k, v in call["params"].items()}
        steps, accumulated = [], None
        for step in call["steps"]:
            loss, grads = num.mse_loss_and_grads(params, step["x"], step["y"])
            if not zero_grad and accumulated is not None:
                grads = {k: grads[k] + accumulated[k] for k in grads}
            names = list(num.RNN_PARAM_NAMES)
            clipped = dict(zip(names, clip([grads[k] for k in names], step["max_norm"]), strict=True))
            accumulated = clipped  # clip_grad_norm_ clips .grad in place; without zero_grad it is added to
            norm = num.global_norm(list(grads.values()))
            params = {k: params[k] - lr * clipped[k] for k in names}
            steps.append({"returned": loss if returned == "loss" else norm, "params": params})
        return CallResult(True, steps)

    return respond


def test_train_step_passes_a_correct_step():
    for judge in ("update", "loss"):
        verdict = _answer("train_step", {"judge": judge}, _simulate_train_step(num.clip_by_global_norm))
        assert verdict.passed, verdict.message


def test_train_step_explains_an_unclipped_update():
    verdict = _answer("train_step", {"judge": "update"}, _simulate_train_step(lambda grads, u: grads))
    assert not verdict.passed
    assert "train_step(model, optimizer, loss_fn, x, y, max_norm=" in verdict.message
    assert "unclipped gradient" in verdict.message and "clip_grad_norm_" in verdict.message
    loss = _answer("train_step", {"judge": "loss"}, _simulate_train_step(lambda grads, u: grads))
    assert loss.passed, loss.message


def test_train_step_explains_per_tensor_clipping_and_accumulation():
    verdict = _answer("train_step", {"judge": "update"}, _simulate_train_step(num.clip_per_tensor))
    assert not verdict.passed and "on its own" in verdict.message
    verdict = _answer("train_step", {"judge": "update"}, _simulate_train_step(num.clip_by_global_norm, zero_grad=False))
    assert not verdict.passed and "call 2" in verdict.message and "zero_grad" in verdict.message


def test_train_step_loss_explains_the_gradient_norm():
    verdict = _answer("train_step", {"judge": "loss"}, _simulate_train_step(num.clip_by_global_norm, returned="norm"))
    assert not verdict.passed and "clip_grad_norm_ returns" in verdict.message


# -- make_optimizer (Keras) ----------------------------------------------------------------------------

def _sgd(clip):
    """A fake kernel running SGD whose gradients first go through ``clip(grads, max_norm)``."""

    def respond(call):
        trajectories = []
        for run in call["runs"]:
            values = [np.asarray(v, dtype=np.float64) for v in call["initial"]]
            steps = []
            for grads in run["grads"]:
                grads = clip([np.asarray(g, dtype=np.float64) for g in grads], run["max_norm"])
                values = [v - run["learning_rate"] * g for v, g in zip(values, grads, strict=True)]
                steps.append([v.copy() for v in values])
            trajectories.append(steps)
        return CallResult(True, trajectories)

    return respond


def test_optimizer_clipping_passes_global_clipping_and_fails_others():
    for judge in ("clipping", "learning_rate"):
        verdict = _answer("optimizer_clipping", {"judge": judge}, _sgd(num.clip_by_global_norm), "keras")
        assert verdict.passed, verdict.message
    for clip in (num.clip_per_tensor, num.clip_by_value, lambda grads, u: grads):
        verdict = _answer("optimizer_clipping", {"judge": "clipping"}, _sgd(clip), "keras")
        assert not verdict.passed and "global_clipnorm=max_norm" in verdict.message


def test_optimizer_learning_rate_must_be_used():
    def fixed_rate(call):
        for run in call["runs"]:
            run["learning_rate"] = 0.01
        return _sgd(num.clip_by_global_norm)(call)

    verdict = _answer("optimizer_clipping", {"judge": "learning_rate"}, fixed_rate, "keras")
    assert not verdict.passed and "twice the learning rate" in verdict.message


def test_optimizer_that_does_not_move_is_reported():
    def frozen(call):
        return CallResult(True, [[[np.asarray(v) for v in call["initial"]]] * 2 for _ in call["runs"]])

    verdict = _answer("optimizer_clipping", {"judge": "clipping"}, frozen, "keras")
    assert not verdict.passed and "did not change the variables" in verdict.message


# -- input_gradient_norms ------------------------------------------------------------------------------

@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_input_gradient_norms(framework):
    def right(call):
        return CallResult(True, num.input_gradient_norms(call["params"], call["x"], call["many_to_many"]).astype(np.float32))

    verdict = _answer("input_gradient_norms", {}, right, framework)
    assert verdict.passed, verdict.message

    def reversed_order(call):
        return CallResult(True, num.input_gradient_norms(call["params"], call["x"], call["many_to_many"])[::-1])

    verdict = _answer("input_gradient_norms", {}, reversed_order, framework)
    assert not verdict.passed and "reversed time order" in verdict.message

    def per_example(call):
        return CallResult(True, np.ones((call["x"].shape[0], call["x"].shape[1])))

    verdict = _answer("input_gradient_norms", {}, per_example, framework)
    assert not verdict.passed and "one norm per time step" in verdict.message
