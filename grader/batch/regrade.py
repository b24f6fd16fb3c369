"""Regrades: after a check is fixed or a student's request is upheld, grade a subset of a batch again.

The batch in OUT is kept: the chosen submissions (by student and/or lab) lose their saved grading, the batch
runs again with its own seed (every other submission is resumed as it was), grades.csv, students.csv and the
gradebook exports are written anew, and ``regrade-<time>.csv`` lists every score that changed, before and
after (the score after the late policy, where the batch applies one).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grader.errors import InputError


@dataclass(frozen=True)
class Change:
    submission: str
    student: str
    lab: str
    before: str  # "" when it had no score (not graded)
    after: str
    status_before: str
    status_after: str


def read_scores(grades_csv: Path) -> dict[str, dict[str, str]]:
    """``{submission: row}`` of a batch's grades.csv."""
    try:
        with grades_csv.open(newline="", encoding="utf-8") as handle:
            return {row["submission"]: row for row in csv.DictReader(handle)}
    except FileNotFoundError:
        raise InputError(f"no {grades_csv}: a regrade needs the batch it regrades (run grader batch first)") from None
    except (OSError, KeyError, csv.Error) as exc:
        raise InputError(f"{grades_csv} is not a batch's grades.csv ({exc})") from None


def select(scores: dict[str, dict[str, str]], students: Sequence[str], labs: Sequence[str]) -> list[str]:
    """The submissions of the batch whose student is one of ``students`` and lab one of ``labs`` (empty: any)."""
    wanted_students = {s.lower() for s in students}
    chosen = [name for name, row in scores.items()
              if (not wanted_students or row.get("student", "").lower() in wanted_students
                  or name.split("/", 1)[0].lower() in wanted_students)
              and (not labs or row.get("lab") in labs)]
    known = {row.get("student", "").lower() for row in scores.values()}
    unknown = sorted(s for s in wanted_students if s not in known)
    if unknown:
        raise InputError(f"no submission of {', '.join(unknown)} in the batch")
    if not chosen:
        raise InputError("no submission of the batch matches --student and --lab")
    return chosen


def forget(out_dir: Path, submissions: Sequence[str]) -> int:
    """Remove the saved grading of ``submissions`` so that the batch grades them again; how many it removed."""
    from grader.batch.rows import STATE_DIR

    removed = 0
    state = out_dir / STATE_DIR
    for name in submissions:
        if "/" in name or "\\" in name or name.startswith("."):
            continue  # not a batch's submission name (they are plain file names): it would leave the folder
        path = state / f"{name}.json"
        if path.is_file():
            path.unlink()
            removed += 1
    return removed


def changes(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]],
            submissions: Sequence[str]) -> list[Change]:
    """Every chosen submission whose score or status changed."""
    found = []
    for name in submissions:
        old, new = before.get(name, {}), after.get(name, {})
        if (old.get("score"), old.get("status")) != (new.get("score"), new.get("status")):
            found.append(Change(name, new.get("student") or old.get("student", ""), new.get("lab") or old.get("lab", ""),
                                old.get("score", ""), new.get("score", ""), old.get("status", ""),
                                new.get("status", "")))
    return found


def write_changes(found: Sequence[Change], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "student", "lab", "score_before", "score_after", "change", "status_before",
                         "status_after"])
        for change in found:
            delta = ""
            if change.before and change.after:
                delta = f"{float(change.after) - float(change.before):+g}"
            writer.writerow([change.submission, change.student, change.lab, change.before, change.after, delta,
                             change.status_before, change.status_after])


@dataclass
class RegradeResult:
    regraded: list[str]
    changes: list[Change]
    table: Path
    batch: Any  # grader.batch.class_grading.ClassResult


def regrade(paths: Sequence[Path], options: Any, how: Any, students: Sequence[str] = (), labs: Sequence[str] = (),
            listener: Any = None, ready: Callable[[], None] | None = None) -> RegradeResult:
    """Regrade the chosen submissions of the batch in ``options.out_dir`` (``grader.batch`` options)."""
    from grader.batch.class_grading import grade_class
    from grader.batch.resume import batch_seed

    out = options.out_dir
    before = read_scores(out / "grades.csv")
    chosen = select(before, students, labs)
    seed = batch_seed(out)
    if seed is None:
        raise InputError(f"{out} holds no batch state (its seed): regrade with grader batch --force instead")
    options.seed, options.force = seed, False
    forget(out, chosen)
    result = grade_class(paths, options, how, listener, ready)
    after = read_scores(out / "grades.csv")
    found = changes(before, after, chosen)
    table = out / f"regrade-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.csv"
    write_changes(found, table)
    return RegradeResult(chosen, found, table, result)
