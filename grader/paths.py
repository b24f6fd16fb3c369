"""Where the course (assignments and reference notebooks) lives."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def course_root() -> Path:
    """The folder holding ``assignments/`` and ``reference/``.

    ``GRADER_COURSE`` overrides it; an installed wheel carries the course inside the package;
    an editable install or a checkout uses the repository root.
    """
    override = os.environ.get("GRADER_COURSE")
    if override:
        return Path(override).resolve()
    bundled = _PACKAGE / "_course"
    if (bundled / "assignments").is_dir():
        return bundled
    return _PACKAGE.parent


def assignments_dir() -> Path:
    return course_root() / "assignments"


def package_file(name: str) -> Path:
    return _PACKAGE / name
