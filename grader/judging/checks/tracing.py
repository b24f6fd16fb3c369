"""Check kinds of lab 02: sequences from long tables, the masked loss, masking, and metrics on hidden data.

The grader prepares the hidden inputs itself, with its own implementation of the documented rules of
``prepare_sequences`` (:func:`grader.numerics.mooc.prepare_sequences`, private): a student whose ``prepare_sequences`` is wrong
loses that check only, and the models are judged on exactly the inputs the lab describes. Hidden labels
(quiz scores, pass/fail) are read in ``judge`` only; the kernel gets inputs and returns predictions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from grader.checks.base import (
    CheckContext,
    CheckKind,
    Failed,
    Plan,
    Verdict,
    as_array,
    fmt_shape,
    optional,
    require_ok,
    run_judge,
)
from grader.numerics import mooc
from grader.probing import CallResult, Frame
from grader.recorded import NotRecorded
from grader.report import cut

MASK_VALUE = -1.0
N_WEEKS = 10
ID_COLUMNS = ("student_id", "week")
HIDDEN_FEATURES = "mooc_hidden_features.csv.gz"
HIDDEN_QUIZZES = "mooc_hidden_quizzes.csv.gz"
HIDDEN_SCORES = "mooc_hidden_quiz_targets.csv.gz"
HIDDEN_PASSFAIL = "mooc_hidden_passfail.csv"
FEATURE_RANGES = "mooc_feature_ranges.csv"
PUBLIC_FEATURES = "mooc_features.csv.gz"
PUBLIC_QUIZZES = "mooc_quizzes.csv.gz"
_F32 = np.float32


def _pandas() -> Any:
    import pandas

    return pandas


# -- the lab's data: fixed feature ranges, hidden inputs and labels ----------------------------------------
def feature_ranges(public_dir: Path) -> dict[str, tuple[float, float]]:
    """The fixed scaling range of every feature (``public/mooc_feature_ranges.csv``)."""
    table = _pandas().read_csv(Path(public_dir) / FEATURE_RANGES)
    return {str(row.feature): (float(row.min), float(row.max)) for row in table.itertuples()}


@dataclass(frozen=True)
class HiddenInputs:
    features: Any  # the hidden input frames, as the lab's files hold them
    quizzes: Any
    X: np.ndarray  # (N, 10, F), prepared by the grader
    observed: np.ndarray  # (N, 10) bool


@lru_cache(maxsize=2)
def _hidden_inputs(hidden_dir: str) -> HiddenInputs:
    pd = _pandas()
    folder = Path(hidden_dir)
    features = pd.read_csv(folder / HIDDEN_FEATURES)
    quizzes = pd.read_csv(folder / HIDDEN_QUIZZES)
    x, y = mooc.prepare_sequences(features, quizzes, feature_ranges(folder.parent / "public"))
    x.setflags(write=False)
    return HiddenInputs(features, quizzes, x, y[:, :, 0] != MASK_VALUE)


def hidden_inputs(hidden_dir: Path) -> HiddenInputs:
    """The hidden students' inputs (no labels), prepared by the grader; cached."""
    return _hidden_inputs(str(Path(hidden_dir).resolve()))


def hidden_labels(hidden_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Real quiz scores (N, 10), NaN where no quiz was taken, and pass/fail (N,), students in ascending id.

    Grader side only: these never reach the kernel."""
    pd = _pandas()
    folder = Path(hidden_dir)
    scores = pd.read_csv(folder / HIDDEN_SCORES).pivot(index="student_id", columns="week", values="quiz_score")
    passed = pd.read_csv(folder / HIDDEN_PASSFAIL).set_index("student_id")["passed"]
    students = np.sort(passed.index.to_numpy())
    return (scores.reindex(index=students, columns=range(1, N_WEEKS + 1)).to_numpy(np.float64),
            passed.loc[students].to_numpy().astype(int))


# -- metrics (NumPy only, computed in the grader) ------------------------------------------------------
def rmse_observed(scores: np.ndarray, pred: np.ndarray) -> float:
    """Root mean squared error over the student-weeks with a score (``scores`` NaN elsewhere)."""
    seen = ~np.isnan(scores)
    return float(np.sqrt(np.mean((np.asarray(pred, np.float64)[seen] - scores[seen]) ** 2)))


def roc_auc(labels: np.ndarray, prob: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney statistic; tied scores count one half)."""
    positive = np.asarray(labels).astype(bool)
    _, inverse, counts = np.unique(np.asarray(prob, np.float64), return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = ((ends - counts + 1 + ends) / 2.0)[inverse]  # average 1-based rank of each score
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def balanced_accuracy(labels: np.ndarray, prob: np.ndarray, threshold: float = 0.5) -> float:
    """Mean recall of the two classes when ``prob > threshold`` predicts the positive class."""
    positive = np.asarray(labels).astype(bool)
    predicted = np.asarray(prob, np.float64) > threshold
    return float((predicted[positive].mean() + (~predicted[~positive]).mean()) / 2)


METRICS = {
    "rmse_observed": ("tracing RMSE over the observed weeks", "max"),
    "auc": ("AUC", "min"),
    "balanced_accuracy": ("balanced accuracy at threshold 0.5", "min"),
}


def metric_value(metric: str, hidden_dir: Path, pred: np.ndarray) -> float:
    """The value of ``metric`` for predictions on the hidden students (``pred`` already of the right shape)."""
    scores, passed = hidden_labels(hidden_dir)
    if metric == "rmse_observed":
        return rmse_observed(scores, pred)
    if metric == "auc":
        return roc_auc(passed, pred)
    if metric == "balanced_accuracy":
        return balanced_accuracy(passed, pred)
    raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")


# -- helpers for judging predictions ------------------------------------------------------------------
def _predictions(result: CallResult, text: str, shape: tuple[int, ...]) -> np.ndarray:
    value = as_array(require_ok(result, text), text)
    if tuple(value.shape) != shape:
        hint = ""
        if value.size == int(np.prod(shape)):
            hint = f" — same number of values: reshape to {shape}"
        raise Failed(f"{text} returned shape {tuple(value.shape)}, expected {shape}{hint}")
    value = value.astype(np.float64)
    if not np.all(np.isfinite(value)):
        raise Failed(f"{text} returned NaN or infinite values")
    return value


def _subset(ctx: CheckContext, n: int) -> np.ndarray:
    total = len(hidden_inputs(ctx.hidden_dir).X)
    return np.sort(ctx.rng.choice(total, size=min(n, total), replace=False))


# -- prepare_sequences ----------------------------------------------------------------------------
def _frame(table: Any) -> Frame:
    return Frame({str(column): table[column].to_numpy() for column in table.columns})


def _out_of_range(features: Any, quizzes: Any, ranges: dict[str, tuple[float, float]],
                  rng: np.random.Generator) -> tuple[Any, str, str]:
    """``features`` with one value above its fixed range and one below, both in weeks that have a quiz score
    (a masked week is −1.0 whatever its features are, so a missing clip would not show there)."""
    scored = quizzes[quizzes["quiz_score"].notna()]
    keys = set(zip(scored["student_id"].to_numpy().tolist(), scored["week"].to_numpy().tolist(), strict=True))
    rows = [i for i, key in enumerate(zip(features["student_id"].to_numpy().tolist(),
                                          features["week"].to_numpy().tolist(), strict=True)) if key in keys]
    columns = [c for c in features.columns if c not in ID_COLUMNS]
    up_row, down_row = (int(i) for i in rng.choice(rows, size=2, replace=False))
    up, down = (columns[int(i)] for i in rng.choice(len(columns), size=2, replace=False))
    features = features.astype({up: np.float64, down: np.float64})  # an integer column cannot hold the new value
    for row, column, above in ((up_row, up, True), (down_row, down, False)):
        low, high = ranges[column]
        features.loc[row, column] = high + 0.5 * (high - low) if above else low - 0.5 * (high - low)
    return features, up, down


class SequencePreparation(CheckKind):
    """``prepare_sequences(features, quizzes)`` on frames the grader builds from the hidden inputs.

    Cases: all hidden students (scores drawn at random where a quiz was taken); a random subset with
    the rows of both frames shuffled; a subset with gaps (a missing feature row of an observed week, a
    missing quiz row, a student without any quiz, a value above its range)."""

    name = "prepare_sequences"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        hidden = hidden_inputs(ctx.hidden_dir)
        quizzes = hidden.quizzes.copy()
        taken = quizzes["quiz_score"].notna().to_numpy()
        quizzes.loc[taken, "quiz_score"] = ctx.rng.integers(0, 21, size=int(taken.sum())) / 20.0
        features = hidden.features
        students = np.sort(features["student_id"].unique())
        cases: list[tuple[str, Any, Any]] = [(f"all {len(students):,} students", features, quizzes)]

        chosen = ctx.rng.choice(students, size=int(params.get("subset", 40)), replace=False)
        f_sub = features[features["student_id"].isin(chosen)]
        q_sub = quizzes[quizzes["student_id"].isin(chosen)]
        f_sub = f_sub.iloc[ctx.rng.permutation(len(f_sub))].reset_index(drop=True)
        q_sub = q_sub.iloc[ctx.rng.permutation(len(q_sub))].reset_index(drop=True)
        cases.append((f"{len(chosen)} students, rows shuffled", f_sub, q_sub))

        gappy = ctx.rng.choice(students, size=12, replace=False)
        f_gap = features[features["student_id"].isin(gappy)].reset_index(drop=True)
        q_gap = quizzes[quizzes["student_id"].isin(gappy)].reset_index(drop=True)
        observed = q_gap.index[q_gap["quiz_score"].notna()].to_numpy()
        drop_quiz_row, no_feature_row = observed[0], observed[-1]
        key = q_gap.loc[no_feature_row, list(ID_COLUMNS)]
        f_gap = f_gap[~((f_gap["student_id"] == key["student_id"]) & (f_gap["week"] == key["week"]))]
        silent = gappy[len(gappy) // 2]
        q_gap.loc[q_gap["student_id"] == silent, "quiz_score"] = np.nan
        q_gap = q_gap.drop(index=drop_quiz_row).reset_index(drop=True)
        ranges = feature_ranges(Path(ctx.hidden_dir).parent / "public")
        f_gap, above, below = _out_of_range(f_gap.reset_index(drop=True), q_gap, ranges, ctx.rng)
        cases.append(("12 students with gaps (a missing feature row, a missing quiz row, a student without "
                      f"quizzes, a {above} value above its range, a {below} value below it)", f_gap, q_gap))

        calls, expected = [], []
        for index, (label, f_frame, q_frame) in enumerate(cases):
            calls.append({"id": f"case{index}", "probe": "call", "function": "prepare_sequences",
                          "args": [_frame(f_frame), _frame(q_frame)]})
            columns = [c for c in f_frame.columns if c not in ID_COLUMNS]
            own = {c: (float(f_frame[c].min()), float(f_frame[c].max())) for c in columns}
            own = {c: (low, high if high > low else low + 1.0) for c, (low, high) in own.items()}
            expected.append((label, *mooc.prepare_sequences(f_frame, q_frame, ranges),
                             mooc.prepare_sequences(f_frame, q_frame, own)[0], columns))
        return Plan(calls, {"expected": expected})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        atol = float(params.get("tolerance", 1e-5))

        def body() -> str:
            for call, (label, x_exp, y_exp, x_own, columns) in zip(plan.calls, plan.state["expected"], strict=True):
                text = f"prepare_sequences(features, quizzes) on {label}"
                value = require_ok(results[call["id"]], text)
                if not isinstance(value, (tuple, list)) or len(value) != 2:
                    raise Failed(f"{text} should return the pair (X, y), got {fmt_shape(value)}")
                x_got = as_array(value[0], f"{text}: X")
                y_got = as_array(value[1], f"{text}: y")
                for name, got, exp in (("X", x_got, x_exp), ("y", y_got, y_exp)):
                    if tuple(got.shape) != exp.shape:
                        raise Failed(f"{text}: {name} has shape {tuple(got.shape)}, expected {exp.shape} "
                                     f"(students, {N_WEEKS} weeks, {exp.shape[-1]} {'features' if name == 'X' else 'target'})")
                self._compare_y(text, y_got.astype(np.float64), y_exp, atol)
                self._compare_x(text, x_got.astype(np.float64), x_exp, x_own, columns, atol)
            return ("prepare_sequences matches the lab's rules on hidden students: order, fixed-range scaling, "
                    "−1.0 exactly on the weeks without a quiz, gaps in the tables")

        return run_judge(body)

    @staticmethod
    def _compare_y(text: str, got: np.ndarray, exp: np.ndarray, atol: float) -> None:
        masked = exp[:, :, 0] == MASK_VALUE
        wrong_mask = (got[:, :, 0] == MASK_VALUE) != masked
        if np.any(wrong_mask & masked):
            i, t = np.argwhere(wrong_mask & masked)[0]
            raise Failed(f"{text}: y[{i}, {t}] is {got[i, t, 0]:.6g}, expected the mask value −1.0 "
                         "(that student has no quiz that week: NaN score or no row)")
        error = np.abs(got - exp)
        if np.any(error > atol) or not np.all(np.isfinite(got)):
            i, t, _ = np.argwhere(~(error <= atol))[0]
            raise Failed(f"{text}: y[{i}, {t}, 0] is {got[i, t, 0]:.6g}, expected {exp[i, t, 0]:.6g} "
                         "(the quiz score of the student with the i-th smallest student_id in week t+1)")

    @staticmethod
    def _compare_x(text: str, got: np.ndarray, exp: np.ndarray, x_frame_scaled: np.ndarray, columns: list[str],
                   atol: float) -> None:
        error = np.abs(got - exp)
        if np.all(error <= atol):
            return
        masked = np.all(exp == MASK_VALUE, axis=-1)
        i, t, f = (int(v) for v in np.argwhere(~(error <= atol))[0])
        where = f"X[{i}, {t}, {f}] ({columns[f]}, week {t + 1}) is {got[i, t, f]:.6g}, expected {exp[i, t, f]:.6g}"
        if masked[i, t]:
            raise Failed(f"{text}: {where} — that student has no quiz in week {t + 1}, so every feature of the week is −1.0")
        hint = ""
        if np.allclose(got, x_frame_scaled, atol=1e-4):
            hint = (" — this is scaled by the minimum and maximum of the frame it was given; scale by the fixed "
                    "ranges of mooc_feature_ranges.csv, so that a student's sequence does not depend on the other "
                    "students in the frame")
        elif got[i, t, f] > 1 + atol or got[i, t, f] < -atol:
            hint = " — observed features lie in [0, 1]: (x − min) / (max − min) with the fixed range, clipped to [0, 1]"
        raise Failed(f"{text}: {where}{hint}")


# -- masked_loss --------------------------------------------------------------------------------------
class MaskedLoss(CheckKind):
    """``masked_loss(y_true, y_pred)`` equals the mean squared error over the entries whose target is not −1."""

    name = "masked_loss"
    default_cases = (("random", (16, N_WEEKS, 1)), ("random", (16, N_WEEKS)), ("one observed", (4, N_WEEKS, 1)),
                     ("one observed", (3, N_WEEKS)), ("random", (1, N_WEEKS, 1)))

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        calls = []
        for index, (kind, shape) in enumerate(self.default_cases):
            y_true = (ctx.rng.integers(0, 21, size=shape) / 20.0).astype(_F32)
            if kind == "random":
                masked = ctx.rng.random(shape) < 0.6
                masked.reshape(-1)[0] = False
            else:
                masked = np.ones(shape, bool)
                masked.reshape(-1)[int(ctx.rng.integers(0, masked.size))] = False
            y_true[masked] = MASK_VALUE
            y_pred = ctx.rng.uniform(0.0, 1.0, size=shape).astype(_F32)
            calls.append({"id": f"case{index}", "probe": "call", "function": "masked_loss", "args": [y_true, y_pred],
                          "label": kind})
        return Plan(calls)

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        atol = float(params.get("tolerance", 1e-5))

        def body() -> str:
            for call in plan.calls:
                y_true, y_pred = (a.astype(np.float64) for a in call["args"])
                seen = y_true != MASK_VALUE
                what = (f"y_true {y_true.shape} with {int(seen.sum())} of {y_true.size} entries observed"
                        + (" (all masked but one)" if call["label"] == "one observed" else ""))
                text = f"masked_loss(y_true, y_pred) with {what}"
                value = as_array(require_ok(results[call["id"]], text), text)
                if value.size != 1:
                    raise Failed(f"{text} returned shape {tuple(value.shape)}; a loss is a scalar: average over the "
                                 "observed entries of the whole batch")
                got = float(value.reshape(-1)[0])
                expected = mooc.masked_mse(y_true, y_pred)
                if not np.isfinite(got) or abs(got - expected) > atol + 1e-4 * abs(expected):
                    raise Failed(f"{text} returned {got:.6g}, expected {expected:.6g} (the mean squared error over the "
                                 f"observed entries only){self._hint(got, y_true, y_pred, seen)}")
            return (f"masked_loss is the mean squared error over the observed entries on {len(plan.calls)} cases "
                    "(shapes (N, 10, 1) and (N, 10), all masked but one)")

        return run_judge(body)

    @staticmethod
    def _hint(got: float, y_true: np.ndarray, y_pred: np.ndarray, seen: np.ndarray) -> str:
        squared = (y_true - y_pred) ** 2
        guesses = {
            " — this is the plain mean over every entry: the masked weeks (target −1) must be left out": squared.mean(),
            " — the squared errors of the observed entries are divided by the number of all entries, not of the "
            "observed ones": (squared * seen).sum() / squared.size,
            " — this is the sum, not the mean, over the observed entries": (squared * seen).sum(),
        }
        for hint, guess in guesses.items():
            if abs(got - guess) <= 1e-5 + 1e-4 * abs(guess):
                return hint
        return ""


# -- behaviour of the trained models ------------------------------------------------------------------
class FutureWeeksIgnored(CheckKind):
    """``function(X)`` (N,) depends on the first ``weeks`` weeks only: changing the later weeks of hidden
    inputs (features and which weeks are masked) leaves every prediction unchanged."""

    name = "future_weeks_ignored"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        weeks = int(params.get("weeks", 5))
        x = hidden_inputs(ctx.hidden_dir).X[_subset(ctx, int(params.get("students", 200)))].copy()
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
            first = _predictions(results["original"], text, (n,))
            again = _predictions(results["again"], f"{text}, called a second time", (n,))
            if np.max(np.abs(first - again)) > atol:
                raise Failed(f"{text}: two calls on the same X differ by up to {np.max(np.abs(first - again)):.3g}; "
                             "predictions must be deterministic (inference mode: no dropout)")
            changed = _predictions(results["changed"], f"{text} with weeks {weeks + 1}-{N_WEEKS} changed", (n,))
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
    pd = _pandas()
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
        x = hidden_inputs(ctx.hidden_dir).X[_subset(ctx, int(params.get("students", 200)))].copy()
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
            first = _predictions(results["original"], text, shape)
            packed = _predictions(results["packed"], f"{text} with the observed weeks moved to the front", shape)
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
        x = hidden_inputs(ctx.hidden_dir).X[_subset(ctx, int(params.get("students", 200)))].copy()
        return Plan([{"id": "hidden", "probe": "call", "function": params["function"], "args": [x]}], {"n": len(x)})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        function, n = params["function"], plan.state["n"]
        low, high = (float(v) for v in params.get("range", (0.0, 1.0)))
        words = params.get("meaning", "values")

        def body() -> str:
            text = f"{function}(X) with X of shape ({n}, {N_WEEKS}, F) (hidden students)"
            pred = _predictions(results["hidden"], text, (n,))
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
            rows = _subset(ctx, int(causal.get("students", 200)))
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
            pred = _predictions(results["hidden"], text, (n, N_WEEKS) if per_week else (n,))
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
        first = _predictions(results["causal-original"], text, (m, N_WEEKS))
        atol = float(params.get("causal", {}).get("tolerance", 1e-4))
        for t in state["cuts"]:
            changed = _predictions(results[f"causal-{t}"], f"{text} with weeks {t + 1}-{N_WEEKS} changed", (m, N_WEEKS))
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


KINDS = (SequencePreparation(), MaskedLoss(), FutureWeeksIgnored(), MaskedWeeksSkipped(), PredictionRange(),
         HiddenMetric())
