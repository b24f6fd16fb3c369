"""Where the course (assignments and reference notebooks) lives."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # grader/


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


def private_root() -> Path | None:
    """The private course: hidden data, reference notebooks, wrong solutions and the grader's numerics.

    ``GRADER_PRIVATE`` names its folder (``--private DIR`` sets it; a checkout of the course repository is
    one). Without it, a checkout is its own private course; a public install has none (``None``), and so
    does any run with ``GRADER_PUBLIC_ONLY`` set (grading as a student's install would).
    """
    if os.environ.get("GRADER_PUBLIC_ONLY"):
        return None
    named = os.environ.get("GRADER_PRIVATE")
    if named:
        return Path(named).expanduser().resolve()
    checkout = _PACKAGE.parent
    if is_private_course(checkout):
        return checkout
    return None


def is_private_course(folder: Path) -> bool:
    """Whether ``folder`` holds a private course (reference notebooks and the grader's numerics)."""
    return (folder / "reference").is_dir() and (folder / "grader" / "judging" / "numerics" / "rnn.py").is_file()


def assignments_dir() -> Path:
    return course_root() / "assignments"


def package_file(name: str) -> Path:
    """A data file of the course layer (the JSON schemas), beside this module."""
    return Path(__file__).resolve().parent / name
