"""Check kinds of lab 02: sequences from long tables, the masked loss, masking, and metrics on hidden data.

The grader prepares the hidden inputs itself, with its own implementation of the documented rules of
``prepare_sequences`` (:func:`grader.judging.numerics.mooc.prepare_sequences`, private): a student whose ``prepare_sequences`` is wrong
loses that check only, and the models are judged on exactly the inputs the lab describes. Hidden labels
(quiz scores, pass/fail) are read in ``judge`` only; the kernel gets inputs and returns predictions.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    as_array,
    fmt_shape,
    require_ok,
    run_judge,
)
from grader.judging.numerics import mooc
from grader.kernel.probing import CallResult, Frame

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


def pandas_module() -> Any:
    import pandas

    return pandas


# -- the lab's data: fixed feature ranges, hidden inputs and labels ----------------------------------------
def feature_ranges(public_dir: Path) -> dict[str, tuple[float, float]]:
    """The fixed scaling range of every feature (``public/mooc_feature_ranges.csv``)."""
    table = pandas_module().read_csv(Path(public_dir) / FEATURE_RANGES)
    return {str(row.feature): (float(row.min), float(row.max)) for row in table.itertuples()}


@dataclass(frozen=True)
class HiddenInputs:
    features: Any  # the hidden input frames, as the lab's files hold them
    quizzes: Any
    X: np.ndarray  # (N, 10, F), prepared by the grader
    observed: np.ndarray  # (N, 10) bool


@lru_cache(maxsize=2)
def _hidden_inputs(hidden_dir: str) -> HiddenInputs:
    pd = pandas_module()
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
    pd = pandas_module()
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
def prediction_array(result: CallResult, text: str, shape: tuple[int, ...]) -> np.ndarray:
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


def student_subset(ctx: CheckContext, n: int) -> np.ndarray:
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


KINDS = (SequencePreparation(), MaskedLoss())
