"""The recorded expectations a public install judges with: current, complete, and they judge as the private
course does (replayed on the reference's recorded answers, without a kernel and without the numerics)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from grader.course.labs import lab_ids, load_lab
from grader.course.standin import public_hidden_dir
from grader.judging.checks import registry
from grader.judging.checks.base import CheckContext, Plan
from grader.judging.public_checks import fingerprint
from grader.judging.recorded import map_leaves, read_recording, replaying
from grader.kernel.probing import CallResult

FLAVOURS = [(lab, framework) for lab in lab_ids() for framework in load_lab(lab).flavours]
# kinds whose answers are values compared with expected ones: any change of the values must fail them
VALUE_KINDS = {"cell_step", "run_sequence", "make_windows", "reshape_windows", "naive_forecast", "global_norm",
               "clip_by_global_norm", "clip_by_value", "masked_loss", "prepare_sequences", "count_params"}


def _context(lab, framework, check, seed):
    """As a grading without the private course builds it (grader.judging.grading.Grading.context)."""
    hidden = public_hidden_dir(lab)
    return CheckContext(framework, np.random.default_rng([seed, zlib.crc32(check.id.encode())]), hidden, lab.id,
                        int(seed))


def _replay(lab, framework, check, entry, answers):
    kind = registry.get(check.kind)
    ctx = _context(lab, framework, check, entry.seed)
    with replaying(entry.table):
        return kind.judge(check.params, ctx, Plan(entry.calls, entry.state), answers)


def _shifted(value):
    def shift(leaf):
        numeric = isinstance(leaf, np.ndarray) and leaf.dtype.kind in "fiu" or (
            isinstance(leaf, (int, float)) and not isinstance(leaf, bool))
        return leaf + 1 if numeric else leaf
    return map_leaves(value, shift)


@pytest.mark.parametrize("lab_id, framework", FLAVOURS)
def test_every_flavour_has_a_current_recording(lab_id, framework):
    lab = load_lab(lab_id)
    recorded_for, checks = read_recording(lab.root, framework)
    assert checks, f"no recording: run `grader record {lab_id}`"
    assert recorded_for == fingerprint(lab, framework), f"stale recording: run `grader record {lab_id}`"
    assert set(checks) == {c.id for c in lab.checks_for(framework)}
    assert any(not e.why_not for e in checks.values())


@pytest.mark.parametrize("lab_id, framework", FLAVOURS)
def test_recordings_replay_to_the_references_verdict_and_can_fail(lab_id, framework):
    lab = load_lab(lab_id)
    _, recorded = read_recording(lab.root, framework)
    replayed = 0
    for check in lab.checks_for(framework):
        entry = recorded[check.id]
        if entry.why_not:
            continue
        verdict = _replay(lab, framework, check, entry, entry.answers)
        if check.visibility == "public":
            assert verdict.passed, f"{check.id}: {verdict.message}"
        replayed += 1
        if check.kind in VALUE_KINDS:
            wrong = {key: CallResult(r.ok, _shifted(r.value), r.error) for key, r in entry.answers.items()}
            verdict = _replay(lab, framework, check, entry, wrong)
            assert not verdict.passed and verdict.message, f"{check.id} passes shifted values"
    assert replayed
