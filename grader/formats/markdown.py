"""The pull-request comment: score, a table of checks, failure messages in collapsible sections.

The first line is a hidden marker, so that ``grader comment`` edits the same comment on a later run.
Messages of hidden checks are not shown (students read this comment).
"""

from __future__ import annotations

import html

from grader.report import ERROR, PASSED, Report

MARKER_PREFIX = "<!-- grader-report"
_ICON = {PASSED: "✅", ERROR: "⚠️"}
HIDDEN_MESSAGE = "hidden check: its details are shown to the teaching staff only"


def marker(report: Report) -> str:
    return f"{MARKER_PREFIX} lab={report.lab} -->"


def _points(value: float) -> str:
    return f"{value:g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: Report) -> str:
    icon = "✅" if report.all_passed and not report.cells else ("❌" if not report.all_passed else "⚠️")
    lines = [
        marker(report),
        f"## {icon} {report.lab} ({report.framework}): {_points(report.score)}/{_points(report.max_score)} points",
        "",
        "| | check | points |",
        "|---|---|---|",
    ]
    for check in report.checks:
        lines.append(f"| {_ICON.get(check.status, '❌')} | **{_cell(check.id)}** — {_cell(check.title)} | "
                     f"{_points(check.score)}/{_points(check.max_score)} |")
    lost = [check for check in report.checks if not check.passed]
    if lost:
        lines += ["", "### What to fix", ""]
        for check in lost:
            message = HIDDEN_MESSAGE if check.visibility == "hidden" else (check.message or check.status)
            lines += [
                "<details>",
                f"<summary>{_ICON.get(check.status, '❌')} <b>{html.escape(check.id)}</b>: "
                f"{html.escape(check.title)} ({_points(check.score)}/{_points(check.max_score)})</summary>",
                "",
                f"<pre>{html.escape(message)}</pre>",
                "</details>",
            ]
    if report.cells:
        lines += ["", "### Notebook cells that did not run cleanly", "", "| cell | status | message |", "|---|---|---|"]
        lines += [f"| {event.index + 1} | {event.status} | {_cell(event.message)} |" for event in report.cells]
    lines += [""] + [f"> {note}" for note in report.notes]
    lines.append(f"<sub>Graded in {report.execution_seconds + report.grading_seconds:.1f} s "
                 f"(notebook {report.execution_seconds:.1f} s, checks {report.grading_seconds:.1f} s), seed {report.seed}."
                 "</sub>")
    return "\n".join(lines) + "\n"
