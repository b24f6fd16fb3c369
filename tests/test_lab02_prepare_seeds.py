"""Lab 02 prepare-sequences across grader seeds: its plan never fails (pandas 3 refused a float written
into an integer column on about one seed in ten), a correct implementation passes and one that does not
clip to [0, 1] fails on every seed (the out-of-range values sit in weeks that have a quiz score)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sweep_oracles import prepare_sequences_numpy

from grader.course.labs import load_lab
from grader.judging.checks.base import CheckContext
from grader.judging.checks.tracing import SequencePreparation
from grader.kernel.probing import CallResult

LAB = load_lab("02-tracing-vs-passfail")


def answers(plan, clip: bool) -> dict[str, CallResult]:
    return {call["id"]: CallResult(True, prepare_sequences_numpy(pd.DataFrame(call["args"][0].columns),
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
