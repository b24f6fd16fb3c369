"""Check kinds of lab 03: windowing a long series, chronological splits, standardization with training
statistics, the naive baseline and a forecaster that must beat it on the hidden period.

Every input is a NumPy array (``Raw``) in both flavours: the lab prepares its data with NumPy, and each
window that ``predict`` receives is a window ``make_windows`` would return.

What the kernel sees of the hidden data is kept apart from what ``predict`` is judged on: the checks of the
windowing functions slice their inputs from ``weather_probe.csv``, an independent series, and ``predict``
receives only non-overlapping windows of ``weather_hidden.csv``, one every ``stride`` hours, so that no row
the kernel is sent in a grading, in any call, is the target of a window it is asked to forecast (a kernel
keeps state between calls; the windows are the same in every grading, so neither do several gradings
together reveal a target).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.judging.checks.base import (
    CheckContext,
    CheckKind,
    Failed,
    Plan,
    Verdict,
    compare,
    fmt_shape,
    matches,
    require_ok,
    run_judge,
)
from grader.judging.numerics import windowing
from grader.kernel.probing import CallResult, Raw

_F32 = np.float32
_HIDDEN_FILE = "weather_hidden.csv"  # predict is judged on it, and nothing else reads it
_PROBE_FILE = "weather_probe.csv"  # the windowing checks' inputs: an independent hidden series
_SHOWN = 6  # rows/windows named in a message before "…"


def _rows_text(rows: Any, base: int = 0) -> str:
    rows = [int(r) + base for r in rows]
    text = ", ".join(str(r) for r in rows[:_SHOWN])
    return text + (", …" if len(rows) > _SHOWN else "") if rows else "none"


def _hidden_rows(ctx: CheckContext) -> np.ndarray:
    """The hidden series the windowing checks slice from: never the one ``predict`` is judged on."""
    return windowing.read_weather(ctx.hidden_dir / _PROBE_FILE)


def _hidden_slice(ctx: CheckContext, rows: int) -> np.ndarray:
    """``rows`` consecutive hours of the hidden period, from a random place."""
    data = _hidden_rows(ctx)
    rows = min(int(rows), len(data))
    start = int(ctx.rng.integers(0, len(data) - rows + 1))
    return np.ascontiguousarray(data[start:start + rows])


def _lecture_table() -> np.ndarray:
    """The deck's 14 rows: feature 0 is the row number 1…14, feature 1 ten times it."""
    rows = np.arange(1, 15)
    return np.column_stack([rows, 10 * rows]).astype(_F32)


def _flat(value: Any, n: int, what: str) -> np.ndarray:
    """A vector of ``n`` values: shape (n,), or (n, 1) which is read as (n,)."""
    if not isinstance(value, np.ndarray):
        raise Failed(f"{what} should be an array/tensor of shape ({n},), got {fmt_shape(value)}")
    if value.shape not in ((n,), (n, 1)):
        raise Failed(f"{what}: expected shape ({n},), got {tuple(value.shape)}")
    if value.dtype.kind not in "biuf":
        raise Failed(f"{what}: expected numbers, got dtype {value.dtype}")
    return value.reshape(-1).astype(np.float64)


def _pair(value: Any, what: str) -> tuple[Any, Any]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise Failed(f"{what} should return the pair (X, y), got {fmt_shape(value)}")
    return value[0], value[1]


def _cases(count: int) -> str:
    return f"{count} case{'' if count == 1 else 's'}"


def _call_text(function: str, args: list[str], kwargs: dict[str, Any]) -> str:
    return f"{function}({', '.join([*args, *(f'{k}={v!r}' for k, v in kwargs.items())])})"


class _RowFinder:
    """Which row of ``data`` a returned row is (rows of the lab's tables are distinct)."""

    def __init__(self, data: np.ndarray) -> None:
        self.index: dict[bytes, int] = {}
        for row, values in enumerate(np.asarray(data, dtype=_F32)):
            self.index.setdefault(values.tobytes(), row)

    def row(self, values: np.ndarray) -> int | None:
        return self.index.get(np.asarray(values, dtype=_F32).tobytes())

    def starts(self, X: np.ndarray) -> list[int | None]:
        """The first row of each returned window, or None where it is not a row of the data."""
        return [self.row(window[0]) if window.ndim == 2 and len(window) else None for window in X]


# -- make_windows ---------------------------------------------------------------------------------

_WINDOW_DEFAULTS = {"target_shift": 1, "step_shift": 1, "target_col": 0}


class MakeWindows(CheckKind):
    """``make_windows(data, seq_len, ...)`` against the grader's own windows, case by case.

    A case names its data (``lecture``: the deck's 14 rows; ``hidden``: ``rows`` consecutive hours of
    the hidden period) and the arguments; only the arguments a case names are passed, so a case
    without them judges the defaults.
    """

    name = "make_windows"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        function = params.get("function", "make_windows")
        calls, cases = [], []
        for index, case in enumerate(params["cases"]):
            data = _lecture_table() if case.get("data") == "lecture" else _hidden_slice(ctx, case["rows"])
            kwargs = {key: int(case[key]) for key in _WINDOW_DEFAULTS if key in case}
            calls.append({"id": f"case{index}", "probe": "call", "function": function,
                          "args": [Raw(data), int(case["seq_len"])], "kwargs": kwargs})
            cases.append({"data": data, "lecture": case.get("data") == "lecture"})
        return Plan(calls, {"function": function, "cases": cases})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        function = plan.state["function"]

        def body() -> str:
            for call, case in zip(plan.calls, plan.state["cases"], strict=True):
                self._judge_case(function, call, case["data"], case["lecture"], results[call["id"]])
            return f"{function} gives the right windows and targets in {_cases(len(plan.calls))}"

        return run_judge(body)

    @staticmethod
    def _judge_case(function: str, call: dict, data: np.ndarray, lecture: bool, result: CallResult) -> None:
        seq_len, kwargs = call["args"][1], call["kwargs"]
        settings = {**_WINDOW_DEFAULTS, **kwargs}
        shift, step, col = settings["target_shift"], settings["step_shift"], settings["target_col"]
        base = 1 if lecture else 0  # the deck numbers its rows from 1
        where = (f"the lecture's {len(data)}-row table (rows numbered from 1 as in the deck)" if lecture
                 else f"{len(data)} rows x {data.shape[1]} features of hidden weather (rows numbered from 0)")
        text = f"{_call_text(function, ['data', str(seq_len)], kwargs)} on {where}"
        X_got, y_got = _pair(require_ok(result, text), text)
        X_exp, y_exp = windowing.make_windows(data, seq_len, shift, step, col)
        starts = windowing.window_starts(len(data), seq_len, shift, step)
        n = len(starts)
        expected = (f"expected {n} window(s) starting at rows {_rows_text(starts, base)} with targets at rows "
                    f"{_rows_text(starts + seq_len - 1 + shift, base)} (column {col})")
        if n == 0:
            expected = (f"expected no window: {seq_len} rows plus a target {shift} row(s) later do not fit in "
                        f"{len(data)} rows (incomplete windows are dropped)")
        for name, value in (("X", X_got), ("y", y_got)):
            if not isinstance(value, np.ndarray):
                raise Failed(f"{text}: {name} should be an array/tensor, got {fmt_shape(value)}")
        if n == 0:
            if X_got.size or y_got.size:
                raise Failed(f"{text}: {expected}; got X {tuple(X_got.shape)} and y {tuple(y_got.shape)}")
            return
        finder = _RowFinder(data)
        got_starts = finder.starts(X_got) if X_got.ndim == 3 else []
        if X_got.shape != X_exp.shape:
            detail = ""
            if X_got.ndim == 3 and X_got.shape[1:] == X_exp.shape[1:] and None not in got_starts:
                detail = f" starting at rows {_rows_text(got_starts, base)}"
                common = min(len(got_starts), n)
                if len(got_starts) > n and got_starts[:n] == list(starts):
                    detail += (" — the last window(s) are incomplete or their target row lies past the end of "
                               "the data; drop them")
                elif got_starts[:common] == list(starts[:common]) and y_got.size == len(got_starts):
                    y_common = y_got.reshape(-1)[:common].astype(np.float64)
                    if not matches(y_exp[:common].astype(np.float64), y_common, atol=1e-6, rtol=0):
                        detail += _target_hint(data, y_common, starts[:common], seq_len, shift, col, base)
            raise Failed(f"{text}: {expected}; got X of shape {tuple(X_got.shape)} (expected "
                         f"{tuple(X_exp.shape)}){detail}")
        if not matches(X_exp.astype(np.float64), X_got, atol=1e-6, rtol=0):
            if None not in got_starts:
                raise Failed(f"{text}: {expected}; got windows starting at rows {_rows_text(got_starts, base)}")
            raise Failed(f"{text}: {expected}; the windows returned are not consecutive rows of the data "
                         f"(window k must be rows [k·step_shift, k·step_shift + seq_len) in order)")
        y_flat = _flat(y_got, n, f"{text}: y")
        if not matches(y_exp.astype(np.float64), y_flat, atol=1e-6, rtol=0):
            raise Failed(f"{text}: {expected}; the targets differ{_target_hint(data, y_flat, starts, seq_len, shift, col, base)}")


def _target_hint(data: np.ndarray, y: np.ndarray, starts: np.ndarray, seq_len: int, shift: int, col: int,
                 base: int) -> str:
    """Say which rows and column the student's targets came from, when they all come from one place."""
    rows = starts + seq_len - 1 + shift
    rule = "the target of window i is row i·step_shift + seq_len − 1 + target_shift"
    offsets = [-shift, -1, 1, -2, 2]
    for offset in dict.fromkeys([0, *offsets]):
        for column in dict.fromkeys([col, *range(data.shape[1])]):
            moved = rows + offset
            if offset == 0 and column == col or moved.min() < 0 or moved.max() >= len(data):
                continue
            if not matches(data[moved, column].astype(np.float64), y, atol=1e-6, rtol=0):
                continue
            said = f" — your targets are {f'column {column}, ' if column != col else ''}rows {_rows_text(moved, base)}"
            if offset == -shift:
                said += f": the window's last row, but the target lies target_shift={shift} row(s) after it"
            elif offset > 0:
                said += f": {offset} row(s) too late ({rule})"
            elif offset < 0:
                said += f": {-offset} row(s) too early ({rule})"
            if column != col:
                said += f"; the target must come from target_col={col}"
            return said
    return f"; first difference at window {int(np.argmax(~np.isclose(y, data[rows, col])))}"


# -- reshape_windows ------------------------------------------------------------------------------

class ReshapeWindows(CheckKind):
    """``reshape_windows(data, seq_len)``: consecutive non-overlapping blocks, the remainder dropped."""

    name = "reshape_windows"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        function = params.get("function", "reshape_windows")
        calls, tables = [], []
        for index, case in enumerate(params["cases"]):
            data = _lecture_table() if case.get("data") == "lecture" else _hidden_slice(ctx, case["rows"])
            calls.append({"id": f"case{index}", "probe": "call", "function": function,
                          "args": [Raw(data), int(case["seq_len"])]})
            tables.append(data)
        return Plan(calls, {"function": function, "tables": tables})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        function = plan.state["function"]

        def body() -> str:
            for call, data in zip(plan.calls, plan.state["tables"], strict=True):
                seq_len = call["args"][1]
                text = f"{function}(data, {seq_len}) on {len(data)} rows x {data.shape[1]} features"
                value = require_ok(results[call["id"]], text)
                expected = windowing.reshape_windows(data, seq_len).astype(np.float64)
                if isinstance(value, (tuple, list)) and value and isinstance(value[0], np.ndarray):
                    raise Failed(f"{text} returned a {type(value).__name__} of {len(value)}; return only X, "
                                 f"shape {tuple(expected.shape)}")
                got = value if isinstance(value, np.ndarray) else None
                remainder = len(data) % seq_len
                if got is not None and got.shape != expected.shape and remainder and got.ndim == 3 \
                        and got.shape[0] == len(expected) + 1:
                    raise Failed(f"{text}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)} — the last "
                                 f"{remainder} row(s) do not fill a window of {seq_len} and must be dropped")
                try:
                    compare(expected, value, text, atol=1e-6, rtol=0)
                except Failed as failure:
                    hint = ""
                    if got is not None and got.shape == expected.shape:
                        hint = " — window k must hold rows [k·seq_len, (k + 1)·seq_len) in order"
                    raise Failed(f"{failure}{hint}") from None
            return f"{function} cuts non-overlapping windows and drops the remainder in {_cases(len(plan.calls))}"

        return run_judge(body)


# -- split_chronological --------------------------------------------------------------------------

_PARTS = ("training", "validation", "test")


class SplitChronological(CheckKind):
    """``split_chronological(X, y, ...)`` on arrays where example i holds the number i, so that the
    grader reads off which examples went where and in which order."""

    name = "split_chronological"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        function = params.get("function", "split_chronological")
        calls = []
        for index, case in enumerate(params["cases"]):
            n = int(case["n"])
            X = np.broadcast_to(np.arange(n, dtype=_F32)[:, None, None], (n, 3, 2)).copy()
            y = np.arange(n, dtype=_F32)
            kwargs = {key: float(case[key]) for key in ("train", "val") if key in case}
            calls.append({"id": f"case{index}", "probe": "call", "function": function,
                          "args": [Raw(X), Raw(y)], "kwargs": kwargs})
        return Plan(calls, {"function": function})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        function = plan.state["function"]

        def body() -> str:
            for call in plan.calls:
                self._judge_case(function, call, results[call["id"]])
            return f"{function} keeps time order, no overlap, the right proportions in {_cases(len(plan.calls))}"

        return run_judge(body)

    @staticmethod
    def _judge_case(function: str, call: dict, result: CallResult) -> None:
        n = len(call["args"][1].array)
        kwargs = call["kwargs"]
        train, val = kwargs.get("train", 0.64), kwargs.get("val", 0.16)
        text = f"{_call_text(function, ['X', 'y'], kwargs)} with N={n} examples where X[i] and y[i] hold the number i"
        value = require_ok(result, text)
        if not isinstance(value, (tuple, list)) or len(value) != 3:
            raise Failed(f"{text} should return ((X_tr, y_tr), (X_va, y_va), (X_te, y_te)), got {fmt_shape(value)}")
        order: list[np.ndarray] = []
        for part, pair in zip(_PARTS, value, strict=True):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise Failed(f"{text}: the {part} part should be the pair (X, y), got {fmt_shape(pair)}")
            X_part, y_part = pair
            if not isinstance(X_part, np.ndarray) or X_part.ndim != 3 or X_part.shape[1:] != (3, 2):
                raise Failed(f"{text}: the {part} X should have shape (n, 3, 2), got {fmt_shape(X_part)}")
            ids = X_part[:, 0, 0]
            if not np.all(X_part == ids[:, None, None]):
                raise Failed(f"{text}: the {part} X mixes values of different examples; split along the first "
                             "axis only, keeping each example whole")
            y_flat = _flat(y_part, len(X_part), f"{text}: the {part} y")
            if not np.array_equal(y_flat, ids.astype(np.float64)):
                raise Failed(f"{text}: in the {part} part, y does not belong to X (X holds examples "
                             f"{_rows_text(ids)}, y holds {_rows_text(y_flat)}); split X and y at the same places")
            order.append(ids.astype(np.int64))
        everything = np.concatenate(order)
        if not np.array_equal(np.sort(everything), np.arange(n)):
            seen = np.bincount(everything, minlength=n) if everything.size and everything.min() >= 0 else None
            twice = np.flatnonzero(seen > 1) if seen is not None else []
            missing = np.flatnonzero(seen == 0) if seen is not None else []
            raise Failed(f"{text}: the three parts must hold every example exactly once; "
                         + (f"examples {_rows_text(twice)} appear more than once" if len(twice) else
                            f"examples {_rows_text(missing)} are missing"))
        if not np.array_equal(everything, np.arange(n)):
            for part, ids in zip(_PARTS, order, strict=True):
                if np.any(np.diff(ids) != 1):
                    raise Failed(f"{text}: the {part} part holds examples {_rows_text(ids)} — not in time order; "
                                 "a chronological split takes consecutive blocks and never shuffles")
            raise Failed(f"{text}: the parts come in the wrong order (first examples: "
                         + ", ".join(f"{p} {int(ids[0]) if len(ids) else '-'}" for p, ids in zip(_PARTS, order, strict=True))
                         + "); training comes first, then validation, then test")
        wanted = windowing.split_sizes(n, train, val)
        sizes = [len(ids) for ids in order]
        if abs(sizes[0] - n * train) >= 1 or abs(sizes[1] - n * val) >= 1:
            raise Failed(f"{text}: expected {wanted[0]} training, {wanted[1]} validation and {wanted[2]} test examples "
                         f"(int(N·train), int(N·val), the rest; rounding up instead is accepted); got "
                         f"{sizes[0]}, {sizes[1]} and {sizes[2]}")


# -- standardize ----------------------------------------------------------------------------------

def _draw(rng: np.random.Generator, center: np.ndarray, scale: np.ndarray, shape: tuple[int, ...],
          drift: float = 0.0) -> np.ndarray:
    return (center + scale * (rng.normal(size=shape) + drift)).astype(_F32)


class Standardize(CheckKind):
    """``standardize(train, *others)``: per-feature statistics from ``train`` alone.

    Each case is called twice with the same ``train`` and very different ``others``: the statistics and
    the standardized ``train`` must not move, and every array must match the grader's computation.
    """

    name = "standardize"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        function = params.get("function", "standardize")
        calls, cases = [], []
        for index, case in enumerate(params["cases"]):
            shape = tuple(int(d) for d in case["shape"])
            scale = 10 ** ctx.rng.uniform(-1, 1.5, size=shape[-1])  # features on very different scales
            center = scale * ctx.rng.uniform(-30, 30, size=shape[-1])
            train = _draw(ctx.rng, center, scale, shape)
            others = [_draw(ctx.rng, center, scale, (max(2, shape[0] // 3), *shape[1:]), ctx.rng.uniform(-2, 2))
                      for _ in range(int(case["others"]))]
            changed = [(other * 3 + 5 * scale).astype(_F32) for other in others]
            for tag, arrays in (("a", others), ("b", changed)):
                calls.append({"id": f"case{index}-{tag}", "probe": "call", "function": function,
                              "args": [Raw(train), *(Raw(a) for a in arrays)]})
            cases.append({"train": train, "others": others, "changed": changed})
        return Plan(calls, {"function": function, "cases": cases})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        function = plan.state["function"]
        tolerance = float(params.get("tolerance", 1e-4))

        def body() -> str:
            for index, case in enumerate(plan.state["cases"]):
                self._judge_case(function, case, results[f"case{index}-a"], results[f"case{index}-b"], tolerance)
            return (f"{function} takes the per-feature mean and std of train alone and applies them to every array "
                    f"({_cases(len(plan.state['cases']))})")

        return run_judge(body)

    @staticmethod
    def _unpack(value: Any, count: int, features: int, text: str) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        if not isinstance(value, (tuple, list)) or len(value) != count + 1:
            raise Failed(f"{text} should return {count} standardized array(s) and then (mean, std): a tuple of "
                         f"{count + 1}, got {fmt_shape(value)}")
        stats = value[-1]
        if not isinstance(stats, (tuple, list)) or len(stats) != 2:
            raise Failed(f"{text}: the last element should be the pair (mean, std), got {fmt_shape(stats)}")
        vectors = []
        for name, stat in zip(("mean", "std"), stats, strict=True):
            if not isinstance(stat, np.ndarray) or stat.size != features:
                raise Failed(f"{text}: {name} should hold one value per feature, shape ({features},), got "
                             f"{fmt_shape(stat)} — average over every axis but the last (the feature axis)")
            vectors.append(stat.reshape(-1).astype(np.float64))
        return list(value[:-1]), vectors[0], vectors[1]

    def _judge_case(self, function: str, case: dict, first: CallResult, second: CallResult, tolerance: float) -> None:
        train, others, changed = case["train"], case["others"], case["changed"]
        features = train.shape[-1]
        shapes = ", ".join(str(tuple(a.shape)) for a in [train, *others])
        names = ", ".join(["train", *(f"other{i + 1}" for i in range(len(others)))])
        text = f"{function}({names}) with shapes {shapes}"
        arrays_a, mean_a, std_a = self._unpack(require_ok(first, text), len(others) + 1, features, text)
        arrays_b, mean_b, std_b = self._unpack(require_ok(second, text), len(others) + 1, features, text)
        if others and not (np.allclose(mean_a, mean_b, rtol=1e-6, atol=1e-6)
                           and np.allclose(std_a, std_b, rtol=1e-6, atol=1e-6)):
            raise Failed(f"{text}: the mean/std changed when only the other arrays changed (same train; the "
                         "others scaled by 3 and shifted): the statistics must come from train alone — computing "
                         "them on all the data leaks the future into training")
        if others and isinstance(arrays_a[0], np.ndarray) and isinstance(arrays_b[0], np.ndarray) \
                and not matches(arrays_a[0].astype(np.float64), arrays_b[0], atol=1e-6, rtol=1e-6):
            raise Failed(f"{text}: the standardized train changed when only the other arrays changed: it must "
                         "depend on train alone")
        mean, std0 = windowing.feature_stats(train)
        if not np.allclose(mean_a, mean, rtol=1e-5, atol=tolerance * std0.min()):
            worst = int(np.argmax(np.abs(mean_a - mean) / std0))
            raise Failed(f"{text}: mean of feature {worst} is {mean_a[worst]:.6g}, expected {mean[worst]:.6g} (the "
                         "mean of train over every axis but the last)")
        candidates = [windowing.feature_stats(train, ddof)[1] for ddof in (0, 1)]
        std = next((c for c in candidates if np.allclose(std_a, c, rtol=tolerance, atol=0)), None)
        if std is None:
            worst = int(np.argmax(np.abs(std_a - candidates[0]) / candidates[0]))
            raise Failed(f"{text}: std of feature {worst} is {std_a[worst]:.6g}, expected {candidates[0][worst]:.6g} "
                         "(the standard deviation of train over every axis but the last)")
        labels = ["train", *(f"other{i + 1}" for i in range(len(others)))]
        for run, arrays, sources in (("", arrays_a, [train, *others]), (" (others changed)", arrays_b, [train, *changed])):
            for label, got, source in zip(labels, arrays, sources, strict=True):
                expected = (source.astype(np.float64) - mean) / std
                compare(expected, got, f"{text}{run}: standardized {label}", atol=tolerance, rtol=tolerance)


# -- naive_forecast -------------------------------------------------------------------------------

class NaiveForecast(CheckKind):
    """``naive_forecast(X, target_col)``: the last observed value of ``target_col`` in each window."""

    name = "naive_forecast"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        function = params.get("function", "naive_forecast")
        calls = []
        for index, case in enumerate(params["cases"]):
            data = _hidden_slice(ctx, case["rows"])
            X, _ = windowing.make_windows(data, int(case["seq_len"]), step_shift=int(case.get("step_shift", 1)))
            kwargs = {"target_col": int(case["target_col"])} if "target_col" in case else {}
            calls.append({"id": f"case{index}", "probe": "call", "function": function, "args": [Raw(X)],
                          "kwargs": kwargs})
        return Plan(calls, {"function": function})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        function = plan.state["function"]

        def body() -> str:
            for call in plan.calls:
                X = call["args"][0].array
                col = call["kwargs"].get("target_col", 0)
                text = f"{_call_text(function, ['X'], call['kwargs'])} on hidden windows X of shape {tuple(X.shape)}"
                got = _flat(require_ok(results[call["id"]], text), len(X), text)
                expected = windowing.naive_forecast(X, col).astype(np.float64)
                if not matches(expected, got, atol=1e-6, rtol=0):
                    hint = ""
                    for step, column, said in ((0, col, "the first step of each window, not the last"),
                                               (-2, col, "the second-to-last step, not the last"),
                                               (-1, 0, f"column 0 — use target_col={col}")):
                        if matches(X[:, step, column].astype(np.float64), got, atol=1e-6, rtol=0):
                            hint = f" — these are the values of {said}"
                            break
                    worst = int(np.argmax(np.abs(got - expected)))
                    raise Failed(f"{text}: expected X[:, -1, {col}] (the last observed value); at window {worst} "
                                 f"expected {expected[worst]:.6g}, got {got[worst]:.6g}{hint}")
            return f"{function} returns the last observed value of target_col ({_cases(len(plan.calls))})"

        return run_judge(body)


# -- the forecast on the hidden period ------------------------------------------------------------

def hidden_windows(params: dict[str, Any], ctx: CheckContext) -> tuple[np.ndarray, np.ndarray]:
    """The windows ``predict`` is judged on and their targets: ``make_windows`` of the hidden period with
    ``step_shift = stride``, a stride longer than a window and its target (``spaced_window_starts``)."""
    data = windowing.read_weather(ctx.hidden_dir / params.get("data", _HIDDEN_FILE))
    seq_len, shift = int(params.get("seq_len", 24)), int(params.get("target_shift", 1))
    starts = windowing.spaced_window_starts(len(data), seq_len, shift, int(params["stride"]))
    X, y = windowing.make_windows(data, seq_len, shift, int(params["stride"]), int(params.get("target_col", 0)))
    assert len(X) == len(starts)
    return X, y


def forecast_errors(params: dict[str, Any], ctx: CheckContext, value: Any, text: str,
                    order: np.ndarray | None = None) -> tuple[float, float, np.ndarray]:
    """(MAE of the student's forecasts, MAE of the naive forecast, forecasts in time order) on the hidden
    period; ``order`` is the permutation in which the windows were sent."""
    X, y = hidden_windows(params, ctx)
    sent = _flat(value, len(X), text)
    if not np.all(np.isfinite(sent)):
        raise Failed(f"{text}: {int(np.sum(~np.isfinite(sent)))} forecast(s) are NaN or infinite")
    pred = np.empty_like(sent)
    pred[np.arange(len(X)) if order is None else order] = sent
    naive = windowing.naive_forecast(X, int(params.get("target_col", 0)))
    return mae(pred, y), mae(naive, y), pred


def mae(pred: np.ndarray, true: np.ndarray) -> float:
    """Mean absolute error: the metric, computed in the grader (public, unlike the lab's numerics)."""
    return float(np.mean(np.abs(np.asarray(pred, dtype=np.float64) - np.asarray(true, dtype=np.float64))))


_WEEK = 168  # hours of the plotted week


def _week_windows(params: dict[str, Any], ctx: CheckContext) -> tuple[np.ndarray, np.ndarray]:
    """The plot's week: the first 168 hourly windows of the probe series, not of the period that is scored
    (the plot shows its truth to the student, and its windows overlap)."""
    data = _hidden_rows(ctx)[:_WEEK + int(params.get("seq_len", 24)) + int(params.get("target_shift", 1)) - 1]
    return windowing.make_windows(data, int(params.get("seq_len", 24)), int(params.get("target_shift", 1)),
                                  target_col=int(params.get("target_col", 0)))


def _forecast_week(params: dict[str, Any], ctx: CheckContext, result: CallResult | None) -> dict[str, Any]:
    """Plot data: the student's forecast, the truth and the naive forecast over the probe series' first week;
    nothing when that call failed (the verdict does not depend on it)."""
    X, y = _week_windows(params, ctx)
    try:
        pred = _flat(result.value, len(X), "week") if result is not None and result.ok else None
    except Failed:
        pred = None
    if pred is None or not np.all(np.isfinite(pred)):
        return {}
    naive = windowing.naive_forecast(X, int(params.get("target_col", 0)))
    return {"plot": "forecast", "truth": y.tolist(), "forecast": pred.tolist(), "naive": naive.tolist(),
            "xlabel": "hour of a week of other hidden weather (not one of the windows scored)"}


class ForecastBeatsNaive(CheckKind):
    """``predict(X)`` on the hidden period's raw windows beats the naive forecast's MAE by ``margin`` (°C).

    The windows start every ``stride`` hours (more than a window and its target), so none overlaps, touches or
    holds another's target; they are sent in a random order, and the targets are read in ``judge`` only and
    never sent to the kernel.
    """

    name = "forecast_beats_naive"
    preview_only = True

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        X, _ = hidden_windows(params, ctx)
        order = ctx.rng.permutation(len(X))
        function = params.get("function", "predict")
        week, _ = _week_windows(params, ctx)
        return Plan([{"id": "hidden", "probe": "call", "function": function, "args": [Raw(X[order])]},
                     {"id": "week", "probe": "call", "function": function, "args": [Raw(week)]}],
                    {"function": function, "shape": tuple(X.shape), "order": order})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        function, shape = plan.state["function"], plan.state["shape"]
        margin = float(params["margin"])
        text = (f"{function}(X) on {shape[0]} windows of the hidden period (raw values, NumPy float32, "
                f"shape {shape}, one every {int(params['stride'])} hours, in random order)")

        details: dict[str, Any] = {}

        def body() -> str:
            value = require_ok(results["hidden"], text)
            error, naive, pred = forecast_errors(params, ctx, value, text, plan.state["order"])
            threshold = naive - margin
            details.update(mae=error, naive_mae=naive, threshold=threshold)
            details.update(_forecast_week(params, ctx, results.get("week")))
            summary = (f"MAE {error:.3f} °C; to pass it must be at most {threshold:.3f} °C (the naive last-value "
                       f"forecast's {naive:.3f} °C minus a margin of {margin:g} °C)")
            if error > threshold:
                raise Failed(f"{text}: {summary}{self._hint(params, ctx, pred, error, naive)}")
            return f"{text}: {summary}"

        return run_judge(body, details)

    @staticmethod
    def _hint(params: dict[str, Any], ctx: CheckContext, pred: np.ndarray, error: float, naive: float) -> str:
        X, y = hidden_windows(params, ctx)
        last = windowing.naive_forecast(X, int(params.get("target_col", 0)))
        if np.allclose(pred, last, atol=1e-3):
            return " — these are the last observed temperatures, i.e. the naive forecast itself"
        if error > 3 * naive and abs(pred.mean()) < 3 and 0.3 < pred.std() < 3 and abs(y.mean()) > 3:
            return (" — the forecasts look standardized: convert the model's output back to °C "
                    "(× std + mean of the temperature in training)")
        if error > 3 * naive:
            return (" — far off: standardize X with the training statistics inside predict, and return °C for the "
                    "hour after each window")
        return ""


KINDS = (MakeWindows(), ReshapeWindows(), SplitChronological(), Standardize(), NaiveForecast(), ForecastBeatsNaive())
