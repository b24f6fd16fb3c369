"""The course layer's JSON schemas (``assignment.schema.json``, ``course.schema.json``), read once, and the
problems a document has against one, each named by its place in the document."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from grader.course.paths import package_file


@cache
def load(name: str) -> dict[str, Any]:
    return json.loads(package_file(name).read_text(encoding="utf-8"))


def problems(name: str, data: Any, reword: Callable[[Any], str | None] | None = None) -> list[str]:
    """``place: message`` for every error of ``data`` against schema ``name``, in the document's order.

    ``reword(error)`` (a ``jsonschema`` error) gives the message to show, or None to leave the error out (one that
    the caller names better itself)."""
    from jsonschema import Draft202012Validator

    found = []
    for error in sorted(Draft202012Validator(load(name)).iter_errors(data), key=lambda e: list(e.absolute_path)):
        message = reword(error) if reword is not None else error.message
        if message is not None:
            found.append(f"{'/'.join(str(part) for part in error.absolute_path) or '(top level)'}: {message}")
    return found
