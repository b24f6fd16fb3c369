"""The grader's extras a lab may declare (its spec's ``extras``), and which of a notebook's imports need which.

A student's install of one lab takes the core, the framework's extra and the lab's extras only
(:func:`grader.platforms.starter.student_extras`); a lab whose spec declares none takes them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import nbformat

# the extras of pyproject.toml a lab may take, beyond the frameworks' own (keras, torch) and the staff's
LAB_EXTRAS = ("pandas", "sklearn", "plots")
# a top-level module a notebook or a check imports -> the extra that installs it
IMPORT_EXTRA = {"pandas": "pandas", "sklearn": "sklearn", "scipy": "sklearn", "matplotlib": "plots"}

_IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", re.M)


def imports_in(source: str) -> set[str]:
    """The top-level modules Python source imports (at the start of a line)."""
    return set(_IMPORT.findall(source))


def imported_modules(nb: nbformat.NotebookNode) -> set[str]:
    """The top-level modules the notebook's code cells import."""
    return {name for cell in nb.cells if cell.cell_type == "code" for name in imports_in(cell.source)}


def extras_for(modules: Iterable[str]) -> tuple[str, ...]:
    """The lab extras that install ``modules`` (in :data:`LAB_EXTRAS` order)."""
    needed = {IMPORT_EXTRA[name] for name in modules if name in IMPORT_EXTRA}
    return tuple(extra for extra in LAB_EXTRAS if extra in needed)
