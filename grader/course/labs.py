"""The labs of the course: discovery and lookup by id."""

from __future__ import annotations

from pathlib import Path

from grader.course.paths import assignments_dir
from grader.course.spec import Lab, read_lab
from grader.errors import InputError


def lab_ids(root: Path | None = None) -> list[str]:
    base = root or assignments_dir()
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / "assignment.yaml").is_file())


def load_lab(lab_id: str, root: Path | None = None) -> Lab:
    """Load and validate one lab's spec; an unknown id is an :class:`InputError`."""
    known = lab_ids(root)
    if lab_id not in known:
        raise InputError(f"unknown lab {lab_id!r}; known labs: {', '.join(known) or '(none)'}")
    return read_lab((root or assignments_dir()) / lab_id)


def list_labs(root: Path | None = None) -> list[Lab]:
    return [load_lab(lab_id, root) for lab_id in lab_ids(root)]
