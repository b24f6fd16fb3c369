"""Student notebooks generated from the reference notebooks.

Solution regions (``# BEGIN SOLUTION`` … ``# END SOLUTION``) become stubs, cells tagged
``uses-solution`` are wrapped so they do not fail before the student has done the work, cells
tagged ``reference-only`` are left out, and outputs are cleared. See docs/authoring.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.course.notebook import read_notebook
from grader.course.spec import Lab
from grader.errors import GraderError

_BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*# END SOLUTION\s*$")
_STUB = re.compile(r"^\s*# STUB: ?(?P<code>.*)$")
_DEF = re.compile(r"^(?P<indent>\s*)(?:async\s+)?def\s+(?P<name>\w+)\s*\(")
USES_SOLUTION, REFERENCE_ONLY = "uses-solution", "reference-only"


class ReleaseError(GraderError):
    """A reference notebook's solution markers are malformed."""


def _enclosing_function(lines: list[str], indent: str) -> str | None:
    for line in reversed(lines):
        match = _DEF.match(line)
        if match and len(match.group("indent")) < len(indent):
            return match.group("name")
    return None


def strip_solutions(source: str, where: str = "cell") -> str:
    """Replace every solution region of ``source`` by its stub."""
    out: list[str] = []
    lines = source.split("\n")
    index = 0
    while index < len(lines):
        begin = _BEGIN.match(lines[index])
        if not begin:
            if _END.match(lines[index]):
                raise ReleaseError(f"{where}: '# END SOLUTION' without '# BEGIN SOLUTION' (line {index + 1})")
            out.append(lines[index])
            index += 1
            continue
        indent = begin.group("indent")
        stop = next((j for j in range(index + 1, len(lines)) if _END.match(lines[j])), None)
        if stop is None:
            raise ReleaseError(f"{where}: '# BEGIN SOLUTION' on line {index + 1} is never closed")
        region = lines[index + 1:stop]
        if any(_BEGIN.match(line) for line in region):
            raise ReleaseError(f"{where}: nested '# BEGIN SOLUTION' after line {index + 1}")
        stubs = [match.group("code") for line in region if (match := _STUB.match(line))]
        if stubs:
            out.extend(f"{indent}{code}" for code in stubs)
        else:
            name = _enclosing_function(out, indent)
            label = f"{name}: " if name else ""
            out.append(f'{indent}raise NotImplementedError("{label}your code here")')
        index = stop + 1
    return "\n".join(out)


def wrap_uses_solution(source: str) -> str:
    body = "\n".join(f"    {line}" if line.strip() else line for line in source.split("\n"))
    return (
        "# Runs once the exercises above are done.\n"
        "try:\n"
        f"{body}\n"
        "except (NotImplementedError, NameError) as exc:\n"
        '    print(f"Skipped until the exercises above are done: {exc}")'
    )


def student_notebook(reference: nbformat.NotebookNode, lab: Lab, framework: str, name: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = nbformat.from_dict({
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "grader": {"lab": lab.id, "framework": framework},
    })
    header = nbformat.v4.new_markdown_cell(
        f"**{lab.title}** — student notebook ({framework}).\n\n"
        "Fill in every `raise NotImplementedError` and keep the names of the functions. "
        f"Check your work locally with `grader check {name}`; the grader calls your functions on its own "
        "inputs, so printed results are not graded."
    )
    header["id"] = "grader-header"
    nb.cells.append(header)
    for position, cell in enumerate(reference.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if REFERENCE_ONLY in tags:
            continue
        new = nbformat.from_dict(dict(cell))
        if cell.cell_type == "code":
            source = strip_solutions(cell.source, f"cell {position + 1}")
            if USES_SOLUTION in tags:
                source = wrap_uses_solution(source)
            new.source = source
            new.outputs = []
            new.execution_count = None
        new.metadata = nbformat.from_dict({"tags": sorted(tags)} if tags else {})
        nb.cells.append(new)
    return nb


@dataclass
class Release:
    framework: str
    path: Path
    text: str

    @property
    def up_to_date(self) -> bool:
        return self.path.is_file() and self.path.read_text(encoding="utf-8") == self.text


def build_release(lab: Lab) -> list[Release]:
    """The student notebooks of ``lab`` as they should be on disk."""
    releases = []
    for framework, flavour in lab.flavours.items():
        reference = read_notebook(flavour.reference)
        nb = student_notebook(reference, lab, framework, flavour.notebook.name)
        nbformat.validate(nb)
        releases.append(Release(framework, flavour.notebook, nbformat.writes(nb) + "\n"))
    return releases


def write_release(releases: list[Release]) -> list[Path]:
    written = []
    for release in releases:
        if not release.up_to_date:
            release.path.write_text(release.text, encoding="utf-8")
            written.append(release.path)
    return written
