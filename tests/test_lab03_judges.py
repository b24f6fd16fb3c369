"""Lab 03's check kinds judge plain values: fed fake kernel results, they pass right answers and explain
wrong ones (no kernel, no framework)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from grader.checks import registry
from grader.checks.base import CheckContext
from grader.numerics import windowing
from grader.probing import CallError, CallResult

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

def test_forecast_beats_naive():
    params = _spec_params("predict-beats-naive")
    X, y = windowing.make_windows(windowing.read_weather(LAB / "hidden" / "weather_hidden.csv"), 24)
    naive = windowing.naive_forecast(X)

    rows = {window.tobytes(): index for index, window in enumerate(X)}

    def forecaster(values):
        """A model that forecasts each window it is sent by itself (the windows come shuffled)."""
        def respond(call):
            (array,) = _arrays(call)
            assert array.shape == X.shape and array.dtype == np.float32
            which = np.array([rows[window.tobytes()] for window in array])
            assert sorted(which) == list(range(len(X))) and not np.array_equal(which, np.arange(len(X)))
            return CallResult(True, values[which])
        return respond

    good = _answer("forecast_beats_naive", params, forecaster((0.6 * naive + 0.4 * y).astype(np.float32)))
    assert good.passed and "MAE" in good.message, good.message
    lazy = _answer("forecast_beats_naive", params, forecaster(naive))
    assert not lazy.passed and "naive forecast itself" in lazy.message and "0.709" in lazy.message
    scaled = _answer("forecast_beats_naive", params, forecaster((y - 14.8) / 9.0))
    assert not scaled.passed and "look standardized" in scaled.message
    column = _answer("forecast_beats_naive", params, forecaster(y[:, None]))
    assert column.passed, column.message
    short = _answer("forecast_beats_naive", params, lambda call: CallResult(True, y[:-1]))
    assert not short.passed and f"expected shape ({len(y)},)" in short.message
    # reading the answer off the next window does not work on shuffled windows
    peek = _answer("forecast_beats_naive", params, lambda call: CallResult(
        True, np.append(_arrays(call)[0][1:, -1, 0], 0.0)))
    assert not peek.passed


def test_missing_function_is_reported_as_such():
    missing = CallResult(False, error=CallError("NameError", "predict is not defined in the notebook", missing=True))
    verdict = _answer("forecast_beats_naive", _spec_params("predict-beats-naive"), lambda call: missing)
    assert not verdict.passed and verdict.message == "predict is not defined in the notebook"
