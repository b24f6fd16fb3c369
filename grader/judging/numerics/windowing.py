"""The grader's own windowing, splitting, standardization and baseline for lab 03 (NumPy only)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np


def window_starts(n_rows: int, seq_len: int, target_shift: int = 1, step_shift: int = 1) -> np.ndarray:
    """First row of every complete window: its rows and its target row all lie inside the data."""
    last_start = n_rows - seq_len - target_shift
    if last_start < 0:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, last_start + 1, step_shift, dtype=np.int64)


def spaced_window_starts(n_rows: int, seq_len: int, target_shift: int, stride: int) -> np.ndarray:
    """First rows of the windows a forecast is judged on: one every ``stride`` rows from row 0, complete ones only.

    ``stride`` must exceed ``seq_len + target_shift``: then no two windows overlap or touch, every target lies in
    the gap after its own window and before the next one, and no window holds the target of another (the rows
    between a target and the next window are sent nowhere).
    """
    if stride <= seq_len + target_shift:
        raise ValueError(f"stride {stride} must exceed seq_len + target_shift = {seq_len + target_shift}: the windows "
                         "would overlap or touch, and one window would hold another's target")
    return window_starts(n_rows, seq_len, target_shift, stride)


def make_windows(
    data: np.ndarray, seq_len: int, target_shift: int = 1, step_shift: int = 1, target_col: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Window i covers rows [i·step_shift, i·step_shift + seq_len); its target is row
    i·step_shift + seq_len − 1 + target_shift of ``target_col``. Incomplete windows are dropped."""
    data = np.asarray(data)
    if data.ndim == 1:
        data = data[:, None]
    starts = window_starts(len(data), seq_len, target_shift, step_shift)
    rows = starts[:, None] + np.arange(seq_len)[None, :]
    X = data[rows] if len(starts) else np.zeros((0, seq_len, data.shape[1]), dtype=data.dtype)
    y = data[starts + seq_len - 1 + target_shift, target_col]
    return X, y


def reshape_windows(data: np.ndarray, seq_len: int) -> np.ndarray:
    """Non-overlapping windows (T // seq_len, seq_len, F); the remainder is dropped."""
    data = np.asarray(data)
    if data.ndim == 1:
        data = data[:, None]
    n = len(data) // seq_len
    return data[: n * seq_len].reshape(n, seq_len, data.shape[1])


def split_sizes(n: int, train: float = 0.64, val: float = 0.16) -> tuple[int, int, int]:
    """Sizes of the chronological parts of ``n`` examples: int(n·train), int(n·val), the rest."""
    n_train, n_val = int(n * train), int(n * val)
    return n_train, n_val, n - n_train - n_val


def feature_stats(train: np.ndarray, ddof: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and standard deviation over every axis but the last (float64)."""
    flat = np.asarray(train, dtype=np.float64).reshape(-1, np.shape(train)[-1])
    return flat.mean(axis=0), flat.std(axis=0, ddof=ddof)


def naive_forecast(X: np.ndarray, target_col: int = 0) -> np.ndarray:
    """The last observed value of ``target_col`` in each window."""
    return np.asarray(X)[:, -1, target_col]


def mae(pred: np.ndarray, true: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(pred, dtype=np.float64) - np.asarray(true, dtype=np.float64))))


def read_weather(path: Path) -> np.ndarray:
    """The (T, F) float32 array of a lab 03 weather CSV: every column but the leading ``time``."""
    path = Path(path)
    return _read_weather(path, path.stat().st_mtime_ns).copy()


@lru_cache(maxsize=4)
def _read_weather(path: Path, mtime_ns: int) -> np.ndarray:
    with open(path) as handle:
        header = handle.readline().rstrip("\n").split(",")
    if header[0] != "time":
        raise ValueError(f"{path}: the first column should be 'time', got {header[0]!r}")
    values = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(1, len(header)), dtype=np.float64, ndmin=2)
    return values.astype(np.float32)
