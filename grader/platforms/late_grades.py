"""The late policy in grading: each student's push, lateness and penalty (as ``grader collect --course`` found
them, in ``collect.json``) applied to the batch's rows, for grades.csv, the gradebook exports, the class
summary and the Feedback comment.

A row's ``raw_score`` is what the checks gave; its ``score`` becomes the final score, the raw score times
(1 − penalty); a push after the cut-off never reaches the batch (collect does not take it). Rows of a
collection made without a course file carry no late columns and keep their score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

LATE_COLUMNS = ("pushed_at", "deadline", "hours_late", "raw_score", "penalty_percent", "counted")


def records(paths: Iterable[Path]) -> dict[str, Any]:
    """``{student (lower case): collect.Student}`` of the course collections among the submission folders."""
    from grader.platforms.collect import read_manifest

    found: dict[str, Any] = {}
    for path in paths:
        manifest = read_manifest(Path(path)) if Path(path).is_dir() else None
        if manifest is None:
            continue
        for user, student in manifest.students.items():
            if student.deadline:  # collected with --course: its late policy was applied
                found[user.lower()] = student
    return found


def _push_of(student: Any, row: Any) -> dict[str, Any]:
    """The push a row graded: one of the student's earlier pushes (``counts: best``), else the last one."""
    path = Path(str(row.notebook)).as_posix()
    for entry in getattr(student, "earlier", None) or []:
        if f"/{student.user}/{entry['folder']}/" in path:
            return entry
    return {"commit": student.commit, "pushed_at": student.pushed_at, "hours_late": student.hours_late,
            "penalty_percent": student.penalty_percent, "late_reason": student.late_reason}


def apply(rows: Sequence[Any], late: dict[str, Any], graded: str = "graded") -> int:
    """Set each row's raw score, push, lateness and penalty, and its score to the final score; how many rows.

    Where the course counts the best push, only the row with the best final score of each student and lab
    keeps ``counted``.
    """
    applied = 0
    best: dict[tuple[str, str], Any] = {}
    for row in rows:
        student = late.get(str(row.student or "").lower())
        if student is None:
            continue
        push = _push_of(student, row)
        row.pushed_at, row.deadline = push["pushed_at"], student.deadline
        row.hours_late, row.penalty_percent, row.late_reason = push["hours_late"], push["penalty_percent"], \
            push["late_reason"]
        if getattr(row, "raw_score", None) is None:
            row.raw_score = row.score
        row.score = round(row.raw_score * (1 - row.penalty_percent / 100), 4)
        row.counted = True
        applied += 1
        if getattr(student, "counts", "") == "best":
            key = (str(row.student).lower(), row.lab)
            held = best.get(key)
            if held is None or (row.status == graded, row.score) > (held.status == graded, held.score):
                if held is not None:
                    held.counted = False
                best[key] = row
            else:
                row.counted = False
    return applied


def columns(rows: Sequence[Any]) -> tuple[str, ...]:
    """The late columns, when some row carries the late policy; else none (the file is as before)."""
    return LATE_COLUMNS if any(getattr(row, "raw_score", None) is not None for row in rows) else ()


def cells(row: Any, graded: bool = True) -> list[str]:
    """A row's late cells, in ``LATE_COLUMNS`` order."""
    if getattr(row, "raw_score", None) is None:
        return [""] * len(LATE_COLUMNS)
    return [row.pushed_at, row.deadline, f"{row.hours_late:g}", f"{row.raw_score:g}" if graded else "",
            f"{row.penalty_percent:g}", "yes" if getattr(row, "counted", True) else "no"]


def counted(rows: Sequence[Any]) -> list[Any]:
    """The rows that count: all, except the pushes a better one of the same student and lab superseded."""
    return [row for row in rows if getattr(row, "counted", True)]


def summary_line(rows: Sequence[Any]) -> str | None:
    """The class summary's count: on time, late within the grace, late with a penalty (rows that count)."""
    judged = [row for row in counted(rows) if getattr(row, "raw_score", None) is not None]
    if not judged:
        return None
    on_time = sum(not row.hours_late for row in judged)
    graced = sum(bool(row.hours_late) and not row.penalty_percent for row in judged)
    penalised = [row for row in judged if row.penalty_percent]
    text = f"late policy: {on_time} on time, {graced + len(penalised)} late"
    if graced:
        text += f" ({graced} within the grace)"
    if penalised:
        low, high = min(r.penalty_percent for r in penalised), max(r.penalty_percent for r in penalised)
        text += f"; {len(penalised)} with a penalty of {low:g}%" + (f" to {high:g}%" if high != low else "")
    return text


def feedback_lines(row: Any) -> list[str]:
    """What the Feedback comment says of the late policy: the penalty applied and why."""
    if getattr(row, "raw_score", None) is None:
        return []
    if not row.hours_late:
        return [f"**On time**: pushed {row.pushed_at}, your deadline was {row.deadline}.", ""]
    if not row.penalty_percent:
        return [f"**Late policy**: {row.late_reason}.", ""]
    return [f"**Late policy**: {row.late_reason}. Your score: {row.raw_score:g} − {row.penalty_percent:g}% = "
            f"**{row.score:g}** of {row.max_score:g}.", ""]


EXPORT_COLUMNS = ("pushed_at", "hours_late", "raw_score", "penalty_percent")


def export_columns(rows: Sequence[Any], labs: Sequence[str]) -> tuple[str, ...]:
    """The generic gradebook export's late columns: for a one-lab batch that carries the late policy."""
    return EXPORT_COLUMNS if len(labs) == 1 and columns(rows) else ()


def export_cells(graded_rows: Sequence[Any]) -> list[str]:
    """A student's late cells in the generic export: those of their graded row that counts (the best score)."""
    judged = [row for row in graded_rows if getattr(row, "raw_score", None) is not None]
    if not judged:
        return [""] * len(EXPORT_COLUMNS)
    row = max(judged, key=lambda r: r.score)
    return [row.pushed_at, f"{row.hours_late:g}", f"{row.raw_score:g}", f"{row.penalty_percent:g}"]


def which_commit(student: Any, row: Any) -> str | None:
    """How the Feedback comment names the graded commit of a course collection (None: another collection)."""
    if student is None or not getattr(student, "deadline", ""):
        return None
    push = _push_of(student, row)
    cutoff = f" ({student.cutoff})" if student.cutoff else ""
    if getattr(student, "counts", "") == "best":
        pushes = 1 + len(student.earlier)
        return (f"`{push['commit'][:12]}` pushed {push['pushed_at']}, the best of your {pushes} "
                f"push{'es' * (pushes != 1)} before the last accepted time{cutoff}, by GitHub's record of pushes")
    return (f"`{push['commit'][:12]}`, the last one you pushed before the last accepted time{cutoff}, by "
            "GitHub's record of pushes")
