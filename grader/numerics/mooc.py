"""Lab 02's rules in NumPy/pandas: sequences from the long tables, and the masked loss."""

from __future__ import annotations

from typing import Any

import numpy as np

MASK_VALUE = -1.0
N_WEEKS = 10
ID_COLUMNS = ("student_id", "week")


def prepare_sequences(features: Any, quizzes: Any, ranges: dict[str, tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` as the lab defines them: students of ``features`` in ascending id, weeks 1-10,
    features scaled by their fixed range and clipped to [0, 1]; a week without a quiz score (NaN or no
    row) is −1 in ``y`` and in every feature of ``X``; a missing feature row of an observed week is 0."""
    import pandas as pd

    columns = [c for c in features.columns if c not in ID_COLUMNS]
    students = np.sort(features["student_id"].unique())
    grid = pd.MultiIndex.from_product([students, range(1, N_WEEKS + 1)], names=list(ID_COLUMNS))
    low = np.array([ranges[c][0] for c in columns])
    high = np.array([ranges[c][1] for c in columns])
    values = features.set_index(list(ID_COLUMNS))[columns].reindex(grid).fillna(0.0).to_numpy(np.float64, copy=True)
    x = np.clip((values.reshape(len(students), N_WEEKS, len(columns)) - low) / (high - low), 0.0, 1.0)
    score = quizzes.set_index(list(ID_COLUMNS))["quiz_score"].reindex(grid).to_numpy(np.float64, copy=True)
    y = score.reshape(len(students), N_WEEKS, 1)
    missing = np.isnan(y[:, :, 0])
    x[missing] = MASK_VALUE
    y[missing] = MASK_VALUE
    return x.astype(np.float32), y.astype(np.float32)


def masked_mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean squared error over the entries whose target is not the mask value, and only those."""
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    seen = y_true != MASK_VALUE
    return float(np.mean((y_true[seen] - y_pred[seen]) ** 2))
