"""The pull-request comment: score, a table of checks, failure messages in collapsible sections.

The first line is a hidden marker, so that ``grader comment`` edits the same comment on a later run.
Messages of hidden checks are not shown (students read this comment).
"""

from __future__ import annotations

import html
import os

from grader.formats.common import HIDDEN_MESSAGE, footer, points, run_lines, shown_message, wrap
from grader.report import ERROR, PASSED, SKIPPED, Report

__all__ = ["HIDDEN_MESSAGE", "MARKER_PREFIX", "marker", "render"]

MARKER_PREFIX = "<!-- grader-report"
_ICON = {PASSED: "✅", ERROR: "⚠️", SKIPPED: "⏳"}
HTML_REPORT = "report.html"


def marker(report: Report) -> str:
    return f"{MARKER_PREFIX} lab={report.lab} -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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
        f"## {icon} {report.lab} ({report.framework}): {points(report.score)}/{points(report.max_score)} points",
        "",
    ]
    for warning in report.warnings:
        lines += ["> [!WARNING]", f"> {_cell(warning)}", ""]
    lines += ["| | check | points |", "|---|---|---|"]
    for check in report.checks:
        earned = "pending" if check.status == SKIPPED else points(check.score)
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
                f"<pre>{html.escape(wrap(shown_message(check)))}</pre>",
                "</details>",
            ]
    if report.cells:
        lines += ["", "### Notebook cells that did not run cleanly", "", "| cell | status | message |", "|---|---|---|"]
        lines += [f"| {event.index + 1} | {event.status} | {_cell(event.message)} |" for event in report.cells]
    lines.append("")
    # each sentence its own quote, closed by a blank line: a line right after a quote is drawn inside it
    for line in run_lines(report):
        if not line.startswith("warning: "):
            lines += [f"> {_cell(line)}", ""]
    location = _html_location()
    if location:
        lines += [location, ""]
    lines.append(f"<sub>{html.escape(footer(report))}</sub>")
    return "\n".join(lines) + "\n"
