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

    # -- running the notebook --------------------------------------------------------------------
    def _prepare_workdir(self, nb: nbformat.NotebookNode, name: str) -> None:
        if self.lab.public_dir.is_dir():
            shutil.copytree(self.lab.public_dir, self.workdir, dirs_exist_ok=True)
        nbformat.write(nb, self.workdir / name)
        self.box.give_tree(self.workdir)

    def execute(self, nb: nbformat.NotebookNode, name: str = "submission.ipynb") -> list[CellEvent]:
        limits = self.lab.limits
        self._prepare_workdir(nb, name)
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

    def __enter__(self) -> NotebookRun:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
