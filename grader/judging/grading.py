"""Grading one notebook: run it in a fresh kernel, then judge every check of its lab.

The kernel starts first: NumPy, the check kinds, the probing and the public checks' recordings, which only
judging needs, are imported and read while it starts (:meth:`Grading.prepare`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat

from grader.course import frameworks
from grader.course.labs import load_lab
from grader.course.notebook import identify, mismatch_warnings, read_notebook
from grader.course.paths import private_root
from grader.course.spec import CheckSpec
from grader.errors import GraderError, InputError, ProbeError
from grader.kernel import sandbox
from grader.kernel.notebook_run import NotebookRun, Prestart, Progress
from grader.reports.report import ERROR, FAILED, PASSED, SKIPPED, CheckResult, Report

if TYPE_CHECKING:
    from grader.judging.checks.base import CheckContext, CheckKind, Plan
    from grader.judging.public_checks import PublicChecks

PRIVATE, PUBLIC = "private", "public"


class Grading(NotebookRun):
    """A notebook of one lab running in its own kernel, ready to be judged (possibly several times)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # with the private course the checks are planned afresh; without it they come from their recordings
        self.course = PRIVATE if private_root() is not None else PUBLIC
        self._public: PublicChecks | None = None

    # -- judging -----------------------------------------------------------------------------
    def prepare(self) -> None:
        """Import NumPy, the check kinds and the probing, and read the public checks' recordings: what judging
        needs and the kernel's start does not, done while the kernel starts (or at the first check)."""
        import numpy  # noqa: F401 - imported ahead of the first check, as the rest

        from grader.judging.checks import registry  # noqa: F401
        from grader.kernel.probing import probe  # noqa: F401

        if self.course == PUBLIC and self._public is None:
            from grader.judging.public_checks import PublicChecks

            self._public = PublicChecks(self.lab, self.framework.name)

    def judge(self, only: set[str] | None = None) -> list[CheckResult]:
        assert self.session is not None, "execute() first"
        return [self.judge_check(check) for check in self.lab.checks_for(self.framework.name)
                if only is None or check.id in only]

    def judge_check(self, check: CheckSpec) -> CheckResult:
        """Judge one check: planned afresh with the private course, from its recording without it."""
        if self.course == PUBLIC:
            self.prepare()
            return self._public.judge(self, check)
        ctx = self.context(check, self.seed, self.lab.hidden_dir)
        return self.run_check(check, ctx, lambda kind: kind.plan(check.params, ctx))

    def context(self, check: CheckSpec, seed: int, hidden_dir: Path) -> CheckContext:
        """What a check may know: the flavour, randomness of its own (seed and check id), the lab's data."""
        import numpy as np

        from grader.judging.checks.base import CheckContext

        return CheckContext(
            framework=self.framework.name,
            rng=np.random.default_rng([seed, zlib.crc32(check.id.encode())]),
            hidden_dir=hidden_dir,
            lab_id=self.lab.id,
            seed=int(seed),
        )

    def run_check(self, check: CheckSpec, ctx: CheckContext, make_plan: Callable[[CheckKind], Plan],
                  judging: Callable[[], AbstractContextManager[object]] = nullcontext) -> CheckResult:
        """Plan, call the student's code in the kernel, judge (inside ``judging``); never raises."""
        from grader.judging.checks import registry
        from grader.judging.public_checks import FROM_YOUR_ANSWERS, awaiting
        from grader.judging.recorded import NotRecorded
        from grader.kernel.probing import probe

        assert self.session is not None
        self.progress(f"check {check.id}")
        started = time.monotonic()
        kind = registry.get(check.kind)
        result = CheckResult(check.id, check.title, 0.0, check.points, FAILED, visibility=check.visibility)
        try:
            plan = make_plan(kind)
            modules = ["harness", self.framework.adapter, *kind.kernel_modules]
            results = probe(self.session, plan.calls, modules, self.lab.limits.probe_timeout)
            with judging():
                verdict = kind.judge(check.params, ctx, plan, results)
        except ProbeError as exc:
            result.status, result.message = ERROR, str(exc)
        except NotRecorded:  # which value was missing is for the teaching staff (grader record), not students
            result.status = SKIPPED
            result.message = awaiting(FROM_YOUR_ANSWERS)
        except Exception as exc:  # noqa: BLE001 - a bug in a check must not lose the other checks
            self.internal_errors.append(f"{check.id}: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            result.status, result.message = ERROR, f"internal grader error in this check ({type(exc).__name__}: {exc})"
        else:
            result.status = PASSED if verdict.passed else FAILED
            result.message = verdict.message
            result.score = check.points if verdict.passed else 0.0
            result.details = dict(verdict.details)
        result.seconds = time.monotonic() - started
        return result

def grade(
    notebook: str | Path,
    lab: str | None = None,
    framework: str | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    cell_timeout: float | None = None,
    notebook_timeout: float | None = None,
    executed_path: str | Path | None = None,
    use_sandbox: bool | None = None,
    total_timeout: float | None = None,
    require_sandbox: bool = False,
    hard_deadline: bool = False,
    started_ahead: Callable[[], None] | None = None,
) -> Report:
    """Grade one notebook and return its :class:`Report`.

    ``lab`` and ``framework`` default to the notebook's metadata (``metadata.grader``); the
    framework can also be recognised from the notebook's imports. Raises :class:`InputError` for
    input that cannot be graded; everything the student's code does becomes part of the report.
    ``cell_timeout`` and ``notebook_timeout`` (seconds) override the lab's limits. With
    ``executed_path`` the notebook is also written there with the outputs of this run, once the
    kernel and all its processes are dead. ``use_sandbox`` (None: where it can start) picks the
    isolation, which the report records; ``total_timeout`` bounds the whole grading (default: the
    notebook's time, every check's time and a margin), after which the kernel is killed and what is
    left is reported as not run. With ``require_sandbox``, a machine where the sandbox cannot start
    raises :class:`grader.kernel.sandbox.SandboxUnavailable` before any student code runs. ``hard_deadline``
    (for a command-line process only) ends the whole process with exit status 3 if grading has not
    returned a minute after ``total_timeout``, whatever holds it up.

    With ``started_ahead``, the kernel is started (its framework imported) and then ``started_ahead()`` is
    called, which returns when the grading should go on (``grader batch --sequential`` starts the next
    submission's grading while the current one is judged); the grading's time, and its deadlines, count from
    then. The kernel has run nothing but the grader's set-up code before it.
    """
    path = Path(notebook)
    # with the lab and the flavour given, the kernel starts before the notebook is read (and while it is)
    nb = None if lab and framework and path.is_file() else read_notebook(path)
    lab_id, framework_name = (lab, framework) if nb is None else identify(nb, lab, framework)
    if lab_id is None:
        raise InputError(f"{path}: the notebook does not say which lab it is; pass --lab")
    spec = load_lab(lab_id)
    overrides = {"cell_timeout": cell_timeout, "notebook_timeout": notebook_timeout}
    spec = replace(spec, limits=replace(spec.limits, **{k: v for k, v in overrides.items() if v is not None}))
    if framework_name is None:
        raise InputError(f"{path}: cannot tell the framework of this notebook; pass --framework keras|torch")
    frameworks.get(framework_name)
    if require_sandbox:
        isolation, reason = sandbox.choose(use_sandbox)
        if isolation == sandbox.NONE:
            raise sandbox.SandboxUnavailable(f"the kernel sandbox cannot start here ({reason}); pass --no-sandbox "
                                             "to grade without it")
    if total_timeout is None:
        limits = spec.limits
        total_timeout = 180 + limits.notebook_timeout + limits.probe_timeout * len(spec.checks_for(framework_name))
    guard: _HardStop | None = None
    with Grading(spec, framework_name, seed, progress, use_sandbox) as run:

        def start_clock() -> float:
            nonlocal guard
            run.set_deadline(time.monotonic() + total_timeout)
            if hard_deadline:
                guard = _HardStop(total_timeout + HARD_STOP_GRACE)
                guard.watch(run)
            return time.monotonic()

        started = start_clock() if started_ahead is None else 0.0
        ahead = Prestart(run)  # the kernel starts while the notebook is read and what judging needs made ready
        try:
            if nb is None:
                nb = read_notebook(path)
            run.prepare()
        except BaseException:
            ahead.discard()  # once its start has ended: a kernel is never closed while it starts
            raise
        ahead.take()
        if started_ahead is not None:
            started_ahead()
            started = start_clock()
        events = run.execute(nb, path.name)
        executed = time.monotonic()
        checks = run.judge()
        report = Report(spec.id, framework_name, str(path), checks, events, run.seed)
        report.warnings.extend(mismatch_warnings(nb, spec.id, framework_name))
        report.execution_seconds = executed - started
        report.grading_seconds = time.monotonic() - executed
        if run.session is not None and run.session.restarts:
            report.notes.append(f"the kernel was restarted {run.session.restarts} time(s)")
        report.internal_errors = run.internal_errors
        report.sandbox = run.isolation
        report.course = run.course
        if run.isolation == sandbox.NONE:
            report.notes.append(f"sandbox: none ({run.sandbox_reason})")
        report.notes.extend(run.box.notes)
        if run.session is not None and run.session.budget.dropped:
            budget = run.session.budget
            report.notes.append(f"the output of {len(budget.dropped)} cell(s) was cut: at most {budget.per_cell} bytes "
                                f"per cell and {budget.total} per notebook are kept")
        if run.session is not None and run.session.expired:
            report.notes.append(f"the grading ran past its overall deadline of {total_timeout:.0f} s and was stopped")
    if guard is not None:
        guard.cancel()
    # written only now that the kernel and every process it started are dead
    report.notes.extend(f"cleanup: {problem}" for problem in run.cleanup_problems)
    if executed_path is not None and run.executed is not None:
        Path(executed_path).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(run.executed, executed_path)
    return report


HARD_STOP_GRACE = 60.0


class _HardStop:
    """The last resort of ``grader check``: past its time, clean up what can be and end the process (exit 3)."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.run = seconds, None
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, run: Grading) -> None:
        self.run = run

    def cancel(self) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        sys.stderr.write(f"error: the grader did not finish within {self.seconds:.0f} s; stopping it\n")
        if self.run is not None:
            closer = threading.Thread(target=self.run.close, daemon=True)
            closer.start()
            closer.join(15)
        os._exit(3)


def unusable_report(notebook: str | Path, message: str, lab: str | None = None, framework: str | None = None) -> Report:
    """The report of a submission that could not be graded: every check of the lab (if known) at zero."""
    report = Report(lab or "unknown", framework or "unknown", str(notebook))
    report.notes.append(f"not graded: {message}")
    try:
        spec = load_lab(lab) if lab else None
    except GraderError:
        spec = None
    if spec is None:
        return report
    if framework in spec.flavours:
        checks = spec.checks_for(framework)
    elif len({spec.max_score(name) for name in spec.flavours}) == 1:
        # the flavour is unknown but every flavour is worth the same: zero on the first flavour's checks, so
        # that the gradebook's max_score is the lab's and not 0
        first = next(iter(spec.flavours))
        checks = spec.checks_for(first)
        report.notes.append(f"the flavour could not be told: scored against the {first} flavour's checks")
    else:
        checks = []
    report.checks = [
        CheckResult(check.id, check.title, 0.0, check.points, FAILED, f"not graded: {message}",
                     visibility=check.visibility)
        for check in checks
    ]
    return report
