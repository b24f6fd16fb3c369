"""Checks where the private course is not installed: recorded expectations, previews, and what awaits.

A public install (what students and their CI have) holds each lab's recordings (``recorded/<flavour>.json``,
written by ``grader record``). A public check is judged on its recorded calls, with the grader's numerics
replaced by the recorded values; a hidden check whose recording was made on public stand-in data is shown
(and any check whose verdict rests on hidden labels, such as a metric against a calibrated threshold)
as a clearly labelled preview, its points pending; everything else is reported as ``skipped``: its points
await the graded run with the private course.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from grader.checks import registry
from grader.checks.base import CheckContext, CheckKind, Plan
from grader.recorded import FORMAT_VERSION, RecordedCheck, read_recording, replaying
from grader.report import PASSED, SKIPPED, CheckResult
from grader.spec import CheckSpec, Lab
from grader.standin import public_hidden_dir

PENDING = "graded by your instructors"


class Run(Protocol):
    """What judging a recorded check needs of a grading (:class:`grader.grading.Grading`)."""

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


def _skipped(check: CheckSpec, why: str) -> CheckResult:
    return CheckResult(check.id, check.title, 0.0, check.points, SKIPPED, f"not run here ({why}): {PENDING}",
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
            return _skipped(check, "its recorded expectations are out of date: run `grader record`")
        if entry is None:
            return _skipped(check, "it needs the private course")
        if entry.why_not:
            return _skipped(check, entry.why_not)
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
    outcome = "would pass" if result.status == PASSED else "would not pass"
    result.message = (f"preview on public data, not your grade ({outcome} there; the real check uses hidden data "
                      f"and is {PENDING}): {result.message}")
    result.status, result.score, result.visibility = SKIPPED, 0.0, "public"
    return result
