"""Printing text that students control in GitHub Actions without letting it speak to the runner.

GitHub Actions reads ``::command::`` lines (``::notice``, ``::set-output``, ``::add-mask``...) from a
step's standard output and error. A message or cell error that the student's code made up could print
points lines of its own ahead of the grader's. Text is fenced between ``::stop-commands::TOKEN`` and
``::TOKEN::`` with a random token that the student cannot know in advance, and any line of it that
would still end the fence or start a command is escaped as well.
"""

from __future__ import annotations

import os
import re
import secrets

_COMMAND_START = re.compile(r"^(\s*)::", re.M)


def in_github_actions(environ: dict[str, str] | None = None) -> bool:
    return (os.environ if environ is None else environ).get("GITHUB_ACTIONS", "").lower() == "true"


def escape_commands(text: str) -> str:
    """``::`` at the start of a line becomes ``:\u200b:`` (a zero-width space), which no runner reads."""
    return _COMMAND_START.sub("\\1:\u200b:", text)


def fence(text: str, token: str | None = None) -> str:
    """``text`` between ``::stop-commands::TOKEN`` and ``::TOKEN::`` (commands off in between), escaped too."""
    token = token or secrets.token_hex(16)
    body = escape_commands(text)
    if body and not body.endswith("\n"):
        body += "\n"
    return f"::stop-commands::{token}\n{body}::{token}::\n"


def for_log(text: str, environ: dict[str, str] | None = None) -> str:
    """What to print of student-controlled ``text`` already made inert for a terminal (a rendered report, or
    :func:`grader.reports.formats.inert.visible` of a raw message): fenced in GitHub Actions, unchanged elsewhere."""
    return fence(text) if in_github_actions(environ) else text
