"""Checks where the private course is not installed: recorded expectations, previews, and what awaits.

A public install (what students and their CI have) holds each lab's recordings (``recorded/<flavour>.json``,
written by ``grader record``). A public check is judged on its recorded calls, with the grader's numerics
replaced by the recorded values; a hidden check whose recording was made on public stand-in data is shown
(and any check whose verdict rests on hidden labels, such as a metric against a calibrated threshold)
as a clearly labelled preview, its points pending; everything else is reported as ``skipped``: its points
await the graded run with the private course.

Students read these messages: they say that a check awaits the graded run and why in the student's terms (what
the check needs that a student's install does not have), never the grader's internal names; why a check could
not be recorded, with those names, is what ``grader record`` tells the teaching staff.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from grader.course.spec import CheckSpec, Lab
from grader.course.standin import public_hidden_dir
from grader.judging.checks import registry
from grader.judging.checks.base import CheckContext, CheckKind, Plan
from grader.judging.recorded import FORMAT_VERSION, RecordedCheck, read_recording, replaying
from grader.reports.report import PASSED, SKIPPED, CheckResult

AWAITS = "awaits the graded run"
PREVIEW = "preview on public data, not your grade"
# why a check cannot be judged here, in a student's words, by how the reason recorded for it begins
# (grader/authoring/record.py writes these reasons; the default covers a check with no recording at all)
FROM_YOUR_ANSWERS = ("its expected values are computed from what your code returns, which only the graded run "
                     "can do")
_REASONS = (
    ("judging it needs the private course", FROM_YOUR_ANSWERS),
    ("it cannot be planned on public data", "its inputs are hidden data"),
    ("its expected values cannot be recorded", "its expected values cannot be shipped with the assignment"),
    ("its recording does not reproduce", "it cannot be judged from the recorded answers"),
)
NEEDS_PRIVATE = "it needs data or code that only the graded run has"
STALE = "the recorded answers for this check are out of date (instructors: run `grader record`)"


def student_reason(why: str) -> str:
    """The reason a check was not recorded (``RecordedCheck.why_not``), in a student's words."""
    return next((reason for start, reason in _REASONS if why.startswith(start)), NEEDS_PRIVATE)


def awaiting(reason: str) -> str:
    """The message of a check left to the graded run."""
    return f"{AWAITS}: {reason}"


class Run(Protocol):
    """What judging a recorded check needs of a grading (:class:`grader.judging.grading.Grading`)."""

    def context(self, check: CheckSpec, seed: int, hidden_dir: Path) -> CheckContext: ...

    def run_check(self, check: CheckSpec, ctx: CheckContext, make_plan: Callable[[CheckKind], Plan],
                  judging: Callable[[], AbstractContextManager[object]]) -> CheckResult: ...


def fingerprint(lab: Lab, framework: str) -> str:
    """What a recording depends on that a public install can see: the checks' spec, the stand-in mapping
    and the public data. A recording with another fingerprint is stale and is not used."""
    digest = hashlib.sha256(f"v{FORMAT_VERSION}:{framework}".encode())
    checks = [[c.id, c.kind, c.points, c.visibility, c.params] for c in lab.checks_for(framework)]
    digest.update(json.dumps([checks, lab.public_standin], sort_keys=True, default=str).encode())
    if lab.public_dir.is_dir():
        for path in sorted(p for p in lab.public_dir.rglob("*") if p.is_file()):
            digest.update(path.relative_to(lab.public_dir).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _skipped(check: CheckSpec, reason: str) -> CheckResult:
    return CheckResult(check.id, check.title, 0.0, check.points, SKIPPED, awaiting(reason),
                       visibility=check.visibility)


class PublicChecks:
    """The recorded checks of one lab and flavour, judged in a grading without the private course."""

    def __init__(self, lab: Lab, framework: str) -> None:
        self.lab = lab
        recorded_for, self.recorded = read_recording(lab.root, framework)
        self.stale = bool(self.recorded) and recorded_for != fingerprint(lab, framework)
        self.hidden_dir = public_hidden_dir(lab)

    def judge(self, run: Run, check: CheckSpec) -> CheckResult:
        entry = self.recorded.get(check.id)
        if self.stale:
            return _skipped(check, STALE)
        if entry is None:
            return _skipped(check, NEEDS_PRIVATE)
        if entry.why_not:
            return _skipped(check, student_reason(entry.why_not))
        result = self._judge_recorded(run, check, entry)
        return preview(result) if check.visibility == "hidden" or registry.get(check.kind).preview_only else result

    def _judge_recorded(self, run: Run, check: CheckSpec, entry: RecordedCheck) -> CheckResult:
        ctx = run.context(check, entry.seed, self.hidden_dir)
        plan = Plan(entry.calls or [], entry.state)
        return run.run_check(check, ctx, lambda kind: plan, lambda: replaying(entry.table))


def preview(result: CheckResult) -> CheckResult:
    """A hidden check judged on public stand-in data: shown with what it found, its points pending."""
    if result.status == SKIPPED:
        return result
    outcome = "it would pass" if result.status == PASSED else "it would not pass"
    result.message = f"{PREVIEW}: {outcome} here; the graded run judges it on hidden data. {result.message}"
    result.status, result.score, result.visibility = SKIPPED, 0.0, "public"
    return result
