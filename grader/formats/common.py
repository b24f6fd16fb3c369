"""Wording every student-facing format shares: points, cut messages, what a hidden check may show, the
lines about the run itself (warnings, pending points, the sandbox)."""

from __future__ import annotations

import textwrap

from grader.report import ERROR, PASSED, SKIPPED, CheckResult, Report

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
    if report.course == "public":
        lines.append("feedback run with the public checks only: the graded run with the private course may differ")
    if report.pending_score:
        lines.append(f"{points(report.pending_score)} point(s) pending: checks that need the private course "
                     "were not run here")
    lines += list(report.notes)
    return lines


def footer(report: Report) -> str:
    total = report.execution_seconds + report.grading_seconds
    return (f"Graded in {total:.1f} s (notebook {report.execution_seconds:.1f} s, checks "
            f"{report.grading_seconds:.1f} s), seed {report.seed}, sandbox {report.sandbox}.")
