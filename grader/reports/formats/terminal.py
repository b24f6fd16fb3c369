"""A readable table for a terminal (rich): as wide as the terminal, coloured only on one (NO_COLOR kept).

Text that may be the student's is shown, never run: its control and escape sequences written out, its rich
markup escaped (:func:`grader.reports.formats.inert.rich`).
"""

from __future__ import annotations

import io
from typing import TextIO

from grader.reports.formats import inert
from grader.reports.formats.common import footer, notebook_name, points, run_lines, shown_message, status_word
from grader.reports.report import ERROR, PASSED, SKIPPED, Report

_STYLE = {PASSED: "green", ERROR: "magenta", SKIPPED: "yellow"}
FILE_WIDTH = 110
NARROW = 64  # narrower than this, a four-column table folds words: one block per check instead


def render(report: Report, width: int = FILE_WIDTH, stream: TextIO | None = None) -> str:
    """The report as text. With ``stream`` (where the text will be written), width and colour follow what
    rich detects there: the terminal's width and colours on a TTY, plain text elsewhere, none with NO_COLOR."""
    from rich.console import Console

    buffer = io.StringIO()
    if stream is None:
        console = Console(file=buffer, width=width, force_terminal=False, color_system=None, highlight=False)
    else:
        probe = Console(file=stream)
        terminal = probe.is_terminal
        console = Console(file=buffer, width=probe.width if terminal else width, force_terminal=terminal,
                          color_system=probe.color_system if terminal else None, no_color=probe.no_color,
                          highlight=False)
    _print(console, report)
    return buffer.getvalue()


def _print(console, report: Report) -> None:
    from rich.padding import Padding
    from rich.table import Table

    # every text that may be the student's goes through inert.rich: no control or escape sequence, no markup
    escape = inert.rich
    title = escape(f"{report.lab} ({report.framework}) — {notebook_name(report.notebook)}")
    rows = [(escape(check.id), f"[{_STYLE.get(check.status, 'red')}]{status_word(check.status)}[/]",
             # a pending check's points are neither earned nor lost yet
             f"{'–' if check.status == SKIPPED else points(check.score)}/{points(check.max_score)}",
             escape(shown_message(check) if check.status == SKIPPED else check.message))  # TAs read this one
            for check in report.checks]
    for line in run_lines(report):
        if line.startswith("warning: "):
            console.print(f"[bold yellow]{escape(line)}[/]")
    if console.width < NARROW:
        console.print(f"[bold]{title}[/]")
        for check_id, status, earned, message in rows:
            console.print(f"[bold]{check_id}[/] · {status} · {earned}")
            console.print(Padding(message, (0, 0, 0, 2)))
    else:
        table = Table(title=title, show_lines=False, expand=True)
        table.add_column("check", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("points", justify="right", no_wrap=True)
        table.add_column("message", ratio=1)
        for row in rows:
            table.add_row(*row)
        console.print(table)
    for event in report.cells:
        console.print(escape(f"cell {event.index + 1}: {event.status} — {event.message}"))
    for line in run_lines(report):
        if not line.startswith("warning: "):
            console.print(f"note: {escape(line)}")
    pending = f" ({points(report.pending_score)} pending)" if report.pending_score else ""
    console.print(escape(f"Score: {points(report.score)}/{points(report.max_score)}{pending}"))
    console.print(escape(footer(report)))
