"""``grader record``: the recorded expectations a public install judges the public checks with.

For each flavour the reference notebook runs once in a kernel. Every check is planned with a fixed seed on
public data (the lab's public stand-in where it reads hidden data), the reference is called, and the check is
judged with the grader's numerics recording what they return (:mod:`grader.judging.recorded`), then again with
common wrong answers so that the diagnoses' expected values are recorded too. The recording is then proven:
judged from the recording alone, the reference's answers must get the same verdict, and the same answers
moved by one unit in the last place must still be judged without the numerics. A check that fails this (its
judgement computes from the student's own values, or its plan cannot be kept) is written down as not
recordable, with the reason: a public install then reports it as awaiting the graded run.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from grader.course.notebook import read_notebook
from grader.course.spec import CheckSpec, Lab
from grader.course.standin import public_hidden_dir
from grader.errors import GraderError
from grader.judging.checks import registry
from grader.judging.grading import Grading
from grader.judging.public_checks import fingerprint
from grader.judging.recorded import (
    NotRecorded,
    RecordedCheck,
    Table,
    encode,
    map_leaves,
    recording,
    replaying,
    write_recording,
)
from grader.kernel.probing import CallResult, probe

RECORD_SEED = 20261201


def record_lab(lab: Lab, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Record every check of ``lab`` in every flavour; returns the files written."""
    say = progress or (lambda message: None)
    written: list[Path] = []
    hidden_dir = public_hidden_dir(lab)
    for framework, flavour in lab.flavours.items():
        say(f"{framework}: running the reference")
        with Grading(lab, framework, RECORD_SEED, progress) as run:
            if run.course != "private":
                raise GraderError("recording needs the private course (reference notebooks, numerics)")
            events = run.execute(read_notebook(flavour.reference), flavour.reference.name)
            if events:
                raise GraderError(f"{flavour.reference}: cell {events[0].index + 1} {events[0].status}: "
                                  f"{events[0].message}")
            entries = [record_check(run, check, hidden_dir) for check in lab.checks_for(framework)]
        for entry in entries:
            say(f"{framework}: {entry.check_id}: " + ("recorded" if not entry.why_not else entry.why_not))
        written += write_recording(lab.root, framework, fingerprint(lab, framework), entries)
    return written


def record_check(run: Grading, check: CheckSpec, hidden_dir: Path) -> RecordedCheck:
    """Plan ``check`` on public data, call the reference, judge while recording, prove the recording."""
    assert run.session is not None
    kind = registry.get(check.kind)
    not_recorded = RecordedCheck(check.id, None, {}, Table(), RECORD_SEED)
    ctx = run.context(check, RECORD_SEED, hidden_dir)
    try:
        plan = kind.plan(check.params, ctx)
        encode(plan.calls, {}), encode(plan.state, {})
    except Exception as exc:  # noqa: BLE001 - what cannot be planned on public data awaits the private run
        not_recorded.why_not = f"it cannot be planned on public data ({type(exc).__name__}: {exc})"
        return not_recorded
    results = probe(run.session, plan.calls, ["harness", run.framework.adapter, *kind.kernel_modules],
                    run.lab.limits.probe_timeout)
    table = Table()
    kept = copy.deepcopy(plan)
    with recording(table):
        verdict = kind.judge(check.params, run.context(check, RECORD_SEED, hidden_dir), plan, results)
    if check.visibility == "public" and not verdict.passed:
        raise GraderError(f"{check.id}: the {run.framework.name} reference fails this check on public data: "
                          f"{verdict.message}")
    for variant in _wrong_variants(results):
        # wrong answers walk the judgement's diagnoses, whose expected values (on the plan's inputs) are then
        # recorded too: a public install can still say "that is clipping by value" and the like
        try:
            with recording(table):
                kind.judge(check.params, run.context(check, RECORD_SEED, hidden_dir), copy.deepcopy(kept), variant)
        except Exception:  # noqa: BLE001, S112 - a judgement that breaks on nonsense answers records nothing more
            continue
    try:
        encode(table.calls, {}), encode(table.constants, {})
    except TypeError as exc:
        not_recorded.why_not = f"its expected values cannot be recorded ({exc})"
        return not_recorded
    for answers, same_verdict in ((results, True), (_nudged(results), False)):
        # the reference's own answers must give its verdict again; answers a correct student could give (one
        # ulp away) must still be judged from the recording alone (an exact check may then fail them)
        try:
            with replaying(table):
                again = kind.judge(check.params, run.context(check, RECORD_SEED, hidden_dir), copy.deepcopy(kept),
                                   answers)
        except NotRecorded as exc:
            not_recorded.why_not = f"judging it needs the private course ({exc})"
            return not_recorded
        if same_verdict and again.passed != verdict.passed:
            not_recorded.why_not = "its recording does not reproduce the reference's verdict"
            return not_recorded
    return RecordedCheck(check.id, kept.calls, kept.state, table, RECORD_SEED, answers=results)


def _wrong_variants(results: dict[str, CallResult]) -> list[dict[str, CallResult]]:
    """The answers shifted by one, zeroed and negated: the shapes of common wrong answers."""
    return [_changed(results, lambda leaf, change=change: change(leaf) if _is_number(leaf) else leaf)
            for change in (lambda a: a + 1, lambda a: a * 0, lambda a: -a)]


def _nudged(results: dict[str, CallResult]) -> dict[str, CallResult]:
    """Floats that are not whole numbers moved by one unit in the last place (mask values, counts and exact
    zeros kept): a correct student's values differ from the reference's by at least that much."""
    return _changed(results, _nudge)


def _changed(results: dict[str, CallResult], change: Callable[[Any], Any]) -> dict[str, CallResult]:
    return {key: CallResult(r.ok, map_leaves(r.value, change), r.error) for key, r in results.items()}


def _is_number(leaf: Any) -> bool:
    if isinstance(leaf, np.ndarray):
        return leaf.dtype.kind in "fiu"
    return isinstance(leaf, (int, float)) and not isinstance(leaf, bool)


def _nudge(leaf: Any) -> Any:
    if isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f":
        return np.where(leaf != np.round(leaf), np.nextafter(leaf, np.inf), leaf).astype(leaf.dtype)
    if isinstance(leaf, float) and leaf != round(leaf):
        return float(np.nextafter(leaf, np.inf))
    return leaf
