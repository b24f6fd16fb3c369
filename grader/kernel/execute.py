"""Running a notebook in a fresh Jupyter kernel, cell by cell, with time and memory limits.

A cell that raises or runs past its time limit is recorded and execution goes on with the next one.
A kernel that dies (or ignores the interrupt after a timeout, or exceeds the memory limit) is
replaced by a new one in which the cells that had run fine are replayed, so that the checks still
see the student's functions. With a :class:`grader.kernel.sandbox.Sandbox` the kernel runs inside bubblewrap;
either way its environment is an allow-list, its stdout and stderr go nowhere, what it prints is kept
within an :class:`OutputBudget`, and an overall deadline kills it and everything it started.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from grader.errors import KernelError
from grader.kernel.memory import (
    MemoryCgroup,
    Usage,
    enter_ipc_namespace,
    measure,
    sysv_unattached,
    tree_pids,
    upper_bound,
)
from grader.kernel.process_tree import kernel_process, kill_all, process_family, set_limit
from grader.kernel.sandbox import WORKDIR_ON_PATH, safe_path_kernel
from grader.reports.report import cut

if TYPE_CHECKING:
    from grader.kernel.probing import Exchange
    from grader.kernel.sandbox import Sandbox

_TIMEOUT_ENAME = "GraderCellTimeout"
_GRACE_SECONDS = 10.0
# What the grader keeps of what the kernel prints: per cell and per notebook (the rest is dropped, with a note).
CELL_OUTPUT_BYTES = 2 * 1024 * 1024
NOTEBOOK_OUTPUT_BYTES = 20 * 1024 * 1024
# Largest single message accepted from the kernel; a larger one is dropped by ZMQ before it is read in.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


@dataclass
class CellOutcome:
    status: str  # ok | error | timeout | kernel-died | memory | skipped
    message: str = ""
    seconds: float = 0.0
    outputs: list = field(default_factory=list)
    # the code ran to its end, but the kernel's output channel then stopped delivering (see MAX_MESSAGE_BYTES)
    channel_lost: bool = False


class _MemoryWatch(threading.Thread):
    """Stops the kernel's process tree when what it holds passes the limit (see :mod:`grader.kernel.memory`).

    With a :class:`~grader.kernel.memory.MemoryCgroup` the tree is moved into it and the kernel's own memory limit
    holds it (the out-of-memory killer ends the whole cgroup); otherwise the watch samples the tree's unique
    memory, its shared-memory objects and the scratch tmpfs, and kills the tree when their sum passes the limit.
    """

    def __init__(self, pid: int, limit_mb: int, scratch: Path | None = None,
                 cgroup: MemoryCgroup | None = None) -> None:
        super().__init__(daemon=True)
        self.pid, self.limit = pid, limit_mb * 1024 * 1024
        self.scratch, self.cgroup = scratch, cgroup
        self.usage: Usage | None = None  # the sample that passed the limit
        self._tripped = False
        self._stop_event = threading.Event()
        if cgroup is not None:  # before the kernel runs any code: everything it starts is born inside
            cgroup.reset()
            cgroup.add(tree_pids(pid))

    @property
    def tripped(self) -> bool:
        if not self._tripped and self.cgroup is not None and self.cgroup.over_limit():
            self._tripped = True
        return self._tripped

    def describe(self) -> str:
        """What was over the limit, in words."""
        if self.usage is not None:
            return f"it held {self.usage.describe()}"
        if self.cgroup is not None:
            return "the kernel's cgroup memory limit, which counts shared memory and memfd files, was reached"
        return ""

    def run(self) -> None:
        interval = 0.25
        # this thread alone joins the kernel's IPC namespace (when it has one), to see its System V segments
        own_ipc = self.cgroup is None and enter_ipc_namespace(tree_pids(self.pid))
        while not self._stop_event.wait(interval):
            if self.cgroup is not None:
                if self.tripped:
                    kill_all(process_family(self.pid))
                    return
                continue
            started = time.monotonic()
            # System V segments nobody attached: no descriptor or mapping shows them
            sysv, count = sysv_unattached(creators=None if own_ipc else set(tree_pids(self.pid)))
            usage = upper_bound(self.pid, self.scratch)  # cheap; PSS (a walk of every page table) only when needed
            if usage.total + sysv > self.limit:
                usage = measure(self.pid, self.scratch)
            usage.shared, usage.objects = usage.shared + sysv, usage.objects + count
            # a tree of hundreds of processes takes a while to read: never more than a tenth of a core
            interval = max(0.25, 10 * (time.monotonic() - started))
            if usage.processes == 0:
                return
            if usage.total > self.limit:
                self.usage, self._tripped = usage, True
                kill_all(process_family(self.pid))
                return

    def stop(self) -> None:
        self._stop_event.set()


def _output_size(out: Any) -> int:
    """Bytes an output cell holds (text and every MIME bundle), roughly."""
    size = len(str(out.get("text", ""))) + len(str(out.get("evalue", "")))
    size += sum(len(str(line)) for line in out.get("traceback", []) or [])
    for value in (out.get("data") or {}).values():
        size += len(value) if isinstance(value, str) else len(str(value))
    return size


class OutputBudget:
    """How much output has been kept, per cell and in total; output past either cap is dropped."""

    def __init__(self, per_cell: int = CELL_OUTPUT_BYTES, total: int = NOTEBOOK_OUTPUT_BYTES) -> None:
        self.per_cell, self.total = per_cell, total
        self.kept = 0
        self.cell: dict[int, int] = {}
        self.dropped: dict[int, int] = {}

    def admit(self, cell_index: int, size: int) -> bool:
        used = self.cell.get(cell_index, 0)
        if used + size > self.per_cell or self.kept + size > self.total:
            self.dropped[cell_index] = self.dropped.get(cell_index, 0) + size
            return False
        self.cell[cell_index] = used + size
        self.kept += size
        return True

    def note(self, cell_index: int) -> str:
        dropped = self.dropped.get(cell_index, 0)
        if not dropped:
            return ""
        return (f"[grader: {dropped} bytes of this cell's output were not kept (at most {self.per_cell} per cell, "
                f"{self.total} per notebook)]\n")


def _bounded_client_class():
    class BoundedNotebookClient(NotebookClient):
        """nbclient's client that keeps at most an :class:`OutputBudget` of the kernel's output."""

        budget: OutputBudget

        def output(self, outs, msg, display_id, cell_index):  # noqa: ANN001 - nbclient's signature
            from nbformat.v4 import output_from_msg

            try:
                size = _output_size(output_from_msg(msg))
            except ValueError:
                size = 0
            if not self.budget.admit(cell_index, size):
                return None
            return super().output(outs, msg, display_id, cell_index)

    return BoundedNotebookClient


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
        sandbox: Sandbox | None = None,
        deadline: float | None = None,
    ) -> None:
        from grader.kernel.sandbox import kernel_environment

        self.workdir = Path(workdir)
        # an allow-listed environment, never the grader's own (tokens, GITHUB_*, ...)
        self.env = kernel_environment(env, self.workdir)
        self.sandbox = sandbox
        self.deadline = deadline  # time.monotonic() past which no kernel runs any more
        self.expired = False
        self.budget = OutputBudget()
        self.setup_code = setup_code
        self.memory_mb = memory_mb
        self.replay_timeout = replay_timeout
        self.kernel_name = kernel_name
        self._log = nbformat.v4.new_notebook()
        self._client: NotebookClient | None = None
        self._watch: _MemoryWatch | None = None
        self._cgroup: MemoryCgroup | None = None
        self.memory_method = ""  # how the memory limit is held, in words (set when the first kernel starts)
        self._kernel: Any = None  # the kernel's own psutil process (in a sandbox: below bwrap)
        self._replay: list[str] = []  # sources of cells that ran fine, in order
        self._last_reply: dict = {}
        self.restarts = 0
        self._deadline_timer: threading.Timer | None = None
        if deadline is not None:
            self.set_deadline(deadline)

    def set_deadline(self, deadline: float) -> None:
        """Kill the kernel and everything it started at ``deadline`` (``time.monotonic()``) instead of before."""
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
        self.deadline = deadline
        self._deadline_timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._deadline_timer.daemon = True
        self._deadline_timer.start()

    def _expire(self) -> None:
        """The overall deadline: kill the kernel and everything it started; nothing runs after this."""
        self.expired = True
        self._kill_family()

    def _kernel_pid(self) -> int | None:
        km = self._client.km if self._client is not None else None
        return getattr(getattr(km, "provisioner", None), "pid", None) if km is not None else None

    def _kill_family(self) -> None:
        pid = self._kernel_pid()
        if pid:
            kill_all(process_family(pid))

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        if self.expired:
            raise KernelError("the grading ran past its overall deadline")
        km = self.sandbox.kernel_manager(self.env) if self.sandbox is not None else None
        client_class = _bounded_client_class()
        self._client = client_class(
            self._log,
            km=km,
            kernel_name=self.kernel_name,
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": _TIMEOUT_ENAME, "evalue": "time limit", "traceback": []},
            shutdown_kernel="immediate",
            startup_timeout=120,
            iopub_timeout=4,
            # a channel that stops delivering (a message over MAX_MESSAGE_BYTES closes it) means a new kernel
            raise_on_iopub_timeout=True,
            record_timing=False,
            on_cell_executed=self._remember_reply,
        )
        self._client.budget = self.budget
        try:
            if km is None:
                self._client.create_kernel_manager()
                safe_path_kernel(self._client.km)  # nothing of the working directory is imported at start
            else:
                self.sandbox.before_start(km)
            self._bound_messages(self._client.km)
            # the kernel's own stdout and stderr never reach the grader's: the student's output comes over iopub
            self._client.start_new_kernel(cwd=str(self.workdir), env=self.env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            self._client.start_new_kernel_client()
        except Exception as exc:  # noqa: BLE001 - any failure to start is the grader's problem
            why = self.sandbox.diagnose(self.env) if self.sandbox is not None else ""
            raise KernelError(f"could not start a Jupyter kernel: {exc}" + (f" ({why})" if why else "")) from exc
        pid = self._kernel_pid()
        if self.memory_mb and pid:
            self._watch = _MemoryWatch(pid, self.memory_mb, self._scratch_mount(), self._memory_cgroup())
            self._watch.start()
        self._kernel = kernel_process(pid) if pid else None
        # started in safe-path mode: only after the set-up does the working directory join sys.path (for the
        # student's own modules)
        outcome = self.run_code(self.setup_code + "\n" + WORKDIR_ON_PATH, timeout=300)
        if outcome.status != "ok":
            raise KernelError(f"the kernel's setup code failed: {outcome.message}")
        self._process_room(checks=True)

    def _scratch_mount(self) -> Path | None:
        """The size-limited tmpfs holding the scratch, ``/tmp`` and ``/dev/shm`` of a sandboxed kernel, if any."""
        if self.sandbox is None:
            return None
        mount = self.sandbox.scratch.parent
        return mount if os.path.ismount(mount) else None

    def _memory_cgroup(self) -> MemoryCgroup | None:
        """This session's cgroup (one for every kernel it starts, so the scratch pages they wrote stay counted)."""
        if not self.memory_method:
            self._cgroup, why = MemoryCgroup.create(self.memory_mb * 1024 * 1024)
            self.memory_method = (f"cgroup {self._cgroup.path}" if self._cgroup is not None
                                  else f"sampled unique memory, shared-memory objects and scratch ({why})")
        return self._cgroup

    def _process_room(self, checks: bool) -> None:
        """The kernel process's own soft RLIMIT_NPROC: the sandbox's limit while a student cell runs (what the cell
        starts inherits it), its hard limit while the grader's checks run, so that processes a notebook left
        running cannot take from the checks the room to start their threads and workers."""
        limits = self.sandbox.rlimits().get("RLIMIT_NPROC") if self.sandbox is not None else None
        if self._kernel is None or not isinstance(limits, tuple):
            return
        import resource

        soft, hard = limits
        set_limit(self._kernel.pid, resource.RLIMIT_NPROC, (hard if checks else soft, hard), self.sandbox.uid)

    def _bound_messages(self, km: Any) -> None:
        """The client's sockets refuse any message over MAX_MESSAGE_BYTES before reading it in."""
        import zmq.asyncio

        self._zmq_context = zmq.asyncio.Context()
        self._zmq_context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        make_client, context = km.client, self._zmq_context
        km.client = lambda **kwargs: make_client(**{"context": context, **kwargs})

    def _remember_reply(self, cell: object = None, cell_index: int = 0, execute_reply: dict | None = None) -> None:
        self._last_reply = (execute_reply or {}).get("content", {}) or {}

    def shutdown(self) -> None:
        """Stop the kernel and every process it started (in the sandbox: its whole PID namespace)."""
        if self._watch:
            self._watch.stop()
            self._watch = None
        pid = self._kernel_pid()
        family = process_family(pid) if pid else []
        launcher = {pid, *(child.pid for child in _children(pid))} if self.sandbox is not None and pid else set()
        if self._client is not None and self._client.km is not None:
            try:
                self._client._cleanup_kernel()
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        kill_all(family)
        if self._cgroup is not None:  # what escaped the family (without a sandbox, a double-forked daemon)
            self._cgroup.kill()
        self._kernel = None
        if getattr(self, "_zmq_context", None) is not None:
            self._zmq_context.destroy(linger=0)
            self._zmq_context = None
        # bwrap itself (the launcher and the namespace's init) may take a second to tear its namespaces down;
        # the init's death kills whatever else is in the namespace, so only the student's processes are awaited
        _wait_gone([process for process in family if process.pid not in launcher])
        self._client = None

    def close(self) -> None:
        """Shut down for good (no deadline any more)."""
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
        self.shutdown()
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None

    def __enter__(self) -> KernelSession:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- running code ---------------------------------------------------------------------------
    def run_code(self, source: str, timeout: float) -> CellOutcome:
        """Run one piece of code; never raises for what the code does."""
        if self.expired or self._client is None:
            return CellOutcome("skipped", "not run: the grading ran past its overall deadline")
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
            if self.expired:
                return CellOutcome("timeout", "stopped: the grading ran past its overall deadline", seconds)
            if self._watch and self._watch.tripped:
                why = self._watch.describe()
                return CellOutcome("memory", f"the kernel passed the memory limit of {self.memory_mb} MiB "
                                   "and was stopped" + (f" ({why})" if why else ""), seconds)
            return CellOutcome("kernel-died", "the kernel died while running this cell", seconds)
        except CellTimeoutError as exc:
            if "IOPub" in str(exc) and time.monotonic() - started < self._client.timeout:
                return CellOutcome("timeout", "the kernel's output channel stopped answering (an output message over "
                                   f"{MAX_MESSAGE_BYTES // 2**20} MiB closes it)", time.monotonic() - started,
                                   list(cell.get("outputs", [])), channel_lost=True)
            return CellOutcome("timeout", f"ran longer than {timeout:.0f} s", time.monotonic() - started)
        except Exception as exc:  # noqa: BLE001 - a kernel killed at the deadline breaks nbclient in many ways
            if self.expired:
                return CellOutcome("timeout", "stopped: the grading ran past its overall deadline",
                                   time.monotonic() - started)
            return CellOutcome("kernel-died", f"the kernel stopped answering ({type(exc).__name__})",
                               time.monotonic() - started)
        seconds = time.monotonic() - started
        outputs = list(cell.get("outputs", []))
        note = self.budget.note(index)
        if note:
            outputs.append(nbformat.v4.new_output("stream", name="stderr", text=note))
        if self._last_reply.get("ename") == _TIMEOUT_ENAME:
            # nbclient's own reply after interrupting: the code may have swallowed the interrupt
            return CellOutcome("timeout", f"ran longer than {timeout:.0f} s and was interrupted", seconds, outputs)
        errors = [out for out in outputs if out.get("output_type") == "error"]
        if errors:
            error = errors[-1]
            if error.get("ename") == _TIMEOUT_ENAME:
                return CellOutcome("timeout", f"ran longer than {timeout:.0f} s and was interrupted",
                                   seconds, outputs)
            return CellOutcome("error", cut(f"{error.get('ename')}: {error.get('evalue', '')}", 500), seconds, outputs)
        return CellOutcome("ok", "", seconds, outputs)

    def responsive(self, timeout: float = _GRACE_SECONDS) -> bool:
        return self.run_code("pass", timeout).status == "ok"

    def run_student_cell(self, source: str, timeout: float, replay: bool = True) -> CellOutcome:
        """Run a cell of the student's notebook; keep the kernel usable whatever it does.

        A cell that ran fine is replayed after a restart unless ``replay`` is false.
        """
        self._process_room(checks=False)
        outcome = self.run_code(source, timeout)
        self._process_room(checks=True)
        if outcome.channel_lost:
            if self.responsive():  # a late message on a loaded machine: the cell ran and the channel works
                outcome = CellOutcome("ok", "", outcome.seconds, outcome.outputs)
            else:
                outcome.message += "; the kernel was restarted"
                self.recover()
                return outcome
        if outcome.status == "ok" and replay:
            self._replay.append(source)
        elif outcome.status == "timeout" and not self.responsive():
            outcome.message += "; the kernel ignored the interrupt and was restarted"
            self.recover()
        elif outcome.status in ("kernel-died", "memory"):
            self.recover()
        return outcome

    def new_exchange(self) -> Exchange | None:
        """One probe's two fresh directories in the sandbox, visible to the kernel and holding nothing else: its
        request (read-only to the kernel) and its answer (the kernel's); None without a sandbox (the probe makes
        its own)."""
        if self.sandbox is None:
            return None
        from grader.kernel.probing import Exchange

        return Exchange(self.sandbox.exchange, self.sandbox.answers, self.sandbox.uid)

    def recover(self) -> None:
        """Replace a dead or stuck kernel and replay the student cells that had run fine."""
        self.shutdown()
        if self.expired:
            return
        self.restarts += 1
        self.start()
        self._process_room(checks=False)
        for source in self._replay:
            self.run_code(source, timeout=self.replay_timeout)
        self._process_room(checks=True)


def _wait_gone(processes: list, timeout: float = 5.0) -> None:
    """Wait until the killed processes are really gone (a report is written only after that)."""
    import psutil

    try:
        psutil.wait_procs(processes, timeout=timeout)
    except psutil.Error:
        pass


def _children(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children()
    except psutil.Error:
        return []
