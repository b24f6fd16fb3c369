"""Grading a class: one task per submission, each graded by its own ``grader check`` process.

The client (the TA's machine) reads every notebook as bytes, decides its lab, and hands a :class:`Task` to an
engine: :class:`SequentialEngine` here, or the Dask engine (:mod:`grader.dask_engine`) that spreads tasks over
a local or remote cluster. On the machine that runs it, a task writes the notebook into a private temporary
folder, runs ``python -m grader check`` on it in a process group of its own with a deadline, and reads the
JSON report back only if that process exited normally (0 or 1); the report is validated against the lab's
spec before it becomes a row. The result travels back to the client as data (the task's own channel); the
client alone writes ``--out``. Nothing found in ``--out`` is ever read as a grade, except a previous run's
own record of a submission with the same content, lab, seed and grader version (resuming).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from grader.errors import InputError
from grader.process_tree import kill_all, process_family

GRADED, NOT_GRADED, GRADER_ERROR = "graded", "not graded", "grader error"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
STATE_DIR = ".batch-state"  # inside --out: the record that lets a rerun skip what is already graded
MAX_EXECUTED_BYTES = 64 * 2**20  # an executed notebook larger than this is not brought back
MAX_REPORT_BYTES = 16 * 2**20
STDERR_TAIL = 64 * 1024

# The ``grader check`` command a task runs, with placeholders filled in on the machine that runs it.
CHECK_ARGV = ("{python}", "-m", "grader", "check", "{notebook}", "--quiet",
              "--format", "json", "--output", "{json}", "--format", "markdown", "--output", "{markdown}",
              "--executed", "{executed}")


def grader_version() -> str:
    from grader import __version__

    return __version__


# -- submissions -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Submission:
    path: Path
    name: str  # unique within the batch, safe as a file name
    student: str = ""  # the first folder below the folder searched (a GitHub username), else the notebook's folder


def find_submissions(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> list[Submission]:
    """The notebooks named, or found below the folders named, each with a unique name.

    A notebook's student is the first folder below the folder named (``submissions/alice/lab.ipynb``: alice),
    or the folder the notebook is in when it lies directly in the folder named or is named itself
    (``subs/alice`` or ``subs/alice/lab.ipynb``: alice) and is the only such notebook of that folder; loose
    notebooks that share a folder (a class folder ``class/alice.ipynb``, ``class/bob.ipynb``, as an LMS
    download lays them out) are each their own student, named by the file. A notebook found in a folder is named by its path
    relative to that folder (``alice/lab.ipynb`` becomes ``alice__lab``), so that students' identically named
    files do not collide. Nothing below ``exclude`` (the batch's output folder), or below any folder an
    earlier batch wrote into, is ever taken as a submission.
    """
    excluded = [Path(p).resolve() for p in exclude]

    def skipped(path: Path) -> bool:
        resolved = path.resolve()
        return any(resolved == e or e in resolved.parents for e in excluded)

    found: list[tuple[Path, str, str]] = []
    loose: list[tuple[int, Path]] = []  # notebooks lying directly in a folder named, or named themselves
    for path in map(Path, paths):
        if path.is_dir():
            # any folder a batch wrote into (it holds the resume record) is output, not submissions
            excluded += [state.parent.resolve() for state in path.rglob(STATE_DIR) if state.is_dir()]
            notebooks = sorted(p for p in path.rglob("*.ipynb")
                               if ".ipynb_checkpoints" not in p.parts and not skipped(p))
            folder = path.resolve().name
            for p in notebooks:
                relative = p.relative_to(path)
                # submissions/<student>/...; a notebook directly in the folder named is that folder's student's
                student = relative.parts[0] if len(relative.parts) > 1 else folder or relative.stem
                found.append((p, relative.with_suffix("").as_posix(), student))
                loose.append((len(found) - 1, p))
        elif path.exists():
            if not skipped(path):
                found.append((path, path.stem, path.parent.name if path.parent.name else path.stem))
                loose.append((len(found) - 1, path))
        else:
            raise InputError(f"{path}: no such file or folder")
    if not found:
        raise InputError("no notebooks to grade (give .ipynb files or folders holding them; --out is never searched)")
    # a folder holding several loose notebooks is a class folder: each notebook is its own student
    per_folder = Counter(p.resolve().parent for _, p in loose)
    for index, p in loose:
        if per_folder[p.resolve().parent] > 1:
            path, label, _ = found[index]
            found[index] = (path, label, p.stem)
    submissions, taken = [], set()
    for path, label, student in found:
        base = _UNSAFE.sub("_", label.replace("/", "__")).strip("_") or "submission"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        submissions.append(Submission(path, name, student))
    return submissions


# -- rows --------------------------------------------------------------------------------------------

@dataclass
class Row:
    """One submission's line of the gradebook."""

    name: str
    notebook: str
    status: str  # graded | not graded | grader error
    lab: str = ""
    framework: str = ""
    score: float = 0.0
    max_score: float = 0.0
    checks: dict[str, float] = field(default_factory=dict)
    check_max: dict[str, float] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0
    student: str = ""
    seed: int | None = None
    grader_version: str = ""
    resumed: bool = False
    # the late policy (grader collect --course): the push, the student's deadline, lateness, penalty; score is then
    # the final score and raw_score what the checks gave (None: no late policy)
    pushed_at: str = ""
    deadline: str = ""
    hours_late: float = 0.0
    penalty_percent: float = 0.0
    late_reason: str = ""
    raw_score: float | None = None
    counted: bool = True  # False: a push of a course counting the best, superseded by a better one
    # the validated JSON report, for the class summary (not a gradebook column)
    report: dict[str, Any] | None = field(default=None, repr=False)


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
    try:
        return _run_task(task)
    except Exception as exc:  # noqa: BLE001 - a task must always come back with a row
        return task_result(GRADER_ERROR, f"the batch worker failed: {type(exc).__name__}: {exc}")


def _run_task(task: Task) -> dict[str, Any]:
    if task.require_sandbox:
        ok, reason = sandbox_available()
        if not ok:
            return task_result(NOT_GRADED, f"no sandbox on worker {_host()} ({reason}); not graded "
                                           "(the batch was started without --no-sandbox)")
    work = Path(tempfile.mkdtemp(prefix="grader-batch-"))  # mkdtemp makes it 0700
    try:
        os.chmod(work, 0o700)
        notebook = work / "in" / _safe_filename(task.filename)
        notebook.parent.mkdir(mode=0o700)
        notebook.write_bytes(task.notebook)
        out = work / "out"
        out.mkdir(mode=0o700)
        fill = {"python": sys.executable, "notebook": str(notebook), "json": str(out / "report.json"),
                "markdown": str(out / "report.md"), "executed": str(out / "executed.ipynb")}
        argv = [fill.get(part[1:-1], part) if part.startswith("{") and part.endswith("}") else part
                for part in task.argv] + ["--lab", task.lab, *task.options]
        returncode, seconds, stderr, timed_out = _run_with_deadline(argv, work, task.timeout)
        if timed_out:
            return task_result(NOT_GRADED, f"grading did not finish within {task.timeout:.0f} s; it was stopped",
                               seconds=seconds)
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
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _safe_filename(name: str) -> str:
    base = _UNSAFE.sub("_", Path(name).name).strip("._") or "submission.ipynb"
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


def _run_with_deadline(argv: list[str], work: Path, timeout: float) -> tuple[int | None, float, str, bool]:
    """Run ``argv``; on timeout kill it, its process group and every descendant. Returns (rc, s, stderr, timed out)."""
    started = time.monotonic()
    with open(work / "stderr.txt", "w+b") as errors:
        process = subprocess.Popen(_dying_with_parent(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=errors, cwd=work, start_new_session=True)
        # the family is remembered while it runs: a kernel in a session of its own is orphaned (and no longer
        # listed as a descendant) the moment the grading process dies, and must go too
        family: dict[int, Any] = {}
        deadline = started + timeout
        timed_out = False
        try:
            while process.poll() is None:
                family.update((p.pid, p) for p in process_family(process.pid))
                if time.monotonic() >= deadline:
                    timed_out = True
                    break
                try:
                    process.wait(timeout=min(0.5, max(0.01, deadline - time.monotonic())))
                except subprocess.TimeoutExpired:
                    pass
        finally:  # on time, at its end, or when the batch itself is interrupted: nothing it started survives
            family.update((p.pid, p) for p in process_family(process.pid))
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            kill_all([p for pid, p in family.items() if pid != process.pid])
            process.kill()
            process.wait()
        seconds = time.monotonic() - started
        errors.seek(0, os.SEEK_END)
        size = errors.tell()
        errors.seek(max(0, size - STDERR_TAIL))
        tail = errors.read().decode("utf-8", "replace")
    return (None if timed_out else process.returncode), seconds, tail, timed_out


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
    from grader.course import load_lab

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
    from grader.paths import private_root

    return private_root() is not None


def sandbox_available() -> tuple[bool, str]:
    """Whether the kernel sandbox can start here (``grader.sandbox.available``), with the reason if not."""
    try:
        from grader.sandbox import available
    except ImportError:
        return False, "grader.sandbox is not part of this installation"
    try:
        result = available()
    except Exception as exc:  # noqa: BLE001 - a probe that breaks means no sandbox
        return False, f"the sandbox probe failed: {type(exc).__name__}: {exc}"
    if isinstance(result, tuple):
        return bool(result[0]), str(result[1]) if len(result) > 1 else ""
    return bool(result), ""


# -- engines -----------------------------------------------------------------------------------------

class Engine(Protocol):
    """Runs tasks (starting them in the order given) and yields ``(task, result)`` as each finishes, in any order."""

    slots: int

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, dict[str, Any]]]: ...


class SequentialEngine:
    """One task after the other in this process (each still in its own ``grader check`` process)."""

    slots = 1

    def __enter__(self) -> SequentialEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, dict[str, Any]]]:
        for task in tasks:
            yield task, run_task(task)


# -- planning a batch --------------------------------------------------------------------------------

@dataclass
class BatchOptions:
    out_dir: Path = Path("grading")
    labs: tuple[str, ...] = ()
    framework: str | None = None
    seed: int = 0
    timeout: float = 1800.0
    force: bool = False
    no_sandbox: bool = False
    argv: tuple[str, ...] = CHECK_ARGV
    extra_check_options: tuple[str, ...] = ()


@dataclass
class Planned:
    submission: Submission
    lab: str | None
    key: str
    task: Task | None = None
    row: Row | None = None  # decided without grading: refused, unreadable, or resumed


def notebook_lab(data: bytes) -> str | None:
    """The lab a notebook's metadata names (``metadata.grader.lab``), or None; never raises."""
    return grader_metadata(data).get("lab")


def grader_metadata(data: bytes) -> dict[str, str]:
    """The text values of a notebook's ``metadata.grader`` (``lab``, ``framework``), {} if none; never raises."""
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError, MemoryError):
        return {}
    meta = nb.get("metadata") if isinstance(nb, dict) else None
    grader_meta = meta.get("grader") if isinstance(meta, dict) else None
    if not isinstance(grader_meta, dict):
        return {}
    return {key: value for key, value in grader_meta.items() if isinstance(value, str)}


def expected_seconds(spec: Any, framework: str | None) -> float:
    """How long grading a submission of ``spec`` should take: its flavour's reference grading time, the slowest
    flavour's when the flavour is not known yet, 0 when the spec says nothing."""
    known = {name: flavour.grading_seconds for name, flavour in spec.flavours.items() if flavour.grading_seconds}
    if framework in known:
        return float(known[framework])
    return float(max(known.values(), default=0.0))


def unreadable_notebook(path: Path) -> str | None:
    """Why the file at ``path`` is not a notebook ``grader check`` can read (its own words), or None if it is."""
    import warnings

    from grader.notebook import read_notebook

    try:
        with warnings.catch_warnings():  # nbformat's validation notes are not the batch's to print
            warnings.simplefilter("ignore")
            read_notebook(path)
    except InputError as exc:
        return str(exc).removeprefix(f"{path}: ")
    return None


def resume_key(data: bytes, lab: str | None, framework: str | None, seed: int, version: str) -> str:
    digest = hashlib.sha256()
    for part in (hashlib.sha256(data).hexdigest(), lab or "", framework or "", str(seed), version):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def batch_labs(notebook_labs: Sequence[str | None], labs: Sequence[str]) -> tuple[tuple[str, ...], str]:
    """The labs this batch grades: those given, else the lab most notebooks name; (labs, how it was decided)."""
    if labs:
        return tuple(dict.fromkeys(labs)), "given"  # a lab given twice is graded once
    counts = Counter(lab for lab in notebook_labs if lab)
    if not counts:
        raise InputError("no notebook says which lab it is (metadata.grader.lab); pass --lab")
    ranked = counts.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        listing = ", ".join(f"{lab} ({n})" for lab, n in ranked)
        raise InputError(f"the notebooks name several labs equally often: {listing}; pass --lab "
                         "(repeat it to grade several labs in one batch)")
    return (ranked[0][0],), f"named by {ranked[0][1]} of {len(notebook_labs)} notebook(s)"


def check_labs(labs: Sequence[str], framework: str | None) -> dict[str, Any]:
    """Load every lab of the batch (an unknown lab or flavour is an :class:`InputError`)."""
    from grader.course import load_lab

    specs = {lab: load_lab(lab) for lab in labs}
    for lab, spec in specs.items():
        if framework is not None and framework not in spec.flavours:
            raise InputError(f"lab {lab} has no {framework!r} flavour (it has: {', '.join(spec.flavours)})")
    return specs


def plan(submissions: Sequence[Submission], options: BatchOptions) -> tuple[list[Planned], tuple[str, ...]]:
    """Read every submission and decide, before any grading, what each one gets: a task or a row."""
    version = grader_version()
    datas: list[bytes | None] = []
    read_errors: dict[str, str] = {}
    for submission in submissions:
        try:
            datas.append(submission.path.read_bytes())
        except OSError as exc:
            datas.append(None)
            read_errors[submission.name] = exc.strerror or str(exc)
    metas = [grader_metadata(data) if data is not None else {} for data in datas]
    meta_labs = [meta.get("lab") for meta in metas]
    labs, _ = batch_labs(meta_labs, options.labs)
    specs = check_labs(labs, options.framework)
    check_options = [*(["--framework", options.framework] if options.framework else []),
                     "--seed", str(options.seed), *options.extra_check_options]
    private = private_course()
    planned: list[Planned] = []
    for submission, data, meta in zip(submissions, datas, metas, strict=True):
        meta_lab = meta.get("lab")
        if data is None:
            row = _row(submission, NOT_GRADED, f"cannot read {submission.path}: {read_errors[submission.name]}",
                       options, version)
            planned.append(Planned(submission, None, "", row=row))
            continue
        if meta_lab is not None and meta_lab not in labs:
            # no lab and no maximum: the row is no submission of the batch's lab (its message says which it is)
            message = (f"refused: the notebook's metadata names lab {meta_lab}, and this batch grades "
                       f"{', '.join(labs)}")
            planned.append(Planned(submission, None, "", row=_row(submission, NOT_GRADED, message, options, version)))
            continue
        if meta_lab is None and len(labs) > 1:
            message = unreadable_notebook(submission.path) or (
                f"the notebook does not say which lab it is, and this batch grades {', '.join(labs)}")
            planned.append(Planned(submission, None, "", row=_row(submission, NOT_GRADED, message, options, version)))
            continue
        lab = meta_lab or labs[0]
        key = resume_key(data, lab, options.framework, options.seed, version)
        item = Planned(submission, lab, key)
        if not options.force:
            item.row = load_state(options.out_dir, submission, key)
        if item.row is None:
            framework = options.framework or meta.get("framework")
            item.task = Task(submission.name, submission.path.name, data, lab, tuple(check_options),
                             options.timeout, private and not options.no_sandbox, options.argv, private,
                             expected_seconds(specs[lab], framework))
        planned.append(item)
    return planned, labs


def _row(submission: Submission, status: str, message: str, options: BatchOptions, version: str,
         lab: str = "") -> Row:
    return Row(submission.name, str(submission.path), status, lab=lab, framework=options.framework or "",
               message=message, student=submission.student, seed=options.seed, grader_version=version)


def _set_max(row: Row, spec: Any, framework: str | None) -> None:
    """A row without a report still shows what the submission was worth, when the flavour tells or does not matter."""
    if spec is None:
        return
    flavour = framework or row.framework
    if flavour not in spec.flavours:
        totals = {spec.max_score(name) for name in spec.flavours}
        if len(totals) != 1:
            return
        flavour = next(iter(spec.flavours))
    row.check_max = {check.id: float(check.points) for check in spec.checks_for(flavour)}
    row.max_score = float(sum(row.check_max.values()))


# -- results into rows, files and the resume record ----------------------------------------------------

def row_from_result(item: Planned, result: dict[str, Any], options: BatchOptions, specs: dict[str, Any]) -> Row:
    """The row of a task's result (the report has already been validated where it was graded)."""
    submission = item.submission
    row = _row(submission, result.get("outcome", GRADER_ERROR), str(result.get("message", "")), options,
               grader_version(), lab=item.lab or "")
    row.seconds = float(result.get("seconds") or 0.0)
    report = result.get("report")
    if row.status == GRADED and isinstance(report, dict):
        row.framework = str(report.get("framework", ""))
        row.checks = {c["id"]: float(c["score"]) for c in report["checks"]}
        row.check_max = {c["id"]: float(c["max_score"]) for c in report["checks"]}
        row.score = round(sum(row.checks.values()), 4)
        row.max_score = round(sum(row.check_max.values()), 4)
        row.report = {**report, "notebook": str(submission.path)}
        cells = report.get("cells", [])
        notes = [str(note) for note in report.get("notes", [])]
        pending = sum(float(c["max_score"]) for c in report["checks"] if c.get("status") == "skipped")
        if pending:
            notes.append(f"{pending:g} point(s) pending: checks not run without the private course")
        row.message = "; ".join(([f"{len(cells)} cell(s) failed"] if cells else []) + notes)
    else:
        if row.status == GRADED:
            row.status, row.message = GRADER_ERROR, "the task came back without a report"
        _set_max(row, specs.get(row.lab), options.framework)
    return row


def write_outputs(out_dir: Path, row: Row, result: dict[str, Any]) -> None:
    """Write a graded submission's JSON and Markdown reports and executed notebook into ``--out``."""
    stem = out_dir / row.name
    for suffix in (".json", ".md", ".executed.ipynb"):
        Path(f"{stem}{suffix}").unlink(missing_ok=True)
    if row.report is None:
        return
    _atomic_write(Path(f"{stem}.json"), json.dumps(row.report, indent=2).encode("utf-8"))
    if isinstance(result.get("markdown"), str):
        _atomic_write(Path(f"{stem}.md"), result["markdown"].encode("utf-8"))
    if isinstance(result.get("executed"), (bytes, bytearray)):
        _atomic_write(Path(f"{stem}.executed.ipynb"), bytes(result["executed"]))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def save_state(out_dir: Path, row: Row, key: str) -> None:
    """Record a graded row so that a rerun with the same notebook, lab, seed and grader version skips it."""
    if row.status != GRADED or not key:
        return
    state = out_dir / STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    data = {"key": key, "row": {k: v for k, v in asdict(row).items() if k != "resumed"}}
    _atomic_write(state / f"{row.name}.json", json.dumps(data).encode("utf-8"))


def batch_seed(out_dir: Path) -> int | None:
    """The seed of the batch last started in ``out_dir`` (so that a rerun without --seed resumes it), or None."""
    data = _read_bounded(out_dir / STATE_DIR / "batch.json", 4096)
    try:
        seed = json.loads(data.decode("utf-8"))["seed"] if data is not None else None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def _save_seed(out_dir: Path, seed: int) -> None:
    state = out_dir / STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    _atomic_write(state / "batch.json", json.dumps({"seed": seed}).encode("utf-8"))


def load_state(out_dir: Path, submission: Submission, key: str) -> Row | None:
    """The row a previous run recorded for this submission with this key, or None."""
    path = out_dir / STATE_DIR / f"{submission.name}.json"
    data = _read_bounded(path, MAX_REPORT_BYTES)
    if data is None:
        return None
    try:
        state = json.loads(data.decode("utf-8"))
        if state.get("key") != key or state["row"].get("status") != GRADED:
            return None
        row = Row(**state["row"])
        row.report = validate_report(row.report, row.lab)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    row.resumed = True
    row.notebook, row.student = str(submission.path), submission.student
    return row


# -- the whole batch ---------------------------------------------------------------------------------

class Listener(Protocol):
    def start(self, total: int, already: int) -> None: ...
    def running(self, count: int) -> None: ...
    def finished(self, row: Row) -> None: ...
    def close(self) -> None: ...


@dataclass
class BatchResult:
    rows: list[Row]
    labs: tuple[str, ...]
    seed: int
    seconds: float
    version: str

    @property
    def exit_code(self) -> int:
        """0 every submission got a report, 1 some were not graded, 3 the grader failed on some."""
        statuses = {row.status for row in self.rows}
        if GRADER_ERROR in statuses:
            return 3
        return 1 if NOT_GRADED in statuses else 0


def grade_batch(submissions: Sequence[Submission], options: BatchOptions, engine: Engine,
                listener: Listener | None = None) -> BatchResult:
    """Grade every submission with ``engine``; rows come back in the submissions' order.

    Raises :class:`InputError` before any grading when the batch's lab or flavour is unknown.
    """
    started = time.monotonic()
    planned, labs = plan(submissions, options)
    specs = check_labs(labs, options.framework)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    _save_seed(options.out_dir, options.seed)
    rows: dict[str, Row] = {item.submission.name: item.row for item in planned if item.row is not None}
    # longest expected first (stable: equal costs keep the submissions' order), so that the batch does not end
    # with one worker still grading a slow lab while the others have nothing left
    tasks = sorted((item.task for item in planned if item.task is not None), key=lambda task: -task.expected_seconds)
    by_name = {item.submission.name: item for item in planned}
    if listener is not None:
        listener.start(len(planned), sum(row.resumed for row in rows.values()))
        for row in rows.values():
            listener.finished(row)
    pending = len(tasks)
    if listener is not None and tasks:
        listener.running(min(engine.slots, pending))
    try:
        for task, result in engine.run(tasks):
            item = by_name[task.name]
            row = row_from_result(item, result, options, specs)
            write_outputs(options.out_dir, row, result)
            save_state(options.out_dir, row, item.key)
            rows[task.name] = row
            pending -= 1
            if listener is not None:
                listener.running(min(engine.slots, pending))
                listener.finished(row)
    finally:
        if listener is not None:
            listener.close()
    ordered = [rows[item.submission.name] for item in planned]
    return BatchResult(ordered, labs, options.seed, time.monotonic() - started, grader_version())


def make_engine(jobs: int = 1, scheduler: str | None = None, sequential: bool = False) -> Any:
    """The engine for these options: sequential, an embedded LocalCluster, or an existing Dask scheduler."""
    if sequential:
        return SequentialEngine()
    from grader.dask_engine import DaskEngine

    return DaskEngine(jobs=jobs, scheduler=scheduler)


# -- a whole class: checks before grading, the batch, the gradebook and the summary --------------------

@dataclass
class ClassOptions:
    """What ``grader batch`` was asked for, beyond one submission's grading."""

    jobs: int = 1
    scheduler: str | None = None
    sequential: bool = False
    roster: Path | None = None
    gradebooks: tuple[str, ...] = ()
    assignment: str | None = None


@dataclass
class ClassResult:
    batch: BatchResult
    written: list[Path]
    summary_text: str

    @property
    def exit_code(self) -> int:
        return self.batch.exit_code


def check_forwards_no_sandbox() -> bool:
    """Whether this installation's ``grader check`` takes ``--no-sandbox`` (to pass the batch's choice on)."""
    from grader.cli import check

    return any(param.name == "no_sandbox" for param in check.params)


def grade_class(paths: Sequence[Path], options: BatchOptions, how: ClassOptions,
                listener: Listener | None = None, ready: Callable[[], None] | None = None) -> ClassResult:
    """Grade a class and write ``grades.csv``, ``summary.md``, ``summary.html`` (and the roster's files).

    Everything that can make the batch pointless (no submissions, unknown lab or flavour, unreadable roster,
    an unknown gradebook format, no sandbox for a run with the private course unless ``no_sandbox``) is an
    :class:`InputError` raised before any grading. ``ready`` is called once all of that has passed, before the
    engine starts.
    """
    from grader import class_summary, gradebook, late_grades

    out = options.out_dir
    submissions = find_submissions(paths, exclude=[out])
    roster = gradebook.read_roster(how.roster) if how.roster else None
    for kind in how.gradebooks:
        if kind not in gradebook.GRADEBOOK_FORMATS:
            raise InputError(f"unknown gradebook {kind!r}; choose from {', '.join(gradebook.GRADEBOOK_FORMATS)}")
        if kind == "canvas" and roster is None:
            raise InputError("--gradebook canvas needs --roster (Canvas matches students by their identifier)")
    if options.no_sandbox:
        if "--no-sandbox" not in options.extra_check_options and check_forwards_no_sandbox():
            options.extra_check_options = (*options.extra_check_options, "--no-sandbox")
    elif how.scheduler is None and private_course():
        ok, reason = sandbox_available()
        if not ok:
            raise InputError(f"no sandbox can start here ({reason}); student code would run unconfined next to "
                             "the private course: install bubblewrap, or pass --no-sandbox to grade anyway")
    batch_labs(  # an ambiguous class is refused before the cluster starts
        [notebook_lab(_peek(s.path)) for s in submissions] if not options.labs else [], options.labs)
    check_labs(options.labs, options.framework)
    if ready is not None:
        ready()
    with make_engine(how.jobs, how.scheduler, how.sequential) as engine:
        result = grade_batch(submissions, options, engine, listener)
        engine_notes = list(getattr(engine, "notes", []))
    late_grades.apply(result.rows, late_grades.records(paths), GRADED)
    written = [out / "grades.csv"]
    gradebook.write_grades_csv(result.rows, written[0])
    if roster is not None or how.gradebooks:
        book = gradebook.build_gradebook(result.rows, roster)
        if roster is not None:
            written.append(out / "students.csv")
            gradebook.write_students_csv(book, result.labs, written[-1])
        for kind in how.gradebooks:
            written.append(out / f"gradebook-{kind}.csv")
            gradebook.write_export(book, result.rows, result.labs, kind, written[-1], how.assignment)
    summary = class_summary.summarize(late_grades.counted(result.rows), result.seconds)  # superseded pushes aside
    summary.notes += engine_notes
    summary.notes += [line for line in [late_grades.summary_line(result.rows)] if line]
    if roster is not None:
        book = gradebook.build_gradebook(result.rows, roster)
        if book.missing:
            summary.notes.append("no submission: " + ", ".join(s.github_username or s.identifier for s in book.missing))
        if book.unmatched:
            summary.notes.append("on no roster line: " + ", ".join(total.key for total in book.unmatched))
    text = class_summary.render_terminal(summary)
    (out / "summary.md").write_text(class_summary.render_markdown(summary), encoding="utf-8")
    (out / "summary.html").write_text(class_summary.render_html(summary), encoding="utf-8")
    written += [out / "summary.md", out / "summary.html"]
    return ClassResult(result, written, text)


def _peek(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
