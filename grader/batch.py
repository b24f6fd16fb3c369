"""Grading a class: every submission in its own ``grader check`` process, then one gradebook.

Each submission is graded by a separate process (``python -m grader check``), so a notebook that
breaks anything (the kernel, the grader, the machine's patience) costs only its own row. The rows are
read back from the JSON reports those processes write (the grader's own output, never the kernel's).
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import InputError
from grader.process_tree import kill_all, process_family

GRADED, NOT_GRADED, GRADER_ERROR = "graded", "not graded", "grader error"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Submission:
    path: Path
    name: str  # unique within the batch, safe as a file name


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
    message: str = ""
    seconds: float = 0.0


def find_submissions(paths: Iterable[Path]) -> list[Submission]:
    """The notebooks named, or found below the folders named, each with a unique name.

    A notebook found in a folder is named by its path relative to that folder (``alice/lab.ipynb`` becomes
    ``alice__lab``), so that students' identically named files do not collide.
    """
    found: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            notebooks = sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            found += [(p, p.relative_to(path).with_suffix("").as_posix()) for p in notebooks]
        elif path.exists():
            found.append((path, path.stem))
        else:
            raise InputError(f"{path}: no such file or folder")
    if not found:
        raise InputError("no notebooks to grade (give .ipynb files or folders holding them)")
    submissions, taken = [], set()
    for path, label in found:
        base = _UNSAFE.sub("_", label.replace("/", "__")).strip("_") or "submission"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        submissions.append(Submission(path, name))
    return submissions


def check_command(submission: Submission, out_dir: Path, options: Sequence[str]) -> list[str]:
    """The ``grader check`` command line for one submission: JSON and Markdown reports, the executed notebook."""
    stem = out_dir / submission.name
    return [sys.executable, "-m", "grader", "check", str(submission.path), "--quiet", "--exit-zero",
            "--format", "json", "--output", f"{stem}.json", "--format", "markdown", "--output", f"{stem}.md",
            "--executed", f"{stem}.executed.ipynb", *options]


def grade_one(submission: Submission, out_dir: Path, options: Sequence[str], timeout: float,
              command: Callable[[Submission, Path, Sequence[str]], list[str]] = check_command) -> Row:
    """Grade one submission in its own process; whatever happens, return its row."""
    row = Row(submission.name, str(submission.path), GRADER_ERROR)
    report_path = out_dir / f"{submission.name}.json"
    report_path.unlink(missing_ok=True)
    started = time.monotonic()
    process = subprocess.Popen(command(submission, out_dir, options), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(process)
        row.message = f"grading did not finish within {timeout:.0f} s; it was stopped"
        row.seconds = time.monotonic() - started
        return row
    row.seconds = time.monotonic() - started
    lines = stderr.strip().splitlines()
    errors = " ".join(line.strip() for line in lines if line.startswith("error:"))
    try:
        report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.is_file() else None
    except (OSError, ValueError) as exc:
        report, errors = None, f"unreadable report {report_path.name}: {exc}"
    reason = errors or (lines[-1] if lines else f"grader check exited with status {process.returncode}")
    if report is None:
        row.message = reason
        return row
    row.status = {0: GRADED, 2: NOT_GRADED}.get(process.returncode, GRADER_ERROR)
    row.lab, row.framework = report.get("lab", ""), report.get("framework", "")
    row.score, row.max_score = float(report.get("score", 0.0)), float(report.get("max_score", 0.0))
    row.checks = {c["id"]: float(c["score"]) for c in report.get("checks", [])}
    if row.status == GRADED:
        cells = report.get("cells", [])
        row.message = "; ".join(([f"{len(cells)} cell(s) failed"] if cells else []) + report.get("notes", []))
    else:
        row.message = reason
    return row


def _kill_tree(process: subprocess.Popen) -> None:
    """Kill a grading process and everything it started (its kernel runs in a session of its own)."""
    kill_all(process_family(process.pid))
    process.kill()  # in case psutil could not list it
    process.communicate()


def grade_batch(submissions: Sequence[Submission], out_dir: Path, options: Sequence[str] = (), jobs: int = 1,
                timeout: float = 1800.0, progress: Callable[[Row], None] | None = None,
                command: Callable[[Submission, Path, Sequence[str]], list[str]] = check_command) -> list[Row]:
    """Grade every submission, ``jobs`` at a time; rows come back in the submissions' order."""
    out_dir.mkdir(parents=True, exist_ok=True)

    def one(submission: Submission) -> Row:
        row = grade_one(submission, out_dir, options, timeout, command)
        if progress is not None:
            progress(row)
        return row

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, submissions))


def write_gradebook(rows: Sequence[Row], path: Path) -> None:
    """``grades.csv``: one row per submission, the total and one column per check (in first-seen order)."""
    check_ids: list[str] = []
    for row in rows:
        check_ids += [check_id for check_id in row.checks if check_id not in check_ids]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "notebook", "status", "lab", "framework", "score", "max_score",
                         *check_ids, "seconds", "message"])
        for row in rows:
            writer.writerow([row.name, row.notebook, row.status, row.lab, row.framework, f"{row.score:g}",
                             f"{row.max_score:g}", *(f"{row.checks[c]:g}" if c in row.checks else "" for c in check_ids),
                             f"{row.seconds:.1f}", row.message])
