"""Lab 02 prepare-sequences across grader seeds: its plan never fails (pandas 3 refused a float written
into an integer column on about one seed in ten), a correct implementation passes and one that does not
clip to [0, 1] fails on every seed (the out-of-range values sit in weeks that have a quiz score)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grader.checks.base import CheckContext
from grader.checks.tracing import SequencePreparation, feature_ranges
from grader.course import load_lab
from grader.probing import CallResult

LAB = load_lab("02-tracing-vs-passfail")
RANGES = feature_ranges(LAB.public_dir)


def student_prepare(features: pd.DataFrame, quizzes: pd.DataFrame, clip: bool) -> tuple[np.ndarray, np.ndarray]:
    columns = [c for c in features.columns if c not in ("student_id", "week")]
    students = np.sort(features["student_id"].unique())
    grid = pd.MultiIndex.from_product([students, range(1, 11)], names=["student_id", "week"])
    low = np.array([RANGES[c][0] for c in columns])
    high = np.array([RANGES[c][1] for c in columns])
    values = features.set_index(["student_id", "week"])[columns].reindex(grid).fillna(0.0)
    x = (values.to_numpy(np.float64, copy=True).reshape(len(students), 10, len(columns)) - low) / (high - low)
    x = np.clip(x, 0.0, 1.0) if clip else x
    scores = quizzes.set_index(["student_id", "week"])["quiz_score"].reindex(grid)
    y = scores.to_numpy(np.float64, copy=True).reshape(len(students), 10, 1)
    missing = np.isnan(y[:, :, 0])
    x[missing], y[missing] = -1.0, -1.0
    return x.astype(np.float32), y.astype(np.float32)


def answers(plan, clip: bool) -> dict[str, CallResult]:
    return {call["id"]: CallResult(True, student_prepare(pd.DataFrame(call["args"][0].columns),
                                                         pd.DataFrame(call["args"][1].columns), clip))
            for call in plan.calls}


@pytest.mark.parametrize("block", range(4))
def test_prepare_sequences_plans_and_judges_the_same_on_every_seed(block):
    kind = SequencePreparation()
    for seed in range(block * 50, block * 50 + 50):
        ctx = CheckContext("torch", np.random.default_rng([seed, 7]), LAB.hidden_dir, LAB.id)
        plan = kind.plan({"subset": 40}, ctx)
        if seed % 5 == 0:
            correct = kind.judge({}, ctx, plan, answers(plan, clip=True))
            assert correct.passed, (seed, correct.message)
        unclipped = kind.judge({}, ctx, plan, answers(plan, clip=False))
        assert not unclipped.passed and "[0, 1]" in unclipped.message, (seed, unclipped.message)
