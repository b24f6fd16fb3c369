"""The house as docs/architecture.md draws it: subpackages in layers, no import running back up, no circle.

Every ``import`` of the grader in ``grader/`` is read (those inside functions too), as the module it names.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "grader"
# bottom to top; a module may import its own layer and those below it
LAYERS = ["errors", "version", "course", "reports", "kernel", "judging", "platforms", "batch", "authoring", "cli"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The grader modules ``path`` imports (``from grader.x import y``: ``grader.x.y`` where that is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "grader"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                node.module.split(".")[0] == "grader":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if _exists(sub) else node.module)
    return found


def _exists(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in PACKAGE.rglob("*.py") if "inside" not in p.parts}


def layer(module: str) -> int | None:
    """The module's layer; None for the package's API (``grader``, ``grader.__main__``), which is above them all."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return None
    return LAYERS.index(parts[1])


def upward(edges: dict[str, set[str]]) -> list[str]:
    out = []
    for source, targets in edges.items():
        for target in targets:
            low, high = layer(source), layer(target)
            if high is None and low is not None:
                out.append(f"{source} imports the package's API ({target})")
            elif low is not None and high is not None and high > low:
                out.append(f"{source} (layer {LAYERS[low]}) imports {target} (layer {LAYERS[high]})")
    return sorted(out)


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def test_every_subpackage_is_a_layer_and_says_what_it_may_import():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(LAYERS) - {"errors", "version"}
    for name in packages:
        doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))
        assert doc, name
    top = {p.name for p in PACKAGE.glob("*.py")}
    assert top == {"__init__.py", "__main__.py", "errors.py", "version.py"}


def test_no_import_runs_back_up_and_there_is_no_circle():
    edges = graph()
    assert len(edges) > 80 and "grader.kernel.sandbox" in edges["grader.kernel.notebook_run"]
    assert upward(edges) == []
    assert circles(edges) == []


def test_the_rules_catch_an_upward_import_and_a_circle():
    """What the test above would say of the layout before the move: the batch importing the CLI, and back."""
    edges = {"grader.batch.task": {"grader.cli.grading_commands"}, "grader.cli.grading_commands": {"grader.batch.task"},
             "grader.course.labs": {"grader.judging.checks"}, "grader.reports.formats.html": {"grader"}}
    assert upward(edges) == ["grader.batch.task (layer batch) imports grader.cli.grading_commands (layer cli)",
                             "grader.course.labs (layer course) imports grader.judging.checks (layer judging)",
                             "grader.reports.formats.html imports the package's API (grader)"]
    assert circles(edges) == [["grader.batch.task", "grader.cli.grading_commands"]]
