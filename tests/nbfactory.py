"""Builds notebooks for tests from percent-format Python files (``# %%`` separates cells)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


def notebook_from_source(text: str, lab: str | None = None, framework: str | None = None) -> nbformat.NotebookNode:
    header = re.search(r"^# grader: lab=(\S+) framework=(\S+)", text, re.M)
    if header:
        lab, framework = lab or header.group(1), framework or header.group(2)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if lab:
        nb.metadata["grader"] = {"lab": lab, "framework": framework}
    for chunk in re.split(r"^# %%.*$", text, flags=re.M):
        if chunk.strip():
            nb.cells.append(nbformat.v4.new_code_cell(chunk.strip("\n")))
    return nb


def write_notebook(name: str, directory: Path, **kwargs: str) -> Path:
    """Turn ``tests/notebooks/<name>.py`` into ``directory/<name>.ipynb``."""
    nb = notebook_from_source((NOTEBOOKS / f"{name}.py").read_text(), **kwargs)
    path = directory / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path
