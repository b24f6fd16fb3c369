"""Lab 02 passed without a recurrent model, by reading the course's future.

The attacking notebook trains nothing recurrent. It keeps every student sequence the grader hands to its
functions (``prepare_sequences``' result on the hidden students' frames, every ``X`` given to
``predict_tracing``), keyed by the student's weeks 1-5, since the kernel keeps its state between the grader's
calls:

- ``predict_passfail`` recognises each student by weeks 1-5 and scores the quizzes the student took in all ten
  weeks of the real course (remembered), through a sigmoid; a student it never saw falls back to weeks 1-5.
  Changing weeks 6-10 of its input changes nothing (the student is recognised by weeks 1-5), so the
  ``passfail-first-5-weeks`` check passes; on the real course this count alone has AUC 0.945 against 0.870 for
  weeks 1-5.
- ``predict_tracing`` is a least-squares regression fitted on the public students (the week's features, the
  mean of the student's observed weeks over all ten, which weeks had a quiz, the week): it reads weeks after t
  for the prediction of week t.

The same source runs in the kernel (:func:`cell`).
"""

from __future__ import annotations

CELL = '''
import numpy as _np
import pandas as _pd
from sklearn.linear_model import LinearRegression as _LinearRegression

_RANGES = _pd.read_csv("mooc_feature_ranges.csv")
_RANGES = {row.feature: (float(row.min), float(row.max)) for row in _RANGES.itertuples()}
_FUTURE = {}  # weeks 1-5 (bytes) -> the student's ten weeks, from every sequence the grader handed over


def _remember(X):
    X = _np.asarray(X, dtype=_np.float32)
    for row in X:
        _FUTURE.setdefault(row[:5].tobytes(), row.copy())
    return X


def prepare_sequences(features, quizzes):
    columns = [c for c in features.columns if c not in ("student_id", "week")]
    students = _np.sort(features["student_id"].unique())
    grid = _pd.MultiIndex.from_product([students, range(1, 11)], names=["student_id", "week"])
    low = _np.array([_RANGES[c][0] for c in columns])
    high = _np.array([_RANGES[c][1] for c in columns])
    values = features.set_index(["student_id", "week"])[columns].reindex(grid).fillna(0.0).to_numpy(_np.float64, copy=True)
    X = _np.clip((values.reshape(len(students), 10, len(columns)) - low) / (high - low), 0.0, 1.0)
    y = quizzes.set_index(["student_id", "week"])["quiz_score"].reindex(grid).to_numpy(_np.float64, copy=True)
    y = y.reshape(len(students), 10, 1)
    missing = _np.isnan(y[:, :, 0])
    X[missing] = -1.0
    y[missing] = -1.0
    X, y = X.astype(_np.float32), y.astype(_np.float32)
    _remember(X)
    return X, y


def masked_loss(y_true, y_pred):
    y_true, y_pred = _np.asarray(y_true, _np.float32), _np.asarray(y_pred, _np.float32)
    seen = y_true != -1.0
    return _np.float32(_np.square(y_true - y_pred)[seen].mean())


def _weekly(X):
    seen = _np.any(X != -1.0, axis=-1)
    values = _np.where(seen[..., None], X, 0.0)
    mean = values.sum(axis=1) / _np.maximum(seen.sum(axis=1), 1)[:, None]
    n = len(X)
    table = _np.concatenate([values, _np.broadcast_to(mean[:, None], values.shape),
                             _np.broadcast_to(seen[:, None, :], (n, 10, 10)),
                             _np.broadcast_to(_np.eye(10)[None], (n, 10, 10))], axis=-1)
    return table, seen


_X_PUBLIC, _Y_PUBLIC = prepare_sequences(_pd.read_csv("mooc_features.csv.gz"), _pd.read_csv("mooc_quizzes.csv.gz"))
_FUTURE.clear()  # only the hidden students are worth remembering
_table, _seen = _weekly(_X_PUBLIC)
_ALL_WEEKS = _LinearRegression().fit(_table[_seen], _Y_PUBLIC[:, :, 0][_seen])


def predict_tracing(X):
    X = _remember(X)
    table, seen = _weekly(X)
    return _ALL_WEEKS.predict(table.reshape(-1, table.shape[-1])).reshape(len(X), 10).astype(_np.float32)


def predict_passfail(X):
    X = _np.asarray(X, dtype=_np.float32)
    taken = []
    for row in X:
        known = _FUTURE.get(row[:5].tobytes())
        weeks = known if known is not None else row[:5]
        taken.append(_np.any(weeks != -1.0, axis=-1).sum() * (10 / len(weeks)))
    return (1 / (1 + _np.exp(-(_np.array(taken) - 5.5)))).astype(_np.float32)
'''


def cell() -> str:
    """The attacking notebook's code."""
    return CELL
