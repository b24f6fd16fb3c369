"""Code that runs inside the student's kernel.

These modules are not imported by the grader: their source text is sent to the kernel after the
student's notebook has run. They only call the student's functions and write the raw results to
files (JSON and ``.npz``); every verdict is made in the grader process.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def source(name: str) -> str:
    """Source text of one kernel-side module of this folder, e.g. ``"harness"``."""
    return (_HERE / f"{name}.py").read_text()
