"""Reading a submitted notebook and working out which lab and flavour it is."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from grader.errors import InputError


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook (any nbformat 4 minor); a file that is not one is an :class:`InputError`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a Jupyter notebook (not valid JSON: {exc})") from None
    except RecursionError:
        raise InputError(f"{path}: not a readable notebook (its JSON is nested too deeply)") from None
    except (OSError, MemoryError, ValueError) as exc:
        raise InputError(f"{path}: cannot be read ({type(exc).__name__}: {exc})"[:300]) from None
    if not isinstance(data, dict) or "cells" not in data or not isinstance(data.get("cells"), list):
        raise InputError(f"{path}: not a Jupyter notebook (no list of cells)")
    if data.get("nbformat") != 4:
        raise InputError(f"{path}: nbformat {data.get('nbformat')!r} is not supported; save it as nbformat 4")
    try:
        nb = nbformat.reads(text, as_version=4)
        # the grader reads sources and metadata later: they must be what a notebook holds
        for cell in nb.cells:
            if not isinstance(cell.get("source", ""), str) or not isinstance(cell.get("cell_type"), str):
                raise ValueError("a cell without a text source")
        if not isinstance(nb.get("metadata", {}), dict):
            raise ValueError("metadata is not a mapping")
        return nb
    except RecursionError:
        raise InputError(f"{path}: not a readable notebook (nested too deeply)") from None
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        raise InputError(f"{path}: not a readable notebook ({str(exc)[:200]})") from None


_TORCH = re.compile(r"^\s*(import torch|from torch)", re.M)
_KERAS = re.compile(r"^\s*(import keras|from keras|import tensorflow|from tensorflow)", re.M)


def identify(nb: nbformat.NotebookNode, lab: str | None, framework: str | None) -> tuple[str | None, str | None]:
    """Lab and framework from the flags, else from the notebook's metadata, else (framework) its imports."""
    meta = nb.metadata.get("grader", {}) if isinstance(nb.metadata.get("grader"), dict) else {}
    lab = lab or meta.get("lab")
    framework = framework or meta.get("framework")
    if framework is None:
        code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
        torch, keras = bool(_TORCH.search(code)), bool(_KERAS.search(code))
        if torch != keras:
            framework = "torch" if torch else "keras"
    return lab, framework


def imported_frameworks(nb: nbformat.NotebookNode) -> set[str]:
    """The flavours the notebook's code cells import ("torch", "keras" for Keras or TensorFlow)."""
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    return {name for name, pattern in (("torch", _TORCH), ("keras", _KERAS)) if pattern.search(code)}


def mismatch_warnings(nb: nbformat.NotebookNode, lab: str, framework: str) -> list[str]:
    """What the notebook itself says (metadata, imports) that contradicts grading it as ``lab``/``framework``."""
    meta = nb.metadata.get("grader", {}) if isinstance(nb.metadata.get("grader"), dict) else {}
    warnings = []
    if isinstance(meta.get("lab"), str) and meta["lab"] != lab:
        warnings.append(f"this notebook's metadata says it is lab {meta['lab']}, but it was graded as lab {lab}: "
                        "did you submit the right notebook?")
    if isinstance(meta.get("framework"), str) and meta["framework"] != framework:
        warnings.append(f"this notebook's metadata says it is the {meta['framework']} flavour, but it was graded "
                        f"as {framework}")
    other = {"torch": "keras", "keras": "torch"}.get(framework)
    imports = imported_frameworks(nb)
    if other in imports and meta.get("framework") in (None, framework):
        words = {"torch": "PyTorch", "keras": "Keras/TensorFlow"}
        also = " too" if framework in imports else ""
        warnings.append(f"this notebook imports {words[other]}{also}, but it was graded as the {framework} flavour")
    return warnings


def code_cells(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """(index, source) of every non-empty code cell; saved outputs are never looked at."""
    return [(i, cell.source) for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.source.strip()]
