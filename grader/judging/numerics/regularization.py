"""Lab 05's weight penalty in NumPy: l1·Σ|W| + l2·ΣW² over the given weights."""

from __future__ import annotations

import numpy as np


def penalty(weights: dict[str, np.ndarray], l1: float, l2: float) -> float:
    return float(sum(l1 * np.abs(w.astype(np.float64)).sum() + l2 * np.square(w.astype(np.float64)).sum()
                     for w in weights.values()))
