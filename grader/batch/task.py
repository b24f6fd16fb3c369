"""One submission graded on the machine that runs its task: a private folder, ``grader check`` in a process group
of its own under a deadline, and its report read back bounded and validated against the lab's spec."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from grader.batch.rows import GRADED, GRADER_ERROR, NOT_GRADED, UNSAFE_CHARS
from grader.kernel.process_tree import kill_all, process_family

MAX_EXECUTED_BYTES = 64 * 2**20  # an executed notebook larger than this is not brought back
MAX_REPORT_BYTES = 16 * 2**20
STDERR_TAIL = 64 * 1024

# The ``grader check`` command a task runs, with placeholders filled in on the machine that runs it.
CHECK_ARGV = ("{python}", "-m", "grader", "check", "{notebook}", "--quiet",
              "--format", "json", "--output", "{json}", "--format", "markdown", "--output", "{markdown}",
              "--executed", "{executed}", "--start-ahead")
# With this option ``grader check`` starts its kernel, then waits for a line ``go`` on standard input before it
# runs the notebook: a task can be started while another is still being graded (:class:`StartedTask`).
START_AHEAD = "--start-ahead"
GO = "go"



# -- what a task is and what it returns ---------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    """Everything one submission's grading needs, as plain data: it may travel to another machine."""

    name: str
    filename: str
    notebook: bytes
    lab: str
    options: tuple[str, ...] = ()
    timeout: float = 1800.0
    require_sandbox: bool = False
    argv: tuple[str, ...] = CHECK_ARGV
    expect_private: bool = False  # the client has the private course: a report of public checks only is no grade
    expected_seconds: float = 0.0  # the batch starts the slowest first, so that no worker idles at the end


def task_result(outcome: str, message: str = "", **values: Any) -> dict[str, Any]:
    """What a task returns: ``outcome`` is graded / not graded / grader error."""
    return {"outcome": outcome, "message": message, "report": None, "markdown": None, "executed": None,
            "seconds": 0.0, "returncode": None, "host": _host(), **values}


def _host() -> str:
    try:
        return os.uname().nodename
    except AttributeError:  # pragma: no cover - not POSIX
        return "localhost"


def run_task(task: Task) -> dict[str, Any]:
    """Grade one submission on this machine and return its result; never raises.

    Runs on a Dask worker (or in the client for the sequential engine). The notebook is written into a
    private folder (mode 0700) made here; ``grader check`` runs in its own session with a deadline and, on
    Linux, dies with the thread that started it. Its JSON report is read only after a normal exit with
    status 0 or 1, bounded in size, and validated against the lab's spec.
    """
    return StartedTask(task).finish()


class StartedTask:
    """One task's ``grader check`` process, started (its kernel starting) but not yet told to go on.

    :meth:`finish` tells it to go on, holds it to the task's deadline from then, and returns its result;
    :meth:`discard` ends it unused. Neither raises. ``grader batch --sequential`` starts the next submission's
    task while the current one is graded, so that its kernel, with the framework imported, is ready when its
    turn comes; each kernel still serves that one submission.
    """

    def __init__(self, task: Task) -> None:
        self.task = task
        self.result: dict[str, Any] | None = None  # known before any grading: a refusal, or the start failed
        self.work: Path | None = None
        self.errors: IO[bytes] | None = None  # the process's standard error, kept in the folder
        self.process: subprocess.Popen | None = None
        # the family is remembered while it runs: a kernel in a session of its own is orphaned (and no longer
        # listed as a descendant) the moment the grading process dies, and must go too
        self.family: dict[int, Any] = {}
        try:
            self._start()
        except Exception as exc:  # noqa: BLE001 - a task must always come back with a row
            self.result = task_result(GRADER_ERROR, f"the batch worker failed: {type(exc).__name__}: {exc}")
            self._remove()

    def _start(self) -> None:
        task = self.task
        if task.require_sandbox:
            ok, reason = sandbox_available()
            if not ok:
                self.result = task_result(NOT_GRADED, f"no sandbox on worker {_host()} ({reason}); not graded "
                                                      "(the batch was started without --no-sandbox)")
                return
        self.work = work = Path(tempfile.mkdtemp(prefix="grader-batch-"))  # mkdtemp makes it 0700
        os.chmod(work, 0o700)
        self.notebook = notebook = work / "in" / _safe_filename(task.filename)
        notebook.parent.mkdir(mode=0o700)
        notebook.write_bytes(task.notebook)
        self.out = out = work / "out"
        out.mkdir(mode=0o700)
        fill = {"python": sys.executable, "notebook": str(notebook), "json": str(out / "report.json"),
                "markdown": str(out / "report.md"), "executed": str(out / "executed.ipynb")}
        argv = [fill.get(part[1:-1], part) if part.startswith("{") and part.endswith("}") else part
                for part in task.argv] + ["--lab", task.lab, *task.options]
        self.errors = open(work / "stderr.txt", "w+b")  # noqa: SIM115 - closed by finish() or discard()
        self.process = subprocess.Popen(_dying_with_parent(argv), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=self.errors, cwd=work, start_new_session=True)

    def finish(self) -> dict[str, Any]:
        """Let the grading go on, wait for it (at most the task's timeout from now) and return its result."""
        if self.result is not None:
            return self.result
        try:
            return self._finish()
        except Exception as exc:  # noqa: BLE001 - a task must always come back with a row
            return task_result(GRADER_ERROR, f"the batch worker failed: {type(exc).__name__}: {exc}")
        finally:
            self.discard()

    def discard(self) -> None:
        """End the grading process and everything it started, and remove its folder; never raises."""
        try:
            if self.process is not None:
                self._stop()
        finally:
            self._remove()

    def _remove(self) -> None:
        if self.errors is not None:
            self.errors.close()
            self.errors = None
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = None

    def _stop(self) -> None:
        process = self.process
        self.family.update((p.pid, p) for p in process_family(process.pid))
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        kill_all([p for pid, p in self.family.items() if pid != process.pid])
        process.kill()
        process.wait()
        self.process = None

    def _go(self) -> None:
        stdin = self.process.stdin
        try:
            stdin.write(f"{GO}\n".encode())
            stdin.flush()
        except OSError:  # it has ended already (bad input, or a command that does not wait): its status says why
            pass
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def _finish(self) -> dict[str, Any]:
        task, process, notebook, out = self.task, self.process, self.notebook, self.out
        started = time.monotonic()
        self._go()
        deadline = started + task.timeout
        timed_out = False
        # on time, at its end, or when the batch itself is interrupted (discard): nothing it started survives
        while process.poll() is None:
            self.family.update((p.pid, p) for p in process_family(process.pid))
            if time.monotonic() >= deadline:
                timed_out = True
                break
            try:
                process.wait(timeout=min(0.5, max(0.01, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                pass
        returncode = None if timed_out else process.returncode
        self._stop()
        seconds = time.monotonic() - started
        if timed_out:
            return task_result(NOT_GRADED, f"grading did not finish within {task.timeout:.0f} s; it was stopped",
                               seconds=seconds)
        stderr = self._stderr_tail()
        stderr = stderr.replace(str(notebook), task.filename)  # the row names the submission, not this folder
        lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
        errors = " ".join(line for line in lines if line.startswith("error:"))
        reason = errors or (lines[-1] if lines else f"grader check exited with status {returncode}")
        if returncode == 2:
            return task_result(NOT_GRADED, reason[:2000], seconds=seconds, returncode=returncode)
        if returncode not in (0, 1):
            if returncode is not None and returncode < 0:
                name = _signal_name(-returncode)
                reason = f"grader check was killed by {name} before it finished; its files are not trusted"
                return task_result(NOT_GRADED, reason, seconds=seconds, returncode=returncode)
            return task_result(GRADER_ERROR, reason[:2000], seconds=seconds, returncode=returncode)
        try:
            report = _read_bounded_json(out / "report.json")
            report = validate_report(report, task.lab)
        except (OSError, ValueError) as exc:
            return task_result(NOT_GRADED, f"its report was not usable: {exc}", seconds=seconds,
                               returncode=returncode)
        report["notebook"] = task.filename
        if task.expect_private and report.get("course") == "public":
            return task_result(NOT_GRADED, f"worker {_host()} has no private course: only the public checks ran "
                                           "(give it GRADER_PRIVATE)", seconds=seconds, returncode=returncode)
        markdown = _read_bounded(out / "report.md", MAX_REPORT_BYTES)
        executed = _read_bounded(out / "executed.ipynb", MAX_EXECUTED_BYTES)
        return task_result(GRADED, seconds=seconds, returncode=returncode, report=report,
                           markdown=markdown.decode("utf-8", "replace").replace(str(notebook), task.filename)
                           if markdown is not None else None,
                           executed=executed)

    def _stderr_tail(self) -> str:
        errors = self.errors
        errors.flush()
        errors.seek(0, os.SEEK_END)
        size = errors.tell()
        errors.seek(max(0, size - STDERR_TAIL))
        return errors.read().decode("utf-8", "replace")


def _safe_filename(name: str) -> str:
    base = UNSAFE_CHARS.sub("_", Path(name).name).strip("._") or "submission.ipynb"
    return base if base.endswith(".ipynb") else f"{base}.ipynb"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# Started in the child instead of a ``preexec_fn`` (unsafe in a threaded Dask worker): on Linux the grading
# process gets SIGKILL when the worker thread that started it dies, then becomes ``grader check``.
_EXEC_DYING_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None).prctl(1, signal.SIGKILL)\n"  # PR_SET_PDEATHSIG
    "os.getppid() == int(sys.argv[1]) or os._exit(137)\n"  # the parent died before prctl took effect
    "os.execvp(sys.argv[2], sys.argv[2:])\n"
)


def _dying_with_parent(argv: list[str]) -> list[str]:
    if not sys.platform.startswith("linux"):
        return argv
    return [sys.executable, "-c", _EXEC_DYING_WITH_PARENT, str(os.getpid()), *argv]


def _read_bounded(path: Path, limit: int) -> bytes | None:
    try:
        if not path.is_file() or path.is_symlink():
            return None
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    return None if len(data) > limit else data


def _read_bounded_json(path: Path) -> Any:
    if path.is_symlink() or not path.is_file():
        raise ValueError("grader check wrote no report")
    data = _read_bounded(path, MAX_REPORT_BYTES)
    if data is None:
        raise ValueError(f"the report is larger than {MAX_REPORT_BYTES} bytes")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"the report is not JSON ({exc})") from None


def validate_report(report: Any, lab_id: str) -> dict[str, Any]:
    """The report if it is one ``grader check`` can have written for ``lab_id``; else :class:`ValueError`.

    Its lab must be the one asked for, its flavour one of the lab's, its checks exactly that flavour's
    checks with their points from the spec, every score a finite number between 0 and the check's maximum,
    and its total the sum of its checks.
    """
    from grader.course.labs import load_lab

    if not isinstance(report, dict):
        raise ValueError("the report is not a JSON object")
    if report.get("lab") != lab_id:
        raise ValueError(f"the report is for lab {report.get('lab')!r}, not {lab_id}")
    spec = load_lab(lab_id)
    framework = report.get("framework")
    checks = report.get("checks")
    if not isinstance(checks, list):
        raise ValueError("the report has no list of checks")
    if framework in spec.flavours:
        expected = {check.id: float(check.points) for check in spec.checks_for(framework)}
    elif framework == "unknown" and not checks:
        expected = {}
    else:
        raise ValueError(f"the report names flavour {framework!r}, which lab {lab_id} does not have")
    seen: dict[str, tuple[float, float]] = {}
    for check in checks:
        if not isinstance(check, dict) or not isinstance(check.get("id"), str):
            raise ValueError("a check of the report has no id")
        score, maximum = check.get("score"), check.get("max_score")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                   for v in (score, maximum)):
            raise ValueError(f"check {check['id']}: its points are not numbers")
        if check["id"] not in expected or check["id"] in seen:
            raise ValueError(f"check {check['id']!r} is not a check of {lab_id} ({framework}) or is repeated")
        if abs(float(maximum) - expected[check["id"]]) > 1e-9 or not 0 <= float(score) <= float(maximum):
            raise ValueError(f"check {check['id']}: {score}/{maximum} is outside its {expected[check['id']]:g} points")
        seen[check["id"]] = (float(score), float(maximum))
    if set(seen) != set(expected):
        missing = ", ".join(sorted(set(expected) - set(seen)))
        raise ValueError(f"the report lacks checks of {lab_id} ({framework}): {missing}")
    total = sum(score for score, _ in seen.values())
    if not isinstance(report.get("score"), (int, float)) or abs(float(report["score"]) - total) > 1e-6:
        raise ValueError("the report's score is not the sum of its checks")
    return report


def private_course() -> bool:
    """Whether this run has the private course (a graded run) or only the public one (feedback)."""
    from grader.course.paths import private_root

    return private_root() is not None


def sandbox_available() -> tuple[bool, str]:
    """Whether the kernel sandbox can start here (``grader.kernel.sandbox.available``), with the reason if not."""
    try:
        from grader.kernel.sandbox import available
    except ImportError:
        return False, "grader.kernel.sandbox is not part of this installation"
    try:
        result = available()
    except Exception as exc:  # noqa: BLE001 - a probe that breaks means no sandbox
        return False, f"the sandbox probe failed: {type(exc).__name__}: {exc}"
    if isinstance(result, tuple):
        return bool(result[0]), str(result[1]) if len(result) > 1 else ""
    return bool(result), ""
