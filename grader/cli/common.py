"""What every command shares: exit codes, the one way to fail, GitHub Actions' files."""

from __future__ import annotations

import os
import sys

import click

from grader.reports.formats.inert import visible

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {visible(message)}", err=True)  # a message may quote a file name or a student's text
    sys.exit(code)



def _github_append(variable: str, text: str) -> None:
    """Append to the file a GitHub Actions variable names (job summary, step outputs), if set."""
    target = os.environ.get(variable)
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        click.echo(f"warning: could not write ${variable}: {exc}", err=True)
