"""Lab 02's metric checks judge only what the task allows: no kernel, no TensorFlow, no PyTorch.

The pass/fail metric call carries weeks 1-5 of each hidden student (weeks 6-10 are another student's), the
tracing metric requires the prediction for week t not to move when weeks after t change, and both require the
predictions to be the outputs of a trained LSTM the notebook holds, computed by the grader from its weights.
Each attack below is shown to score without the defence (the same check with the defence's parameters left
out) and to fail with it.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.judging.checks import registry
from grader.judging.checks.base import CheckContext
from grader.judging.checks.tracing import MASK_VALUE, hidden_inputs, hidden_labels
from grader.judging.recorded import Table, replaying
from grader.kernel.probing import CallError, CallResult

LAB = "02-tracing-vs-passfail"
F32 = np.float32
PASSFAIL = {"function": "predict_passfail", "metric": "auc", "output_range": [0, 1], "threshold": 0.88}
DEFENDED_PASSFAIL = {**PASSFAIL, "weeks": 5, "trained_model": True}
TRACING = {"function": "predict_tracing", "metric": "rmse_observed", "threshold": 1.0}
DEFENDED_TRACING = {**TRACING, "causal": {"weeks": [1, 3, 5, 7, 9], "students": 200}, "trained_model": True}


@pytest.fixture
def ctx(root):
    return CheckContext("torch", np.random.default_rng(5), root / "assignments" / LAB / "hidden", LAB)


def ok(value):
    return CallResult(True, value)


def lstm_weights(rng, n_features=15, units=8):
    """An LSTM and a head of one output in PyTorch's layout (gates i, f, g, o; one summed bias)."""
    return {"w_ih": rng.normal(0, 0.5, (4 * units, n_features)).astype(F32),
            "w_hh": rng.normal(0, 0.5, (4 * units, units)).astype(F32),
            "bias": rng.normal(0, 0.2, 4 * units).astype(F32),
            "head_w": rng.normal(0, 1.0, units).astype(F32), "head_b": rng.normal(0, 0.2, 1).astype(F32)}


def lstm_forward(w, x, masking=True, sigmoid=True):
    """What a framework computes, written apart from the grader: float32, one step at a time, a masked week
    (all features −1) keeps the state (with ``masking``). Returns the head's output at every week, (N, T)."""
    x = np.asarray(x, F32)
    units = w["w_hh"].shape[1]
    h = np.zeros((len(x), units), F32)
    c = np.zeros((len(x), units), F32)
    out = []
    for t in range(x.shape[1]):
        z = x[:, t] @ w["w_ih"].T + h @ w["w_hh"].T + w["bias"]
        i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
        sig = lambda v: F32(1) / (F32(1) + np.exp(-v))  # noqa: E731
        c_new = sig(f) * c + sig(i) * np.tanh(g)
        h_new = sig(o) * np.tanh(c_new)
        keep = np.all(x[:, t] == MASK_VALUE, axis=-1)[:, None] & masking
        h, c = np.where(keep, h, h_new), np.where(keep, c, c_new)
        out.append(h @ w["head_w"] + w["head_b"][0])
    return sig(np.stack(out, axis=1)) if sigmoid else np.stack(out, axis=1)


def found(*models, others=()):
    return ok({"models": [{"where": where, "class": "Model", **w} for where, w in models], "others": list(others)})


def run(params, ctx, predict, models=None):
    kind = registry.get("hidden_metric")
    plan = kind.plan(params, ctx)
    results = {c["id"]: (models if c["probe"] == "trained_lstms" else ok(predict(c["args"][0]))) for c in plan.calls}
    return kind.judge(params, ctx, plan, results)


# -- pass/fail: weeks 1-5 only ------------------------------------------------------------------------
def test_passfail_metric_call_carries_weeks_1_to_5_only(ctx):
    hidden = hidden_inputs(ctx.hidden_dir).X
    plan = registry.get("hidden_metric").plan(DEFENDED_PASSFAIL, ctx)
    sent = plan.calls[0]["args"][0]
    assert sent.shape == hidden.shape and np.array_equal(sent[:, :5], hidden[:, :5])
    # each row's weeks 6-10 are another student's, never its own
    owner = [[j for j in range(len(hidden)) if np.array_equal(sent[i, 5:], hidden[j, 5:])] for i in range(0, 1000, 50)]
    assert all(rows and (i * 50) not in rows for i, rows in enumerate(owner) if len(rows) == 1)
    assert not np.array_equal(sent[:, 5:], hidden[:, 5:])
    assert [c["probe"] for c in plan.calls] == ["call", "trained_lstms"]


def _taken_all_weeks(x):
    """A look-ahead score with no model: the number of quizzes taken in weeks 1-10."""
    return np.any(np.asarray(x) != MASK_VALUE, axis=-1).sum(axis=1) / 10.0


def test_look_ahead_passfail_scores_without_the_defence_and_fails_with_it(ctx):
    undefended = run(PASSFAIL, ctx, _taken_all_weeks)
    assert undefended.passed and "AUC 0.945" in undefended.message  # weeks 6-10 of the real course: 0.870 → 0.945
    defended = run({**PASSFAIL, "weeks": 5}, ctx, _taken_all_weeks)  # other students' weeks 6-10: no signal
    assert not defended.passed and "AUC 0.7" in defended.message
    w = lstm_weights(np.random.default_rng(0))
    tied = run(DEFENDED_PASSFAIL, ctx, _taken_all_weeks, found(("passfail_model", w)))
    assert not tied.passed and "not the outputs of a trained model of the notebook" in tied.message
    assert "passfail_model (its outputs differ by" in tied.message


def test_model_run_on_all_ten_weeks_is_not_the_model_on_five(ctx):
    w = lstm_weights(np.random.default_rng(1))
    loose = {**DEFENDED_PASSFAIL, "threshold": 0.0}
    right = run(loose, ctx, lambda x: lstm_forward(w, x[:, :5])[:, -1], found(("passfail_model", w)))
    assert right.passed and "outputs of the trained model `passfail_model` (masked weeks skipped" in right.message
    ten = run(loose, ctx, lambda x: lstm_forward(w, x)[:, -1], found(("passfail_model", w)))
    assert not ten.passed and "from X[:, :5]" in ten.message


def test_remembered_students_do_not_bring_their_future_back(ctx):
    """predict_passfail that recognises each student by weeks 1-5 (the kernel has seen the full X in other calls)
    and answers with the model run on the real ten weeks: the grader's own forward pass on weeks 1-5 differs."""
    hidden = hidden_inputs(ctx.hidden_dir).X
    w = lstm_weights(np.random.default_rng(2))
    memory = {row[:5].tobytes(): lstm_forward(w, row[None])[0, -1] for row in hidden}
    verdict = run({**DEFENDED_PASSFAIL, "threshold": 0.0}, ctx,
                  lambda x: np.array([memory[row[:5].tobytes()] for row in np.asarray(x, F32)]),
                  found(("passfail_model", w)))
    assert not verdict.passed and "not the outputs of a trained model" in verdict.message


def test_a_regression_without_a_model_fails_however_good(ctx):
    _, passed = hidden_labels(ctx.hidden_dir)
    oracle = lambda x: 0.2 + 0.6 * passed  # noqa: E731 - better than any model
    assert run(PASSFAIL, ctx, oracle).passed
    nothing = run(DEFENDED_PASSFAIL, ctx, oracle, found(others=[{"where": "clf", "class": "Pipeline", "why": "x"}]))
    assert not nothing.passed and "Models found: clf (x)" in nothing.message
    no_model = run(DEFENDED_PASSFAIL, ctx, oracle, found())
    assert not no_model.passed and "Models found: none" in no_model.message


# -- tracing: causal, and the trained model ---------------------------------------------------------
def test_non_causal_tracing_fails_and_a_causal_model_passes(ctx):
    w = lstm_weights(np.random.default_rng(3))
    causal = run(DEFENDED_TRACING, ctx, lambda x: lstm_forward(w, x), found(("tracing_model", w)))
    assert causal.passed, causal.message
    assert "outputs of the trained model `tracing_model`" in causal.message

    def both_ways(x):  # the trained model, also run backwards over the weeks: sees the future
        x = np.asarray(x, F32)
        return 0.7 * lstm_forward(w, x) + 0.3 * lstm_forward(w, x[:, ::-1])[:, ::-1]

    assert run(TRACING, ctx, both_ways).passed  # without the defence nothing looks at the weeks
    verdict = run(DEFENDED_TRACING, ctx, both_ways, found(("tracing_model", w)))
    assert not verdict.passed and "changing only weeks 2-10 of X" in verdict.message
    assert "the prediction for week t may use weeks 1 to t only" in verdict.message


def test_least_squares_over_all_weeks_is_caught_by_causality(ctx):
    """The issue's example: a linear regression on the week's features and the mean of the student's weeks."""
    def all_weeks(x):
        x = np.asarray(x, np.float64)
        seen = np.any(x != MASK_VALUE, axis=-1)
        values = np.where(seen[..., None], x, 0.0)
        mean = values.sum(axis=1) / np.maximum(seen.sum(axis=1), 1)[:, None]
        return 0.3 + 0.2 * values.mean(axis=-1) + 0.2 * mean.mean(axis=-1)[:, None]

    assert run(TRACING, ctx, all_weeks).passed
    verdict = run(DEFENDED_TRACING, ctx, all_weeks, found())
    assert not verdict.passed and "changed the predictions for weeks 1-1" in verdict.message


def test_causal_predictor_without_the_model_fails_the_tie(ctx):
    w = lstm_weights(np.random.default_rng(4))
    cumulative = lambda x: np.cumsum(np.where(np.asarray(x) == MASK_VALUE, 0, x).mean(-1), axis=1) / 10  # noqa: E731
    verdict = run(DEFENDED_TRACING, ctx, cumulative, found(("tracing_model", w)))
    assert not verdict.passed and "not the outputs of a trained model" in verdict.message
    nudged = run(DEFENDED_TRACING, ctx, lambda x: lstm_forward(w, x) + 0.003, found(("tracing_model", w)))
    assert not nudged.passed and "differ by 0.003" in nudged.message


def test_unmasked_model_with_a_linear_head_is_still_the_model(ctx):
    """A model without Masking (its own check takes those points) and a head without sigmoid are recognised;
    the model is found among several."""
    w = lstm_weights(np.random.default_rng(6))
    loose = {**DEFENDED_TRACING, "threshold": 10.0, "causal": {"weeks": [2], "students": 50}}
    others = ("passfail_model", lstm_weights(np.random.default_rng(9)))
    verdict = run(loose, ctx, lambda x: lstm_forward(w, x, masking=False, sigmoid=False),
                  found(others, ("tracing_model", w)))
    assert verdict.passed and "`tracing_model` (masked weeks read as inputs, output no activation)" in verdict.message
    verdict = run(loose, ctx, lambda x: lstm_forward(w, x), found(others, ("tracing_model", w)))
    assert verdict.passed and "`tracing_model` (masked weeks skipped, output sigmoid)" in verdict.message


def test_public_preview_leaves_the_tie_to_the_graded_run(ctx):
    """Without the grader's numerics (a public install) the tie cannot be computed: the preview says so."""
    w = lstm_weights(np.random.default_rng(7))
    params = {**DEFENDED_PASSFAIL, "threshold": 0.0}
    kind = registry.get("hidden_metric")
    plan = kind.plan(params, ctx)
    results = {"hidden": ok(np.linspace(0.1, 0.9, 1000)), "models": found(("m", w))}
    assert not kind.judge(params, ctx, plan, results).passed  # with the numerics: not the model's outputs
    with replaying(Table()):
        verdict = kind.judge(params, ctx, plan, results)
    assert verdict.passed and "checked in the graded run" in verdict.message


def test_whatever_the_kernel_sends_for_the_models_is_judged_not_crashed_on(ctx):
    """The kernel is the student's: malformed model descriptions make the check fail, never the grader err."""
    w = lstm_weights(np.random.default_rng(8))
    oracle = lambda x: lstm_forward(w, x[:, :5])[:, -1]  # noqa: E731
    wide = {**w, "w_hh": np.zeros((4 * 600, 600), F32)}
    odd = [("wrong shapes", {**w, "w_ih": w["w_ih"][:, :3]}), ("wide", wide), ("nan", {**w, "bias": w["bias"] * np.nan}),
           ("lists", {key: value.tolist() for key, value in w.items()})]
    verdict = run({**DEFENDED_PASSFAIL, "threshold": 0.0}, ctx, oracle, found(*odd))
    assert not verdict.passed and "wrong shapes (an LSTM of 15 inputs and at most 512 units" in verdict.message
    assert "nan (its weights are not finite)" in verdict.message and "did not come back as arrays" in verdict.message
    garbage = ok({"models": ["not a dict", 3], "others": "nope"})
    verdict = run({**DEFENDED_PASSFAIL, "threshold": 0.0}, ctx, oracle, garbage)
    assert not verdict.passed and "not a model description" in verdict.message
    for value in (ok([1, 2]), CallResult(False, error=CallError("RuntimeError", "the probe broke"))):
        assert not run({**DEFENDED_PASSFAIL, "threshold": 0.0}, ctx, oracle, value).passed
