"""Check kinds of lab 02 on the trained models: future weeks ignored, masked weeks skipped, predictions in
range, and the metrics on hidden students (tied to the trained weights, so that a lookup cannot pass).

The lab's data and metrics are in :mod:`grader.judging.checks.tracing`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from grader.judging.checks.base import (
    CheckContext,
    CheckKind,
    Failed,
    Plan,
    Verdict,
    optional,
    require_ok,
    run_judge,
)
from grader.judging.checks.tracing import (
    MASK_VALUE,
    METRICS,
    N_WEEKS,
    PUBLIC_FEATURES,
    PUBLIC_QUIZZES,
    feature_ranges,
    hidden_inputs,
    metric_value,
    pandas_module,
    prediction_array,
    student_subset,
)
from grader.judging.numerics import mooc
from grader.judging.recorded import NotRecorded
from grader.kernel.probing import CallResult
from grader.reports.report import cut


# -- behaviour of the trained models ------------------------------------------------------------------
class FutureWeeksIgnored(CheckKind):
    """``function(X)`` (N,) depends on the first ``weeks`` weeks only: changing the later weeks of hidden
    inputs (features and which weeks are masked) leaves every prediction unchanged."""

    name = "future_weeks_ignored"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        weeks = int(params.get("weeks", 5))
        x = hidden_inputs(ctx.hidden_dir).X[student_subset(ctx, int(params.get("students", 200)))].copy()
        changed = x.copy()
        later = changed[:, weeks:]
        later[:] = ctx.rng.uniform(0.0, 1.0, size=later.shape)
        masked = ctx.rng.random(later.shape[:2]) < 0.5
        later[masked] = MASK_VALUE
        function = params.get("function", "predict_passfail")
        calls = [{"id": name, "probe": "call", "function": function, "args": [value]}
                 for name, value in (("original", x), ("changed", changed), ("again", x))]
        return Plan(calls, {"weeks": weeks, "function": function, "n": len(x)})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        weeks, function, n = plan.state["weeks"], plan.state["function"], plan.state["n"]
        atol = float(params.get("tolerance", 1e-5))

        def body() -> str:
            text = f"{function}(X) with X of shape ({n}, {N_WEEKS}, F) (hidden students)"
            first = prediction_array(results["original"], text, (n,))
            again = prediction_array(results["again"], f"{text}, called a second time", (n,))
            if np.max(np.abs(first - again)) > atol:
                raise Failed(f"{text}: two calls on the same X differ by up to {np.max(np.abs(first - again)):.3g}; "
                             "predictions must be deterministic (inference mode: no dropout)")
            changed = prediction_array(results["changed"], f"{text} with weeks {weeks + 1}-{N_WEEKS} changed", (n,))
            diff = np.abs(changed - first)
            if np.max(diff) > atol:
                raise Failed(
                    f"{function}(X): changing only weeks {weeks + 1}-{N_WEEKS} of X (features and which weeks are "
                    f"masked) changed the predictions of {int((diff > atol).sum())} of {n} students (by up to "
                    f"{diff.max():.3g}); the prediction after {weeks} weeks must use X[:, :{weeks}] only"
                )
            return f"{function} uses only weeks 1-{weeks}: changing weeks {weeks + 1}-{N_WEEKS} changes nothing"

        return run_judge(body)


def _pack_observed(x: np.ndarray, weeks: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Move each student's observed weeks among the first ``weeks`` to the front (in order), masked after."""
    packed = x.copy()
    positions = []
    for i in range(len(x)):
        seen = np.flatnonzero(np.any(x[i, :weeks] != MASK_VALUE, axis=-1))
        packed[i, :weeks] = MASK_VALUE
        packed[i, :len(seen)] = x[i, seen]
        positions.append(seen)
    return packed, positions


@lru_cache(maxsize=2)
def _public_students(public_dir: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    pd = pandas_module()
    folder = Path(public_dir)
    x, y = mooc.prepare_sequences(pd.read_csv(folder / PUBLIC_FEATURES), pd.read_csv(folder / PUBLIC_QUIZZES),
                             feature_ranges(folder))
    chosen = np.flatnonzero((y[:, :, 0] != MASK_VALUE).sum(axis=1) >= 6)[:count]
    return x[chosen], y[chosen, :, 0]


def public_students(hidden_dir: Path, count: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(X, quiz scores with −1.0 where none) of the first ``count`` public students with six or more quizzes:
    the students a report may plot (their scores are in the students' own data)."""
    return _public_students(str((Path(hidden_dir) / ".." / "public").resolve()), count)


def _public_call(function: str, hidden_dir: Path) -> list[dict[str, Any]]:
    try:
        x, _ = public_students(hidden_dir)
    except Exception:  # noqa: BLE001 - no public data or no way to prepare it: no plot, the check is unchanged
        return []
    return [{"id": "public", "probe": "call", "function": function, "args": [x]}]


@optional(dict)
def _public_predictions(result: CallResult | None, hidden_dir: Path) -> dict[str, Any]:
    """Plot data: the tracing predictions on the public students against their quiz scores, if they came back."""
    if result is None or not result.ok:
        return {}
    x, scores = public_students(hidden_dir)
    value = result.value
    if not isinstance(value, np.ndarray) or value.size != scores.size:
        return {}
    pred = value.astype(np.float64).reshape(scores.shape)
    truth = np.where(scores == MASK_VALUE, np.nan, scores)
    return {"plot": "tracing", "predictions": pred.tolist(), "truth": truth.tolist(),
            "students": [f"public student {i + 1}" for i in range(len(scores))]}


class MaskedWeeksSkipped(CheckKind):
    """The trained model skips masked weeks: with the same observed weeks in the same order, moving the
    masked weeks elsewhere must not change the predictions at the observed weeks (``output: per_week``,
    predictions (N, 10)) or the final prediction (``output: last``, predictions (N,) from ``weeks`` weeks)."""

    name = "masked_weeks_skipped"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        weeks = int(params.get("weeks", N_WEEKS))
        x = hidden_inputs(ctx.hidden_dir).X[student_subset(ctx, int(params.get("students", 200)))].copy()
        packed, positions = _pack_observed(x, weeks)
        function = params["function"]
        calls = [{"id": "original", "probe": "call", "function": function, "args": [x]},
                 {"id": "packed", "probe": "call", "function": function, "args": [packed]}]
        if params.get("output", "per_week") == "per_week":  # for the report's plot only: a few public students
            calls += _public_call(function, ctx.hidden_dir)
        return Plan(calls, {"positions": positions, "function": function, "weeks": weeks, "n": len(x)})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        function, weeks, n = plan.state["function"], plan.state["weeks"], plan.state["n"]
        per_week = params.get("output", "per_week") == "per_week"
        shape = (n, N_WEEKS) if per_week else (n,)
        atol = float(params.get("tolerance", 1e-4))
        details = _public_predictions(results.get("public"), ctx.hidden_dir) if per_week else {}

        def body() -> str:
            text = f"{function}(X) with X of shape ({n}, {N_WEEKS}, F) (hidden students)"
            first = prediction_array(results["original"], text, shape)
            packed = prediction_array(results["packed"], f"{text} with the observed weeks moved to the front", shape)
            if per_week:
                pairs = [(i, int(t), k) for i, seen in enumerate(plan.state["positions"]) for k, t in enumerate(seen)]
                a = np.array([first[i, t] for i, t, _ in pairs])
                b = np.array([packed[i, k] for i, _, k in pairs])
            else:
                a, b = first, packed
            diff = np.abs(a - b)
            if diff.size and diff.max() > atol:
                worst = int(np.argmax(diff))
                where = (f"student {pairs[worst][0]}, week {pairs[worst][1] + 1}: {a[worst]:.4g} before, "
                         f"{b[worst]:.4g} after" if per_week else f"student {worst}: {a[worst]:.4g} before, "
                         f"{b[worst]:.4g} after")
                subject = "the predictions at the observed weeks" if per_week else "the predictions"
                raise Failed(
                    f"{function}(X): the same observed weeks in the same order, with the masked weeks (all features "
                    f"−1.0) moved after them{'' if per_week else f' within weeks 1-{weeks}'}, changed {subject} "
                    f"(up to {diff.max():.3g}; {where}); the model should skip masked weeks (Masking(mask_value=−1.0) "
                    "before the LSTM, or carry the state over a masked week)"
                )
            return f"{function} skips the masked weeks: where they fall does not change the predictions"

        return run_judge(body, details)


class PredictionRange(CheckKind):
    """``function(X)`` on hidden students returns values within ``range`` (e.g. probabilities in [0, 1])."""

    name = "prediction_range"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        x = hidden_inputs(ctx.hidden_dir).X[student_subset(ctx, int(params.get("students", 200)))].copy()
        return Plan([{"id": "hidden", "probe": "call", "function": params["function"], "args": [x]}], {"n": len(x)})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        function, n = params["function"], plan.state["n"]
        low, high = (float(v) for v in params.get("range", (0.0, 1.0)))
        words = params.get("meaning", "values")

        def body() -> str:
            text = f"{function}(X) with X of shape ({n}, {N_WEEKS}, F) (hidden students)"
            pred = prediction_array(results["hidden"], text, (n,))
            outside = (pred < low) | (pred > high)
            if np.any(outside):
                raise Failed(f"{text}: {int(outside.sum())} of {n} values lie outside [{low:g}, {high:g}] (from "
                             f"{pred.min():.4g} to {pred.max():.4g}); it should return {words} — a sigmoid output, "
                             "not the logits")
            return f"{text} returns {words} in [{low:g}, {high:g}]"

        return run_judge(body)


def _another_student(rng: np.random.Generator, n: int) -> np.ndarray:
    """For each of ``n`` rows the index of another row (a random cycle through all of them: nobody keeps their own)."""
    order = rng.permutation(n)
    other = np.empty(n, dtype=np.int64)
    other[order] = np.roll(order, -1)
    return other


_FIRST_ROWS = 64  # students a candidate model is tried on before all of them
_CELL_ACTIVATIONS = ("tanh", "sigmoid", "hard_sigmoid", "relu", "linear")  # what mooc.lstm_head computes with
_OUTPUT_ACTIVATIONS = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "no activation": lambda z: z,
    "clipped to [0, 1]": lambda z: np.clip(z, 0.0, 1.0),
    "relu": lambda z: np.maximum(z, 0.0),
}


class HiddenMetric(CheckKind):
    """``function(X)`` on all hidden students (inputs prepared by the grader); the grader computes the
    metric against the hidden labels and compares it with a calibrated threshold.

    What the task allows is judged first: with ``weeks`` (pass/fail after 5 weeks) the later weeks of every
    student are another hidden student's, so they tell nothing about the student's own future; with
    ``causal`` (tracing) the prediction for week t must not change when weeks after t change (random features
    and masks from week t+1 on, for each t listed, on a subset of students); with ``trained_model`` the
    predictions must be those of a trained model the notebook holds, one LSTM layer and a head of one output,
    whose outputs the grader computes itself from its weights (on weeks 1-``weeks`` only), masked weeks
    skipped or read as they are. A predictor that is not the trained recurrent model (a regression on weekly
    features, a lookup of students seen in earlier calls) then scores nothing here, whatever its metric:
    on this data such predictors reach the metrics of the references (benchmarks/results/
    calibration_02-tracing-vs-passfail.md)."""

    name = "hidden_metric"
    preview_only = True
    kernel_modules = ("tracing_probes",)

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        hidden = hidden_inputs(ctx.hidden_dir).X
        x = np.array(hidden)
        weeks = params.get("weeks")
        if weeks is not None:
            x[:, int(weeks):] = hidden[_another_student(ctx.rng, len(x)), int(weeks):]
        function = params["function"]
        calls = [{"id": "hidden", "probe": "call", "function": function, "args": [x]}]
        state: dict[str, Any] = {"n": len(x)}
        causal = params.get("causal")
        if causal:
            rows = student_subset(ctx, int(causal.get("students", 200)))
            original = np.array(hidden[rows])
            calls.append({"id": "causal-original", "probe": "call", "function": function, "args": [original]})
            cuts = [int(t) for t in causal.get("weeks", [1, 3, 5, 7, 9])]
            for t in cuts:
                changed = original.copy()
                later = changed[:, t:]
                later[:] = ctx.rng.uniform(0.0, 1.0, size=later.shape)
                later[ctx.rng.random(later.shape[:2]) < 0.5] = MASK_VALUE
                calls.append({"id": f"causal-{t}", "probe": "call", "function": function, "args": [changed]})
            state["causal"] = {"cuts": cuts, "n": len(rows)}
        if params.get("trained_model"):
            calls.append({"id": "models", "probe": "trained_lstms", "function": function})
            state["inputs"] = x if weeks is None else x[:, :int(weeks)]
        return Plan(calls, state)

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        metric, function, n = params["metric"], params["function"], plan.state["n"]
        words, direction = METRICS[metric]
        threshold = float(params["threshold"])
        per_week = metric == "rmse_observed"

        def body() -> str:
            text = f"{function}(X) on the {n:,} hidden students"
            if params.get("weeks") is not None:
                text += f" (weeks {int(params['weeks']) + 1}-{N_WEEKS} another student's)"
            pred = prediction_array(results["hidden"], text, (n, N_WEEKS) if per_week else (n,))
            bounds = params.get("output_range")
            if bounds is not None and (pred.min() < float(bounds[0]) or pred.max() > float(bounds[1])):
                raise Failed(f"{text}: values range over [{pred.min():.4g}, {pred.max():.4g}], expected within "
                             f"[{float(bounds[0]):g}, {float(bounds[1]):g}] (probabilities of passing)")
            if "causal" in plan.state:
                self._judge_causal(params, function, plan.state["causal"], results)
            note = ""
            if params.get("trained_model"):
                note = self._judge_trained_model(params, function, text, plan.state["inputs"], pred, per_week,
                                                 results["models"])
            value = metric_value(metric, ctx.hidden_dir, pred)
            good = value <= threshold if direction == "max" else value >= threshold
            reference = f" (reference solutions: {params['reference']})" if params.get("reference") else ""
            if not good:
                raise Failed(f"{text}: {words} {value:.4f}, needs {'≤' if direction == 'max' else '≥'} {threshold:g}"
                             f"{reference}{self._hint(metric, pred)}")
            return f"{text}: {words} {value:.4f} ({'≤' if direction == 'max' else '≥'} {threshold:g}){note}"

        return run_judge(body)

    @staticmethod
    def _judge_causal(params: dict[str, Any], function: str, state: dict[str, Any],
                      results: dict[str, CallResult]) -> None:
        m = state["n"]
        text = f"{function}(X) with X of shape ({m}, {N_WEEKS}, F) (hidden students)"
        first = prediction_array(results["causal-original"], text, (m, N_WEEKS))
        atol = float(params.get("causal", {}).get("tolerance", 1e-4))
        for t in state["cuts"]:
            changed = prediction_array(results[f"causal-{t}"], f"{text} with weeks {t + 1}-{N_WEEKS} changed", (m, N_WEEKS))
            diff = np.abs(changed[:, :t] - first[:, :t])
            if diff.max() > atol:
                i, week = (int(v) for v in np.unravel_index(int(np.argmax(diff)), diff.shape))
                raise Failed(
                    f"{function}(X): changing only weeks {t + 1}-{N_WEEKS} of X (features and which weeks are masked) "
                    f"changed the predictions for weeks 1-{t} of {int((diff > atol).any(axis=1).sum())} of {m} "
                    f"students (up to {diff.max():.3g}; student {i}, week {week + 1}: {first[i, week]:.4g} before, "
                    f"{changed[i, week]:.4g} after); the prediction for week t may use weeks 1 to t only — what the "
                    "student did later has not happened yet (a forward LSTM, no bidirectional layer, no features "
                    "of later weeks)")

    @staticmethod
    def _judge_trained_model(params: dict[str, Any], function: str, text: str, x: np.ndarray, pred: np.ndarray,
                             per_week: bool, result: CallResult) -> str:
        """The predictions are the outputs of a trained LSTM + one-output head that the notebook holds, computed
        by the grader from its weights on ``x``. Returns a note for the message ("" when checked)."""
        found = require_ok(result, "finding the notebook's trained models")
        models, others = ((found.get(key) if isinstance(found, dict) else None) for key in ("models", "others"))
        models, others = (value if isinstance(value, list) else [] for value in (models, others))
        atol = float(params.get("model_tolerance", 2e-4))
        tried: list[str] = []
        try:
            for model in models:
                problem = _unusable(model, x.shape[-1])
                if problem:
                    tried.append(f"{_where(model)} ({problem})")
                    continue
                closest = _closest_output(model, x, pred, per_week, atol)
                if closest is None:
                    tried.append(f"{_where(model)} (activations the grader does not compute)")
                    continue
                diff, how = closest
                if diff <= atol:
                    return f"; these are the outputs of the trained model `{_where(model)}` ({how})"
                tried.append(f"{_where(model)} (its outputs differ by {diff:.3g})")
        except NotRecorded:
            return ("; whether the notebook's trained LSTM gives these predictions is checked in the graded run, "
                    "not here")
        weeks = x.shape[1]
        seen = "; ".join(tried + [f"{_where(o)} ({cut(str(o.get('why', '')), 120) if isinstance(o, dict) else ''})"
                                  for o in others][:6]) or "none"
        raise Failed(
            f"{text}: these predictions are not the outputs of a trained model of the notebook. The grader looks for "
            f"the trained LSTM among the notebook's variables (a model with one LSTM layer and a head of one output, "
            f"as {'create_tracing_model' if per_week else 'create_passfail_model'} builds it), computes its outputs "
            f"itself from its weights on weeks 1-{weeks} of X and compares them with what {function} returned. "
            f"Models found: {cut(seen, 600)}. {function} must return the trained recurrent model's predictions"
            + ("" if per_week else f" from X[:, :{weeks}]") + " — not another predictor, and no other input")

    @staticmethod
    def _hint(metric: str, pred: np.ndarray) -> str:
        if np.ptp(pred) < 1e-6:
            return " — every prediction is the same value: the model has not learnt anything from the inputs"
        if metric == "balanced_accuracy" and (np.all(pred > 0.5) or np.all(pred <= 0.5)):
            return (" — every student falls on the same side of 0.5; with 25.6 % passers, weight the classes "
                    "(e.g. class_weight / a weighted loss) so that 0.5 separates them")
        if metric != "rmse_observed" and (pred.min() < 0 or pred.max() > 1):
            return " — predictions should be probabilities of passing, in [0, 1]"
        return ""


_MAX_UNITS = 512


def _where(model: Any) -> str:
    return cut(str(model.get("where", "?")), 80) if isinstance(model, dict) else "?"


def _unusable(model: Any, n_features: int) -> str:
    """Why the weights the kernel sent for a model cannot be an LSTM + head on these inputs ("" when they can)."""
    if not isinstance(model, dict):
        return "not a model description"
    arrays = {key: model.get(key) for key in ("w_ih", "w_hh", "bias", "head_w", "head_b")}
    if not all(isinstance(value, np.ndarray) and value.dtype.kind == "f" for value in arrays.values()):
        return "its weights did not come back as arrays"
    units = arrays["w_hh"].shape[-1] if arrays["w_hh"].ndim == 2 else -1
    shapes = {"w_ih": (4 * units, n_features), "w_hh": (4 * units, units), "bias": (4 * units,), "head_w": (units,),
              "head_b": (1,)}
    if not 0 < units <= _MAX_UNITS or any(arrays[key].shape != shape for key, shape in shapes.items()):
        return (f"an LSTM of {n_features} inputs and at most {_MAX_UNITS} units with a head of one output was "
                "expected, its weights have other shapes")
    if not all(np.all(np.isfinite(value)) for value in arrays.values()):
        return "its weights are not finite"
    return ""


def _closest_output(model: dict[str, Any], x: np.ndarray, pred: np.ndarray, per_week: bool,
                    atol: float) -> tuple[float, str] | None:
    """How close the model's outputs on ``x`` come to ``pred`` (the largest difference at the observed weeks, or
    of the last output), masked weeks skipped or read, for the closest output activation; the first within
    ``atol`` is returned at once. A candidate is tried on a few students first, and on all only if they agree.
    None when the model's activations are not ones the grader computes."""
    names = (str(model.get("cell_activation", "tanh")), str(model.get("recurrent_activation", "sigmoid")))
    if not all(name in _CELL_ACTIVATIONS for name in names):
        return None
    best: tuple[float, str] | None = None
    for skip in (True, False):
        for rows in (slice(0, _FIRST_ROWS), slice(None)):
            z = mooc.lstm_head(model["w_ih"], model["w_hh"], model["bias"], model["head_w"], model["head_b"],
                               x[rows], skip_masked=skip, activation=names[0], recurrent_activation=names[1])
            if per_week:
                seen = np.any(x[rows] != MASK_VALUE, axis=-1)
                z, target = z[seen], pred[rows][seen]
            else:
                z, target = z[:, -1], pred[rows]
            closest = (np.inf, "")
            for name, activation in _OUTPUT_ACTIVATIONS.items():
                with np.errstate(over="ignore"):
                    diff = float(np.max(np.abs(activation(z) - target))) if target.size else 0.0
                if diff < closest[0]:
                    closest = (diff, f"{'masked weeks skipped' if skip else 'masked weeks read as inputs'}, output {name}")
            if best is None or closest[0] < best[0]:
                best = closest
            if closest[0] > atol:
                break  # these students already differ: the rest cannot make up for it
        if best is not None and best[0] <= atol:
            return best
    return best


KINDS = (FutureWeeksIgnored(), MaskedWeeksSkipped(), PredictionRange(), HiddenMetric())
