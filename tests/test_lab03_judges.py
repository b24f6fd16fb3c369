"""Lab 03's check kinds judge plain values: fed fake kernel results, they pass right answers and explain
wrong ones (no kernel, no framework)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from grader.judging.checks import registry
from grader.judging.checks.base import CheckContext
from grader.judging.numerics import windowing
from grader.kernel.probing import CallError, CallResult

LAB = Path(__file__).resolve().parents[1] / "assignments" / "03-windowing-forecast"


def _spec_params(check_id):
    path = LAB / "assignment.yaml"
    if not path.is_file():
        path = LAB / "assignment.yaml.draft"
    spec = yaml.safe_load(path.read_text())
    return next(check["params"] for check in spec["checks"] if check["id"] == check_id)


def _ctx(framework="torch", seed=5):
    return CheckContext(framework, np.random.default_rng(seed), LAB / "hidden", LAB.name)


def _answer(kind_name, params, respond, ctx=None):
    kind = registry.get(kind_name)
    ctx = ctx or _ctx()
    plan = kind.plan(params, ctx)
    results = {call["id"]: respond(call) for call in plan.calls}
    return kind.judge(params, ctx, plan, results)


def _arrays(call):
    return [getattr(arg, "array", arg) for arg in call["args"]]


# -- make_windows -------------------------------------------------------------------------------

def _windows(shift_error=0, ignore_col=False, keep_incomplete=False):
    def respond(call):
        data, seq_len = _arrays(call)
        kw = {"target_shift": 1, "step_shift": 1, "target_col": 0, **call["kwargs"]}
        col = 0 if ignore_col else kw["target_col"]
        shift = kw["target_shift"] + shift_error  # an off-by-one drops the windows whose moved target is missing
        starts = windowing.window_starts(len(data), seq_len, shift, kw["step_shift"])
        if keep_incomplete:
            starts = np.arange(0, len(data) - seq_len + 1, kw["step_shift"])
        X = np.stack([data[s:s + seq_len] for s in starts]) if len(starts) else np.zeros((0, seq_len, data.shape[1]))
        rows = np.minimum(starts + seq_len - 1 + shift, len(data) - 1)
        return CallResult(True, (X, data[rows, col]))
    return respond


@pytest.mark.parametrize("check_id", ["make-windows-lecture-example", "make-windows"])
def test_make_windows_passes_the_right_windows(check_id):
    verdict = _answer("make_windows", _spec_params(check_id), _windows())
    assert verdict.passed, verdict.message


def test_lecture_example_names_the_decks_rows():
    verdict = _answer("make_windows", _spec_params("make-windows-lecture-example"), _windows(shift_error=1))
    assert not verdict.passed
    assert "starting at rows 1, 3, 5, 7 with targets at rows 8, 10, 12, 14" in verdict.message
    assert "rows 9, 11, 13" in verdict.message and "1 row(s) too late" in verdict.message
    verdict = _answer("make_windows", _spec_params("make-windows-lecture-example"), _windows(shift_error=-1))
    assert not verdict.passed and "rows 7, 9, 11, 13: the window's last row" in verdict.message


def test_make_windows_explains_the_wrong_column_and_incomplete_windows():
    verdict = _answer("make_windows", _spec_params("make-windows"), _windows(ignore_col=True))
    assert not verdict.passed and "target_col=3" in verdict.message and "column 0" in verdict.message
    verdict = _answer("make_windows", _spec_params("make-windows"), _windows(keep_incomplete=True))
    assert not verdict.passed and "drop them" in verdict.message


def test_make_windows_accepts_any_empty_result_when_no_window_fits():
    params = {"cases": [{"data": "hidden", "rows": 30, "seq_len": 30}]}
    verdict = _answer("make_windows", params, lambda call: CallResult(True, (np.zeros((0,)), np.zeros((0,)))))
    assert verdict.passed, verdict.message


# -- reshape_windows ----------------------------------------------------------------------------

def test_reshape_windows():
    params = _spec_params("reshape-windows")
    right = _answer("reshape_windows", params, lambda call: CallResult(True, windowing.reshape_windows(*_arrays(call))))
    assert right.passed, right.message

    def padded(call):
        data, seq_len = _arrays(call)
        n = -(-len(data) // seq_len)
        full = np.zeros((n * seq_len, data.shape[1]), dtype=data.dtype)
        full[: len(data)] = data
        return CallResult(True, full.reshape(n, seq_len, -1))

    wrong = _answer("reshape_windows", params, padded)
    assert not wrong.passed and "must be dropped" in wrong.message


# -- split_chronological ------------------------------------------------------------------------

def _split(shuffle=False, rounding=int):
    def respond(call):
        X, y = _arrays(call)
        train, val = call["kwargs"].get("train", 0.64), call["kwargs"].get("val", 0.16)
        order = np.random.default_rng(0).permutation(len(X)) if shuffle else np.arange(len(X))
        X, y = X[order], y[order]
        a, b = rounding(len(X) * train), rounding(len(X) * val)
        return CallResult(True, ((X[:a], y[:a]), (X[a:a + b], y[a:a + b]), (X[a + b:], y[a + b:])))
    return respond


def test_split_chronological():
    params = _spec_params("split-chronological")
    assert _answer("split_chronological", params, _split()).passed
    assert _answer("split_chronological", params, _split(rounding=round)).passed
    shuffled = _answer("split_chronological", params, _split(shuffle=True))
    assert not shuffled.passed and "not in time order" in shuffled.message
    fixed = _answer("split_chronological", params, lambda call: _split()({**call, "kwargs": {}}))
    assert not fixed.passed and "expected 100 training, 60 validation and 40 test" in fixed.message


# -- standardize --------------------------------------------------------------------------------

def _standardize(all_data=False, ddof=0):
    def respond(call):
        train, *others = _arrays(call)
        source = np.concatenate([a.reshape(-1, a.shape[-1]) for a in (train, *others)]) if all_data else train
        flat = source.reshape(-1, source.shape[-1]).astype(np.float64)
        mean, std = flat.mean(axis=0), flat.std(axis=0, ddof=ddof)
        return CallResult(True, (*[((a - mean) / std).astype(np.float32) for a in (train, *others)],
                                 (mean.astype(np.float32), std.astype(np.float32))))
    return respond


def test_standardize():
    params = _spec_params("standardize")
    for ddof in (0, 1):
        verdict = _answer("standardize", params, _standardize(ddof=ddof))
        assert verdict.passed, verdict.message
    leaky = _answer("standardize", params, _standardize(all_data=True))
    assert not leaky.passed and "must come from train alone" in leaky.message


# -- naive_forecast -----------------------------------------------------------------------------

def test_naive_forecast():
    params = _spec_params("naive-forecast")

    def answer(step):
        return lambda call: CallResult(True, _arrays(call)[0][:, step, call["kwargs"].get("target_col", 0)])

    assert _answer("naive_forecast", params, answer(-1)).passed
    first = _answer("naive_forecast", params, answer(0))
    assert not first.passed and "the first step of each window" in first.message


# -- predict on the hidden period ---------------------------------------------------------------

def _judged_windows(params):
    """The windows the check judges (in time order) and their targets, as the grader cuts them."""
    from grader.judging.checks.windowing import hidden_windows
    return hidden_windows(params, _ctx())


def test_forecast_beats_naive():
    params = _spec_params("predict-beats-naive")
    X, y = _judged_windows(params)
    naive = windowing.naive_forecast(X)
    naive_mae = float(np.mean(np.abs(naive - y)))

    rows = {window.tobytes(): index for index, window in enumerate(X)}

    def forecaster(values):
        """A model that forecasts each window it is sent by itself (the windows come shuffled)."""
        def respond(call):
            (array,) = _arrays(call)
            if call["id"] == "week":  # the plot's week, another series: answered with its last values
                return CallResult(True, array[:, -1, 0])
            assert array.shape == X.shape and array.dtype == np.float32
            which = np.array([rows[window.tobytes()] for window in array])
            assert sorted(which) == list(range(len(X))) and not np.array_equal(which, np.arange(len(X)))
            return CallResult(True, values[which])
        return respond

    good = _answer("forecast_beats_naive", params, forecaster((0.6 * naive + 0.4 * y).astype(np.float32)))
    assert good.passed and "MAE" in good.message, good.message
    assert good.details["plot"] == "forecast" and len(good.details["truth"]) == 168
    lazy = _answer("forecast_beats_naive", params, forecaster(naive))
    assert not lazy.passed and "naive forecast itself" in lazy.message and f"{naive_mae:.3f}" in lazy.message
    scaled = _answer("forecast_beats_naive", params, forecaster((y - 14.8) / 9.0))
    assert not scaled.passed and "look standardized" in scaled.message
    column = _answer("forecast_beats_naive", params, forecaster(y[:, None]))
    assert column.passed, column.message
    short = _answer("forecast_beats_naive", params, lambda call: CallResult(True, y[:-1]))
    assert not short.passed and f"expected shape ({len(y)},)" in short.message


# -- what the kernel is sent cannot give predict's targets away ----------------------------------

def _every_call(lab_dir, seed=5):
    """Every check of the lab planned for one grading (one context, as the grader does), in spec order."""
    spec = yaml.safe_load((lab_dir / "assignment.yaml").read_text())
    ctx = CheckContext("torch", np.random.default_rng(seed), lab_dir / "hidden", lab_dir.name)
    calls = []
    for check in spec["checks"]:
        calls += registry.get(check["kind"]).plan(dict(check["params"]), ctx).calls
    return calls


def _sent_arrays(calls):
    """Every array the kernel receives in those calls, as the attack records them (tables and windows)."""
    for call in calls:
        for arg in [*call.get("args", []), *call.get("kwargs", {}).values()]:
            array = getattr(arg, "array", None)
            if isinstance(array, np.ndarray):
                yield array


@pytest.mark.parametrize("seq_len,shift,stride", [(24, 1, 49), (24, 1, 26), (7, 2, 10), (5, 3, 9), (1, 1, 3)])
def test_spaced_windows_never_hold_another_windows_target(seq_len, shift, stride):
    starts = windowing.spaced_window_starts(500, seq_len, shift, stride)
    assert len(starts) >= 2
    covered = set()
    for start in starts:
        covered |= set(range(start, start + seq_len))
    targets = starts + seq_len - 1 + shift
    assert not covered & set(targets.tolist())  # no target inside any window sent, its own or another's
    assert np.all(np.diff(starts) > seq_len + shift - 1)  # no two windows overlap or touch
    assert targets.max() < 500


@pytest.mark.parametrize("stride", [24, 25])
def test_a_stride_that_lets_windows_touch_is_refused(stride):
    with pytest.raises(ValueError, match="must exceed"):
        windowing.spaced_window_starts(500, 24, 1, stride)


@pytest.mark.parametrize("lab", ["03-windowing-forecast", "05-improving-rnns"])
def test_no_row_the_kernel_is_sent_in_a_grading_is_a_target_of_predict(lab):
    lab_dir = LAB.parent / lab
    params = next(c["params"] for c in yaml.safe_load((lab_dir / "assignment.yaml").read_text())["checks"]
                  if c["id"] == "predict-beats-naive")
    data = windowing.read_weather(lab_dir / "hidden" / params["data"])
    starts = windowing.spaced_window_starts(len(data), params["seq_len"], params["target_shift"], params["stride"])
    target_rows = {data[s + params["seq_len"] - 1 + params["target_shift"]].tobytes() for s in starts}
    assert len(target_rows) == len(starts) >= 500  # distinct rows: enough windows for a steady MAE
    sent = set()
    for array in _sent_arrays(_every_call(lab_dir)):
        if array.ndim >= 2 and array.shape[-1] == data.shape[1]:
            sent |= {row.tobytes() for row in array.reshape(-1, data.shape[1])}
    assert sent, "the plan sends hidden rows: the property is about them"
    assert not sent & target_rows


def test_a_lookup_of_everything_the_kernel_was_sent_scores_the_naive_mae():
    from adversarial import forecast_lookup

    params = _spec_params("predict-beats-naive")
    calls = _every_call(LAB)
    seen = []
    for array in _sent_arrays(calls):
        seen += [array] if array.ndim == 2 else list(array) if array.ndim == 3 else []

    def respond(call):
        if call["probe"] == "call" and call["function"] == "predict":
            return CallResult(True, forecast_lookup.lookup(_arrays(call)[0], seen))
        return CallResult(True, None)

    X, y = _judged_windows(params)
    naive_mae = float(np.mean(np.abs(X[:, -1, 0] - y)))
    verdict = _answer("forecast_beats_naive", params, respond)
    assert not verdict.passed and verdict.details["mae"] == pytest.approx(naive_mae)
    # the control: the same lookup on the overlapping windows the check used to send reads every target
    overlapping, targets = windowing.make_windows(windowing.read_weather(LAB / "hidden" / params["data"]), 24)
    assert np.mean(np.abs(forecast_lookup.lookup(overlapping, list(overlapping)) - targets)) < 0.01


def test_a_pasted_table_of_the_public_2013_weather_scores_the_naive_mae():
    from adversarial import forecast_lookup

    params = _spec_params("predict-beats-naive")
    table = forecast_lookup.real_2013(LAB / "public" / "weather_public.csv")

    def respond(call):
        return CallResult(True, forecast_lookup.lookup(_arrays(call)[0], [table], key_rows=3))

    X, y = _judged_windows(params)
    verdict = _answer("forecast_beats_naive", params, respond)
    assert not verdict.passed and verdict.details["mae"] == pytest.approx(float(np.mean(np.abs(X[:, -1, 0] - y))))
    # the control: the former hidden period, real weeks of 2013, is read straight off the table
    real_X, real_y = windowing.make_windows(windowing.read_weather(forecast_lookup.REAL_OCT_DEC), 24)
    assert np.mean(np.abs(forecast_lookup.lookup(real_X, [table], key_rows=3) - real_y)) < 0.01


def test_missing_function_is_reported_as_such():
    missing = CallResult(False, error=CallError("NameError", "predict is not defined in the notebook", missing=True))
    verdict = _answer("forecast_beats_naive", _spec_params("predict-beats-naive"), lambda call: missing)
    assert not verdict.passed and verdict.message == "predict is not defined in the notebook"
