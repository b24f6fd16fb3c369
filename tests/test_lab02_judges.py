"""Lab 02 check kinds judged on fake kernel results: no kernel, no TensorFlow, no PyTorch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grader.judging.checks import registry
from grader.judging.checks.base import CheckContext
from grader.judging.checks.tracing import (
    MASK_VALUE,
    hidden_inputs,
    hidden_labels,
    rmse_observed,
    roc_auc,
)
from grader.judging.checks.tracing import balanced_accuracy as balanced
from grader.judging.numerics.mooc import prepare_sequences
from grader.kernel.probing import CallError, CallResult

LAB = "02-tracing-vs-passfail"


@pytest.fixture
def ctx(root):
    return CheckContext("torch", np.random.default_rng(3), root / "assignments" / LAB / "hidden", LAB)


def ok(value):
    return CallResult(True, value)


def run(kind_name, params, ctx, answer):
    """Plan, answer every call with ``answer(call)``, judge."""
    kind = registry.get(kind_name)
    plan = kind.plan(params, ctx)
    results = {call["id"]: answer(call) for call in plan.calls}
    return kind.judge(params, ctx, plan, results)


# -- metrics and the grader's own preparation ---------------------------------------------------------
def test_metrics_on_small_examples():
    labels = np.array([0, 0, 1, 1])
    assert roc_auc(labels, np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    assert roc_auc(labels, np.array([0.5, 0.5, 0.5, 0.5])) == pytest.approx(0.5)  # ties count one half
    assert roc_auc(labels, np.array([0.2, 0.6, 0.6, 0.9])) == pytest.approx(0.875)
    assert balanced(labels, np.array([0.1, 0.6, 0.7, 0.2])) == pytest.approx(0.5)
    assert balanced(labels, np.array([0.1, 0.5, 0.7, 0.9])) == pytest.approx(1.0)  # 0.5 is not > 0.5
    scores = np.array([[0.5, np.nan], [1.0, 0.0]])
    assert rmse_observed(scores, np.array([[0.5, 9.0], [0.0, 0.0]])) == pytest.approx(np.sqrt(1 / 3))


def test_grader_preparation_follows_the_rules():
    features = pd.DataFrame({"student_id": [7, 7, 3], "week": [2, 1, 1], "a": [10.0, 30.0, 5.0], "b": [1.0, 2.0, 9.0]})
    quizzes = pd.DataFrame({"student_id": [3, 7, 7, 3], "week": [2, 1, 2, 1], "quiz_score": [0.4, np.nan, 0.9, 0.6]})
    x, y = prepare_sequences(features, quizzes, {"a": (0.0, 20.0), "b": (0.0, 4.0)})
    assert x.shape == (2, 10, 2) and y.shape == (2, 10, 1) and x.dtype == y.dtype == np.float32
    np.testing.assert_allclose(x[0, 0], [0.25, 1.0])  # student 3 first; 9/4 clipped to 1
    np.testing.assert_allclose(x[0, 1], [0.0, 0.0])  # observed week without a feature row: 0
    np.testing.assert_allclose(x[1, 0], [MASK_VALUE, MASK_VALUE])  # NaN score: every feature −1
    np.testing.assert_allclose(x[1, 1], [0.5, 0.25])
    np.testing.assert_allclose(y[:, :3, 0], [[0.6, 0.4, -1.0], [-1.0, 0.9, -1.0]])
    assert np.all(x[:, 2:] == MASK_VALUE)  # no quiz row: masked


def test_hidden_inputs_carry_the_mask_but_no_scores(ctx):
    hidden = hidden_inputs(ctx.hidden_dir)
    scores, passed = hidden_labels(ctx.hidden_dir)
    assert hidden.X.shape == (1000, 10, 15) and int(hidden.observed.sum()) == 3970
    assert np.array_equal(hidden.observed, ~np.isnan(scores)) and int(passed.sum()) == 256
    assert set(np.unique(hidden.quizzes["quiz_score"].dropna())) == {0.5}


# -- prepare_sequences --------------------------------------------------------------------------------
def _prepared(call, plan_state, which):
    index = int(call["id"].removeprefix("case"))
    label, x, y, x_own, _ = plan_state["expected"][index]
    return ok(({"right": x, "own": x_own}[which], y))


def test_prepare_sequences_passes_and_names_the_frame_statistics_bug(ctx):
    kind = registry.get("prepare_sequences")
    plan = kind.plan({}, ctx)
    assert len(plan.calls) == 3
    right = {c["id"]: _prepared(c, plan.state, "right") for c in plan.calls}
    assert kind.judge({}, ctx, plan, right).passed
    own = {c["id"]: _prepared(c, plan.state, "own") for c in plan.calls}
    verdict = kind.judge({}, ctx, plan, own)
    assert not verdict.passed and "minimum and maximum of the frame" in verdict.message
    assert "prepare_sequences(features, quizzes) on all 1,000 students" in verdict.message


def test_prepare_sequences_masked_week_and_shapes(ctx):
    kind = registry.get("prepare_sequences")
    plan = kind.plan({}, ctx)
    label, x, y, _, _ = plan.state["expected"][0]
    unmasked_x = x.copy()
    i, t = np.argwhere(y[:, :, 0] == MASK_VALUE)[0]
    unmasked_x[i, t] = 0.0
    verdict = kind.judge({}, ctx, plan, {c["id"]: ok((unmasked_x, y)) for c in plan.calls})
    assert not verdict.passed and "every feature of the week is −1.0" in verdict.message
    verdict = kind.judge({}, ctx, plan, {c["id"]: ok((x, y[:, :, 0])) for c in plan.calls})
    assert not verdict.passed and "y has shape (1000, 10), expected (1000, 10, 1)" in verdict.message
    verdict = kind.judge({}, ctx, plan, {c["id"]: ok(x) for c in plan.calls})
    assert not verdict.passed and "should return the pair (X, y)" in verdict.message


# -- masked_loss ------------------------------------------------------------------------------------
def _loss(call, how):
    y_true, y_pred = (a.astype(np.float64) for a in call["args"])
    seen = y_true != MASK_VALUE
    squared = (y_true - y_pred) ** 2
    return ok({"right": np.asarray(squared[seen].mean(), np.float32), "plain": np.asarray(squared.mean(), np.float32),
               "per_example": squared.reshape(len(squared), -1).mean(axis=1).astype(np.float32)}[how])


def test_masked_loss(ctx):
    assert run("masked_loss", {}, ctx, lambda call: _loss(call, "right")).passed
    verdict = run("masked_loss", {}, ctx, lambda call: _loss(call, "plain"))
    assert not verdict.passed and "masked weeks (target −1) must be left out" in verdict.message
    assert "masked_loss(y_true, y_pred) with y_true (16, 10, 1)" in verdict.message
    verdict = run("masked_loss", {}, ctx, lambda call: _loss(call, "per_example"))
    assert not verdict.passed and "returned shape (16,); a loss is a scalar" in verdict.message
    missing = CallResult(False, error=CallError("MissingName", "masked_loss is not defined in the notebook", missing=True))
    verdict = run("masked_loss", {}, ctx, lambda call: missing)
    assert not verdict.passed and verdict.message == "masked_loss is not defined in the notebook"


def test_masked_loss_cases_cover_both_shapes_and_a_single_observed_entry(ctx):
    plan = registry.get("masked_loss").plan({}, ctx)
    shapes = {call["args"][0].shape for call in plan.calls}
    assert (16, 10, 1) in shapes and (16, 10) in shapes
    assert any(int((call["args"][0] != MASK_VALUE).sum()) == 1 for call in plan.calls)


# -- behaviour of the trained models ----------------------------------------------------------------
def _observed_mean(x):
    """A stand-in 'model' that skips masked weeks: per week, the running mean of the observed weeks' features."""
    seen = np.any(x != MASK_VALUE, axis=-1)
    values = np.where(seen[..., None], x, 0.0).sum(axis=-1)
    counts = np.maximum(np.cumsum(seen, axis=1), 1)
    return np.cumsum(values, axis=1) / counts / x.shape[-1]


def test_future_weeks_ignored(ctx):
    params = {"function": "predict_passfail", "weeks": 5}
    assert run("future_weeks_ignored", params, ctx, lambda c: ok(_observed_mean(c["args"][0][:, :5])[:, -1])).passed
    verdict = run("future_weeks_ignored", params, ctx, lambda c: ok(_observed_mean(c["args"][0])[:, -1]))
    assert not verdict.passed and "changing only weeks 6-10" in verdict.message and "X[:, :5] only" in verdict.message
    noisy = np.random.default_rng(0)
    verdict = run("future_weeks_ignored", params, ctx, lambda c: ok(noisy.random(len(c["args"][0]))))
    assert not verdict.passed and "must be deterministic" in verdict.message
    verdict = run("future_weeks_ignored", params, ctx, lambda c: ok(np.zeros((len(c["args"][0]), 1))))
    assert not verdict.passed and "returned shape (200, 1), expected (200,)" in verdict.message


def test_masked_weeks_skipped(ctx):
    tracing = {"function": "predict_tracing", "output": "per_week"}
    assert run("masked_weeks_skipped", tracing, ctx, lambda c: ok(_observed_mean(c["args"][0]))).passed
    unmasked = run("masked_weeks_skipped", tracing, ctx, lambda c: ok(np.cumsum(c["args"][0].mean(-1), axis=1)))
    assert not unmasked.passed and "should skip masked weeks" in unmasked.message
    passfail = {"function": "predict_passfail", "output": "last", "weeks": 5}
    assert run("masked_weeks_skipped", passfail, ctx, lambda c: ok(_observed_mean(c["args"][0][:, :5])[:, -1])).passed
    week5 = run("masked_weeks_skipped", passfail, ctx, lambda c: ok(c["args"][0][:, 4].mean(-1)))
    assert not week5.passed and "within weeks 1-5" in week5.message


def test_hidden_metrics_are_computed_in_the_grader(ctx):
    scores, passed = hidden_labels(ctx.hidden_dir)
    rmse = {"function": "predict_tracing", "metric": "rmse_observed", "threshold": 0.17}
    perfect = np.nan_to_num(scores, nan=0.3)
    assert run("hidden_metric", rmse, ctx, lambda c: ok(perfect)).passed
    verdict = run("hidden_metric", rmse, ctx, lambda c: ok(np.full(scores.shape, 0.67)))
    assert not verdict.passed and "needs ≤ 0.17" in verdict.message and "every prediction is the same" in verdict.message
    verdict = run("hidden_metric", rmse, ctx, lambda c: ok(perfect[..., None]))
    assert not verdict.passed and "expected (1000, 10) — same number of values" in verdict.message

    auc = {"function": "predict_passfail", "metric": "auc", "threshold": 0.87, "reference": "0.900 ± 0.0003"}
    assert run("hidden_metric", auc, ctx, lambda c: ok(0.2 + 0.6 * passed)).passed
    verdict = run("hidden_metric", auc, ctx, lambda c: ok(np.zeros(1000)))
    assert not verdict.passed and "AUC 0.5000, needs ≥ 0.87 (reference solutions: 0.900 ± 0.0003)" in verdict.message
    bal = {"function": "predict_passfail", "metric": "balanced_accuracy", "threshold": 0.805}
    verdict = run("hidden_metric", bal, ctx, lambda c: ok(0.1 + 0.3 * passed))  # perfect ranking, all below 0.5
    assert not verdict.passed and "same side of 0.5" in verdict.message


def test_labels_never_travel_to_the_kernel(ctx):
    scores, _ = hidden_labels(ctx.hidden_dir)
    plan = registry.get("hidden_metric").plan({"function": "predict_tracing", "metric": "rmse_observed"}, ctx)
    sent = plan.calls[0]["args"][0]
    assert sent.shape == (1000, 10, 15) and np.array_equal(sent, hidden_inputs(ctx.hidden_dir).X)
    plan = registry.get("prepare_sequences").plan({}, ctx)
    quizzes = plan.calls[0]["args"][1].columns  # all hidden students: random scores where a quiz was taken
    table = pd.DataFrame(quizzes).pivot(index="student_id", columns="week", values="quiz_score").to_numpy()
    seen = ~np.isnan(scores)
    assert np.array_equal(~np.isnan(table), seen)
    assert np.mean(table[seen] == scores[seen]) < 0.2
