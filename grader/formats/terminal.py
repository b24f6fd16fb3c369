"""A readable table for a terminal (rich)."""

from __future__ import annotations

import io

from grader.report import ERROR, PASSED, Report

_STYLE = {PASSED: "green", ERROR: "magenta"}


def _points(value: float) -> str:
    return f"{value:g}"


def render(report: Report, width: int = 110) -> str:
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None, highlight=False)
    table = Table(title=f"{report.lab} ({report.framework}) — {report.notebook}", show_lines=False, expand=True)
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("message", ratio=1)
    for check in report.checks:
        table.add_row(
            check.id,
            f"[{_STYLE.get(check.status, 'red')}]{check.status}[/]",
            f"{_points(check.score)}/{_points(check.max_score)}",
            check.message,
        )
    console.print(table)
    for event in report.cells:
        console.print(f"cell {event.index + 1}: {event.status} — {event.message}")
    for note in report.notes:
        console.print(f"note: {note}")
    console.print(
        f"Score: {_points(report.score)}/{_points(report.max_score)}   "
        f"(notebook {report.execution_seconds:.1f} s, checks {report.grading_seconds:.1f} s, seed {report.seed})"
    )
    return buffer.getvalue()
