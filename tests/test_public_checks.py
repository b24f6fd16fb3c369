"""Without the private course: recorded checks judged, metric checks only ever previews, stale recordings and
unrecorded checks pending (never a score)."""

from __future__ import annotations

import numpy as np

from grader import public_checks
from grader.checks.base import CheckContext
from grader.course import load_lab
from grader.public_checks import PublicChecks
from grader.report import PASSED, SKIPPED, CheckResult


class FakeRun:
    """Stands in for a Grading: every check the kernel is asked about passes."""

    def __init__(self) -> None:
        self.judged: list[str] = []

    def context(self, check, seed, hidden_dir):
        return CheckContext("torch", np.random.default_rng(seed), hidden_dir, "lab")

    def run_check(self, check, ctx, make_plan, judging):
        self.judged.append(check.id)
        make_plan(None)
        return CheckResult(check.id, check.title, check.points, check.points, PASSED, "fine",
                           visibility=check.visibility)


def _check(lab, check_id):
    return next(c for c in lab.checks_for("torch") if c.id == check_id)


def test_a_metric_check_is_a_preview_and_a_recorded_check_is_judged():
    lab = load_lab("03-windowing-forecast")
    checks, run = PublicChecks(lab, "torch"), FakeRun()
    forecast = checks.judge(run, _check(lab, "predict-beats-naive"))  # public visibility, hidden labels
    assert forecast.status == SKIPPED and forecast.score == 0.0
    assert forecast.message.startswith("preview on public data, not your grade (would pass there")
    windows = checks.judge(run, _check(lab, "make-windows"))
    assert windows.status == PASSED and windows.score == windows.max_score
    assert run.judged == ["predict-beats-naive", "make-windows"]


def test_a_stale_recording_and_an_unrecordable_check_await_the_private_run(monkeypatch):
    lab = load_lab("01-rnn-cells")
    run = FakeRun()
    unrecordable = PublicChecks(lab, "torch").judge(run, _check(lab, "to-builtin-rnn"))
    assert unrecordable.status == SKIPPED and "graded by your instructors" in unrecordable.message
    monkeypatch.setattr(public_checks, "fingerprint", lambda lab, framework: "another spec")
    stale = PublicChecks(lab, "torch").judge(run, _check(lab, "rnn-step"))
    assert stale.status == SKIPPED and "out of date" in stale.message and stale.score == 0.0
    assert run.judged == []
