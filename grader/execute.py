"""Running a notebook in a fresh Jupyter kernel, cell by cell, with time and memory limits.

A cell that raises or runs past its time limit is recorded and execution goes on with the next one.
A kernel that dies (or ignores the interrupt after a timeout, or exceeds the memory limit) is
replaced by a new one in which the cells that had run fine are replayed, so that the checks still
see the student's functions.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from grader.errors import KernelError
from grader.process_tree import kill_all

_TIMEOUT_ENAME = "GraderCellTimeout"
_GRACE_SECONDS = 10.0


@dataclass
class CellOutcome:
    status: str  # ok | error | timeout | kernel-died | memory | skipped
    message: str = ""
    seconds: float = 0.0
    outputs: list = field(default_factory=list)


class _MemoryWatch(threading.Thread):
    """Kills the kernel process tree when its resident memory passes the limit."""

    def __init__(self, pid: int, limit_mb: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.limit = pid, limit_mb * 1024 * 1024
        self.tripped = False
        self._stop_event = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop_event.wait(0.25):
            try:
                procs = [root, *root.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in procs)
            except psutil.Error:
                return
            if rss > self.limit:
                self.tripped = True
                kill_all(reversed(procs))
                return

    def stop(self) -> None:
        self._stop_event.set()


class KernelSession:
    """One notebook's kernel: start, run setup code, run cells with limits, recover, shut down."""

    def __init__(
        self,
        workdir: Path,
        env: dict[str, str],
        setup_code: str,
        memory_mb: int | None = None,
        replay_timeout: float = 120.0,
        kernel_name: str = "python3",
    ) -> None:
        self.workdir = Path(workdir)
        self.env = {**os.environ, **env}
        self.setup_code = setup_code
        self.memory_mb = memory_mb
        self.replay_timeout = replay_timeout
        self.kernel_name = kernel_name
        self._log = nbformat.v4.new_notebook()
        self._client: NotebookClient | None = None
        self._watch: _MemoryWatch | None = None
        self._replay: list[str] = []  # sources of cells that ran fine, in order
        self._last_reply: dict = {}
        self.restarts = 0

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        self._client = NotebookClient(
            self._log,
            kernel_name=self.kernel_name,
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": _TIMEOUT_ENAME, "evalue": "time limit", "traceback": []},
            shutdown_kernel="immediate",
            startup_timeout=120,
            iopub_timeout=4,
            record_timing=False,
            on_cell_executed=self._remember_reply,
        )
        try:
            self._client.create_kernel_manager()
            # the kernel's own stderr (start-up warnings) is not the student's output, which comes over iopub
            self._client.start_new_kernel(cwd=str(self.workdir), env=self.env, stderr=subprocess.DEVNULL)
            self._client.start_new_kernel_client()
        except Exception as exc:  # noqa: BLE001 - any failure to start is the grader's problem
            raise KernelError(f"could not start a Jupyter kernel: {exc}") from exc
        if self.memory_mb:
            pid = getattr(self._client.km.provisioner, "pid", None)
            if pid:
                self._watch = _MemoryWatch(pid, self.memory_mb)
                self._watch.start()
        outcome = self.run_code(self.setup_code, timeout=300)
        if outcome.status != "ok":
            raise KernelError(f"the kernel's setup code failed: {outcome.message}")

    def _remember_reply(self, cell: object = None, cell_index: int = 0, execute_reply: dict | None = None) -> None:
        self._last_reply = (execute_reply or {}).get("content", {}) or {}

    def shutdown(self) -> None:
        if self._watch:
            self._watch.stop()
            self._watch = None
        if self._client is not None and self._client.km is not None:
            try:
                self._client._cleanup_kernel()
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        self._client = None

    def __enter__(self) -> KernelSession:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    # -- running code ---------------------------------------------------------------------------
    def run_code(self, source: str, timeout: float) -> CellOutcome:
        """Run one piece of code; never raises for what the code does."""
        assert self._client is not None, "session not started"
        cell = nbformat.v4.new_code_cell(source)
        self._log.cells.append(cell)
        index = len(self._log.cells) - 1
        self._client.timeout = max(1, int(round(timeout)))
        self._last_reply = {}
        started = time.monotonic()
        try:
            self._client.execute_cell(cell, index)
        except DeadKernelError:
            seconds = time.monotonic() - started
            if self._watch and self._watch.tripped:
                return CellOutcome("memory", f"the kernel passed the memory limit of {self.memory_mb} MiB "
                                   "and was stopped", seconds)
            return CellOutcome("kernel-died", "the kernel died while running this cell", seconds)
        except CellTimeoutError:
            return CellOutcome("timeout", f"ran longer than {timeout:.0f} s", time.monotonic() - started)
        seconds = time.monotonic() - started
        outputs = list(cell.get("outputs", []))
        if self._last_reply.get("ename") == _TIMEOUT_ENAME:
            # nbclient's own reply after interrupting: the code may have swallowed the interrupt
            return CellOutcome("timeout", f"ran longer than {timeout:.0f} s and was interrupted", seconds, outputs)
        errors = [out for out in outputs if out.get("output_type") == "error"]
        if errors:
            error = errors[-1]
            if error.get("ename") == _TIMEOUT_ENAME:
                return CellOutcome("timeout", f"ran longer than {timeout:.0f} s and was interrupted",
                                   seconds, outputs)
            return CellOutcome("error", f"{error.get('ename')}: {error.get('evalue', '')}"[:500], seconds, outputs)
        return CellOutcome("ok", "", seconds, outputs)

    def responsive(self, timeout: float = _GRACE_SECONDS) -> bool:
        return self.run_code("pass", timeout).status == "ok"

    def run_student_cell(self, source: str, timeout: float, replay: bool = True) -> CellOutcome:
        """Run a cell of the student's notebook; keep the kernel usable whatever it does.

        A cell that ran fine is replayed after a restart unless ``replay`` is false.
        """
        outcome = self.run_code(source, timeout)
        if outcome.status == "ok" and replay:
            self._replay.append(source)
        elif outcome.status == "timeout" and not self.responsive():
            outcome.message += "; the kernel ignored the interrupt and was restarted"
            self.recover()
        elif outcome.status in ("kernel-died", "memory"):
            self.recover()
        return outcome

    def recover(self) -> None:
        """Replace a dead or stuck kernel and replay the student cells that had run fine."""
        self.shutdown()
        self.restarts += 1
        self.start()
        for source in self._replay:
            self.run_code(source, timeout=self.replay_timeout)
