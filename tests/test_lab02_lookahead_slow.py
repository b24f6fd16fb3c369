"""Lab 02's look-ahead attack, graded for real: a notebook with no recurrent model that reads the course's
future (``adversarial/lab02_lookahead.py``).

The notebook is graded once in a real (sandboxed) kernel and judged with the metric checks as they are and, as
the control, with the checks as they were before the defence (the pass/fail call carried all ten real weeks,
nothing checked that tracing is causal or that the predictions are the trained LSTM's). The attack must score
with the control (proof that it works) and score nothing with the defence.
"""

from __future__ import annotations

import time
from dataclasses import replace

import nbformat
import pytest
from adversarial import lab02_lookahead

from grader.course.labs import load_lab
from grader.judging.grading import Grading

pytestmark = pytest.mark.slow

LAB = "02-tracing-vs-passfail"
METRICS = ("tracing-rmse", "passfail-auc", "passfail-balanced-accuracy")
DEFENCE = ("weeks", "causal", "trained_model")


def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["grader"] = {"lab": LAB, "framework": "torch"}
    nb.cells.append(nbformat.v4.new_code_cell(lab02_lookahead.cell()))
    return nb


def test_reading_the_future_scored_before_the_defence_and_scores_nothing_now():
    lab = load_lab(LAB)
    checks = {check.id: check for check in lab.checks_for("torch")}
    with Grading(lab, "torch", seed=5, deadline=time.monotonic() + 600) as run:
        events = run.execute(_notebook())
        assert all(event.status == "ok" for event in events), [event.message for event in events]
        judged = {result.id: result for result in run.judge()}  # every check in order: the kernel remembers
        defended = {check_id: judged[check_id] for check_id in METRICS}
        before = {check_id: run.judge_check(replace(checks[check_id], params={
            key: value for key, value in checks[check_id].params.items() if key not in DEFENCE}))
            for check_id in METRICS}
        weeks_only = run.judge_check(replace(checks["passfail-auc"], params={
            key: value for key, value in checks["passfail-auc"].params.items() if key != "trained_model"}))

    assert judged["passfail-first-5-weeks"].passed  # students recognised by weeks 1-5: weeks 6-10 "ignored"
    assert all(result.passed for result in before.values()), {k: r.message for k, r in before.items()}
    assert "AUC 0.945" in before["passfail-auc"].message  # weeks 1-5 alone: 0.870
    # the remembered students bring their future back whatever weeks 6-10 the call carries: only the tie to the
    # trained model stops that
    assert weeks_only.passed and "AUC 0.945" in weeks_only.message
    assert not any(result.passed for result in defended.values()), {k: r.message for k, r in defended.items()}
    assert "the prediction for week t may use weeks 1 to t only" in defended["tracing-rmse"].message
    assert "not the outputs of a trained model of the notebook" in defended["passfail-auc"].message
    scored_before = sum(result.score for result in before.values())
    assert scored_before == sum(checks[check_id].points for check_id in METRICS) == 8
    assert sum(result.score for result in defended.values()) == 0
