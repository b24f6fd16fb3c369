"""The pull-request comment: score, a table of checks, failure messages in collapsible sections.

The first line is a hidden marker, so that ``grader comment`` edits the same comment on a later run.
Messages of hidden checks are not shown (students read this comment). It is posted with the staff's token:
whatever may quote the student (messages, cell errors, warnings, notes) is drawn only inside code blocks
(:mod:`grader.reports.formats.inert`), never as Markdown or HTML of theirs.
"""

from __future__ import annotations

import html
import os

from grader.reports.formats import inert
from grader.reports.formats.common import HIDDEN_MESSAGE, footer, points, run_lines, shown_message, wrap
from grader.reports.report import ERROR, PASSED, SKIPPED, Report

__all__ = ["HIDDEN_MESSAGE", "MARKER_PREFIX", "marker", "render"]

MARKER_PREFIX = "<!-- grader-report"
_ICON = {PASSED: "✅", ERROR: "⚠️", SKIPPED: "⏳"}
HTML_REPORT = "report.html"


def _ident(text: str) -> str:
    """A lab's id as a word of the marker comment (nothing that could end the comment)."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def marker(report: Report) -> str:
    return f"{MARKER_PREFIX} lab={_ident(report.lab)} -->"


def _cell(text: str) -> str:
    """The grader's own words (check ids and titles from the lab's spec) in a table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _block(lines: list[str], alert: str) -> list[str]:
    """Sentences that may quote the student (warnings, notes) as one alert whose body is a code block."""
    return ["> [!" + alert + "]", *inert.quote(_fenced("\n".join(lines)))]


def _fenced(text: str) -> str:
    """Text that may quote the student as a code block, wrapped for a narrow column."""
    return inert.fence(wrap(inert.visible(text)))


def _html_location() -> str | None:
    """Where the HTML report of this run is, when it runs in GitHub Actions (the workflow uploads it)."""
    server, repository, run = (os.environ.get(name) for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY",
                                                                  "GITHUB_RUN_ID"))
    if not (server and repository and run):
        return None
    return (f"The full report with plots is `{HTML_REPORT}` in the **grading-report** artifact of "
            f"[this run]({server}/{repository}/actions/runs/{run}).")


def render(report: Report) -> str:
    icon = "✅" if report.all_passed and not report.cells else ("❌" if not report.all_passed else "⚠️")
    lines = [
        marker(report),
        f"## {icon} {inert.md_inline(report.lab)} ({inert.md_inline(report.framework)}): "
        f"{points(report.score)}/{points(report.max_score)} points",
        "",
    ]
    if report.warnings:
        lines += [*_block(report.warnings, "WARNING"), ""]
    lines += ["| | check | points |", "|---|---|---|"]
    for check in report.checks:
        earned = "–" if check.status == SKIPPED else points(check.score)  # neither earned nor lost yet (⏳)
        lines.append(f"| {_ICON.get(check.status, '❌')} | **{_cell(check.id)}** — {_cell(check.title)} | "
                     f"{earned}/{points(check.max_score)} |")
    lost = [check for check in report.checks if check.status not in (PASSED, SKIPPED)]
    if lost:
        lines += ["", "### What to fix", ""]
        for check in lost:
            lines += [
                "<details>",
                f"<summary>{_ICON.get(check.status, '❌')} <b>{html.escape(check.id)}</b>: "
                f"{html.escape(check.title)} ({points(check.score)}/{points(check.max_score)})</summary>",
                "",
                _fenced(shown_message(check)),
                "",
                "</details>",
            ]
    if report.cells:
        lines += ["", "### Notebook cells that did not run cleanly", "",
                  _fenced("\n".join(f"cell {event.index + 1}: {event.status}: {event.message}"
                                     for event in report.cells))]
    lines.append("")
    notes = [line for line in run_lines(report) if not line.startswith("warning: ")]
    if notes:  # closed by a blank line: a line right after a quote is drawn inside it
        lines += [*_block(notes, "NOTE"), ""]
    location = _html_location()
    if location:
        lines += [location, ""]
    lines.append(f"<sub>{html.escape(footer(report))}</sub>")
    return "\n".join(lines) + "\n"
