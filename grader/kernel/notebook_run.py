"""A notebook of one lab run cell by cell in a fresh, sandboxed kernel, with the lab's limits.

What grading a student (:class:`grader.judging.grading.Grading`) and asking the reference notebook for its
answers (:mod:`grader.judging.oracle_runner`) have in common: the scratch with the lab's public files, the
kernel session in the sandbox, each cell under its timeout, snapshots of the notebook's names, and the
cleanup that never raises.
"""

from __future__ import annotations

import copy
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from typing import Any

import nbformat

from grader.course import frameworks
from grader.course.notebook import code_cells
from grader.errors import InputError, KernelError
from grader.kernel import sandbox
from grader.kernel.execute import KernelSession
from grader.reports.report import CellEvent

KERNEL_SEED = 1234
Progress = Callable[[str], None]


class NotebookRun:
    """A notebook of one lab running in its own sandboxed kernel: the lab's limits, its public files, one session."""

    def __init__(self, lab: Any, framework: str, seed: int | None = None, progress: Progress | None = None,
                 use_sandbox: bool | None = None, deadline: float | None = None,
                 sandbox_limits: sandbox.SandboxLimits | None = None) -> None:
        """``use_sandbox``: None uses bubblewrap where it can start, False never; ``deadline``: a
        ``time.monotonic()`` past which every kernel is killed and nothing more runs."""
        if framework not in lab.flavours:
            raise InputError(f"lab {lab.id} has no {framework!r} flavour (it has: {', '.join(lab.flavours)})")
        self.lab, self.framework = lab, frameworks.get(framework)
        self.seed = secrets.randbelow(2**31) if seed is None else int(seed)
        self.progress = progress or (lambda message: None)
        self.internal_errors: list[str] = []
        self.isolation, self.sandbox_reason = sandbox.choose(use_sandbox)
        self.box = sandbox.Sandbox(self.isolation, sandbox_limits or sandbox.SandboxLimits())
        self.workdir = self.box.scratch
        self.deadline = deadline
        self.cleanup_problems: list[str] = []
        self.session: KernelSession | None = None
        self.executed: nbformat.NotebookNode | None = None
        self.closed = threading.Event()

    def set_deadline(self, deadline: float) -> None:
        """Kill every kernel at ``deadline`` (``time.monotonic()``), the one running now included."""
        self.deadline = deadline
        if self.session is not None:
            self.session.set_deadline(deadline)

    # -- running the notebook --------------------------------------------------------------------
    def _prepare_workdir(self, nb: nbformat.NotebookNode, name: str) -> None:
        if self.lab.public_dir.is_dir():
            shutil.copytree(self.lab.public_dir, self.workdir, dirs_exist_ok=True)
        nbformat.write(nb, self.workdir / name)
        self.box.give_tree(self.workdir)

    def start_kernel(self) -> None:
        """Start this run's kernel and import its framework, before any notebook is known.

        What the kernel runs before :meth:`execute` is the grader's set-up code only, so that a kernel may be
        started ahead (:class:`Prestart`) while another run is judged; the lab's files and the notebook are
        written into the scratch afterwards, before any of the notebook's code runs.
        """
        if self.session is not None:
            return
        limits = self.lab.limits
        self.session = KernelSession(
            self.workdir,
            env=self.framework.environment(limits.threads),
            setup_code=self.framework.setup_code(KERNEL_SEED, limits.threads),
            memory_mb=limits.memory_mb,
            replay_timeout=limits.cell_timeout,
            sandbox=self.box if self.box.sandboxed else None,
            deadline=self.deadline,
        )
        self.progress(f"starting kernel (sandbox: {self.isolation})")
        self.session.start()

    def execute(self, nb: nbformat.NotebookNode, name: str = "submission.ipynb") -> list[CellEvent]:
        limits = self.lab.limits
        self.start_kernel()
        self._prepare_workdir(nb, name)
        deadline = time.monotonic() + limits.notebook_timeout
        events: list[CellEvent] = []
        self.executed = copy.deepcopy(nb)
        cells = code_cells(nb)
        for position, (index, source) in enumerate(cells):
            remaining = deadline - time.monotonic()
            if remaining <= 1:
                events.extend(CellEvent(i, "skipped", f"not run: the notebook used up its {limits.notebook_timeout:.0f} s")
                              for i, _ in cells[position:])
                break
            self.progress(f"cell {index + 1}/{len(nb.cells)}")
            outcome = self.session.run_student_cell(source, min(limits.cell_timeout, remaining))
            self.executed.cells[index].outputs = outcome.outputs
            self.executed.cells[index].execution_count = position + 1
            if outcome.status != "ok":
                events.append(CellEvent(index, outcome.status, outcome.message))
        return events

    def run_extra_cell(self, source: str) -> str:
        """Run one more cell after the notebook (a wrong solution appended to a reference); returns its status."""
        assert self.session is not None
        return self.session.run_student_cell(source, self.lab.limits.cell_timeout, replay=False).status

    # -- namespace snapshots (wrong solutions judged in one kernel) ----------------------------
    def snapshot(self) -> None:
        assert self.session is not None
        self.session.run_code("__grader_saved__ = dict(globals())", timeout=30)

    def restore(self) -> None:
        """Put back the names saved by :meth:`snapshot`; raises if the kernel could not do it."""
        assert self.session is not None
        outcome = self.session.run_code(
            "for __k in [k for k in globals() if k not in __grader_saved__ and k != '__grader_saved__']:\n"
            "    del globals()[__k]\n"
            "globals().update(__grader_saved__)\n",
            timeout=30,
        )
        if outcome.status != "ok":
            raise KernelError(f"could not restore the notebook's names: {outcome.message}")

    def close(self) -> None:
        """Kill the kernel and every process it started, then remove the scratch; never raises."""
        try:
            if self.session is not None:
                self.session.close()
                self.session = None
        finally:
            self.cleanup_problems += self.box.cleanup()
            self.closed.set()

    def __enter__(self) -> NotebookRun:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Prestart:
    """A run's kernel started in a background thread (framework imported) while this thread does other work:
    the next run's while the current one is judged (``grader validate``), or a grading's own while what
    judging needs is made ready (:func:`grader.judging.grading.grade`).

    Every kernel still serves one notebook only: :meth:`take` hands over a run whose kernel has run nothing but
    the grader's set-up code; :meth:`discard` closes one that is not wanted. A start that failed is raised by
    :meth:`take`, as :meth:`NotebookRun.execute` would have raised it.
    """

    def __init__(self, run: NotebookRun) -> None:
        self.run = run
        self._error: BaseException | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._start, name="grader-prestart", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            self.run.start_kernel()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever takes the run
            self._error = exc
        self._started.set()
        # the kernel dies with the thread that started it (bubblewrap's --die-with-parent is the thread's
        # parent-death signal): this thread lives until the run is closed
        self.run.closed.wait()

    def take(self) -> NotebookRun:
        self._started.wait()
        if self._error is not None:
            self.run.close()
            raise self._error
        return self.run

    def discard(self) -> None:
        self._started.wait()
        self.run.close()
