"""Wording every student-facing format shares: points, cut messages, what a hidden check may show, the
lines about the run itself (warnings, pending points, the sandbox)."""

from __future__ import annotations

import textwrap

from grader.reports.report import ERROR, PASSED, SKIPPED, CheckResult, Report

HIDDEN_MESSAGE = "hidden check: its details are shown to the teaching staff only"
SKIPPED_MESSAGE = "not run here: this check needs the private course; its points are pending the graded run"
ELLIPSIS = "…"


def points(value: float) -> str:
    """2 → "2", 2.5 → "2.5"."""
    return f"{value:g}"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis where it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def first_line(text: str, limit: int) -> str:
    """The first line of ``text``, cut to ``limit``; an ellipsis also says when more lines follow."""
    line, _, rest = text.partition("\n")
    if rest.strip() and len(line) < limit:
        return line.rstrip() + " " + ELLIPSIS
    return shorten(line, limit)


def wrap(text: str, width: int = 88) -> str:
    """Hard-wrap every line of ``text`` to ``width`` columns (existing line breaks kept)."""
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        lines.extend(textwrap.wrap(line, width, break_long_words=True, break_on_hyphens=False,
                                   subsequent_indent="  ") or [""])
    return "\n".join(lines)


def shown_message(check: CheckResult) -> str:
    """What a student may read of a check's message: nothing of a hidden check's, a word for a skipped one."""
    if check.status == SKIPPED:
        return check.message or SKIPPED_MESSAGE
    if check.visibility == "hidden" and check.status != PASSED:
        return HIDDEN_MESSAGE
    if check.visibility == "hidden":
        return "passed (hidden check: its details are shown to the teaching staff only)"
    return check.message or check.status


def may_plot(check: CheckResult) -> bool:
    """A check's details may be drawn for students: never for a hidden or skipped check."""
    return check.visibility != "hidden" and check.status != SKIPPED and bool(check.details)


def status_word(status: str) -> str:
    return {PASSED: "passed", ERROR: "error", SKIPPED: "pending"}.get(status, "failed")


def run_lines(report: Report) -> list[str]:
    """Sentences about the run itself, for every format: warnings first, then pending points and notes."""
    lines = [f"warning: {warning}" for warning in report.warnings]
    waiting = [check.id for check in report.checks if check.status == SKIPPED]
    # once, for the student: which checks await the graded run (each check's own message says why)
    which = (f"{_count(len(waiting), 'check')} ({points(report.pending_score)} of {points(report.max_score)} "
             f"points) await the graded run: {', '.join(waiting)}" if waiting else "")
    if report.course == "public":
        lines.append("feedback run with the public checks only; your grade comes from the graded run, which judges "
                     "every check again" + (f". {which[0].upper()}{which[1:]}" if which else ""))
    elif waiting:
        lines.append(which)
    lines += list(report.notes)
    return lines


def notebook_name(path: str) -> str:
    """An absolute path's file name (the grader machine's folders are no business of the reader's); a relative
    path, as the user gave it, stays as it is."""
    if path.startswith("/"):
        return path.rsplit("/", 1)[-1]
    if path.startswith("\\\\") or (len(path) > 2 and path[1] == ":" and path[2] in "\\/"):  # Windows
        return path.replace("\\", "/").rsplit("/", 1)[-1]
    return path


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def footer(report: Report) -> str:
    total = report.execution_seconds + report.grading_seconds
    return (f"Graded in {total:.1f} s (notebook {report.execution_seconds:.1f} s, checks "
            f"{report.grading_seconds:.1f} s), seed {report.seed}, sandbox {report.sandbox}.")
