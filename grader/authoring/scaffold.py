"""``grader new LAB --from REFERENCE.ipynb``: a gradable lab from a solved notebook.

Every function the reference defines at top level with a solution region (``# BEGIN SOLUTION`` … ``# END
SOLUTION``) gets an ``oracle`` check worth one point: the student's function is called on drawn inputs and
compared with the reference's. The inputs come from a ``# grader:`` hint in the function (a YAML mapping of
the check's params, e.g. ``# grader: {dims: {n: [3, 12]}, args: [{array: {shape: [n]}}, {int: [1, n]}]}``),
else from the signature (annotations, defaults and common names), else they are left as ``TODO`` for the
instructor, which ``grader validate`` reports. The reference is copied to ``reference/<framework>/LAB.ipynb``
of the private course, the student notebook is released from it, and a README describes the lab.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from grader.course.lab_extras import LAB_EXTRAS, extras_for, imported_modules
from grader.course.notebook import identify, read_notebook
from grader.course.paths import assignments_dir, course_root, private_root
from grader.course.release import _BEGIN
from grader.course.spec import validate_data
from grader.errors import InputError, SpecError

_LAB_ID = re.compile(r"^[0-9]{2}-[a-z0-9-]+$")
_HINT = re.compile(r"^\s*#\s*grader:\s*(?P<body>.+)$")
_INT_NAMES = re.compile(r"^(n|k|m|size|width|window|steps?|lag|horizon|units|n_\w+|num_\w+|\w+_size|\w+_len|"
                        r"\w+_length|\w+_units|\w+_dim|\w+_count)$")
_ARRAY_NAMES = re.compile(r"^(x|y|z|xs|ys|a|b|v|w|h|logits|scores|values|series|seq|sequence|inputs?|batch|"
                          r"data|signal|\w+_seq|\w+_series)$")


@dataclass
class Function:
    name: str
    params: dict[str, Any]
    todo: list[str] = field(default_factory=list)  # parameters whose inputs could not be inferred
    hinted: bool = False


@dataclass
class Scaffold:
    lab_id: str
    framework: str
    lab_dir: Path
    reference: Path
    functions: list[Function]
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def solution_functions(nb: nbformat.NotebookNode) -> list[Function]:
    """The top-level functions of the notebook's code cells that hold a solution region, with their inputs."""
    found: list[Function] = []
    for position, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        lines = cell.source.split("\n")
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as exc:
            raise InputError(f"cell {position + 1} of the reference is not valid Python: {exc}") from None
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            body = lines[node.lineno - 1:node.end_lineno]
            if not any(_BEGIN.match(line) for line in body):
                continue
            hint_lines = [m.group("body") for line in lines[max(0, node.lineno - 4):node.end_lineno]
                          if (m := _HINT.match(line))]
            found.append(infer(node, hint_lines))
    return found


def infer(node: ast.FunctionDef, hints: list[str]) -> Function:
    """The check's params for one function: its ``# grader:`` hints, else what its signature tells."""
    params: dict[str, Any] = {"function": node.name}
    for hint in hints:
        try:
            data = yaml.safe_load(hint)
        except yaml.YAMLError as exc:
            raise InputError(f"{node.name}: the `# grader:` hint is not YAML: {exc}") from None
        if not isinstance(data, dict):
            raise InputError(f"{node.name}: a `# grader:` hint is a mapping, e.g. {{args: [{{int: [1, 5]}}]}}")
        params.update(data)
    if "args" in params or "kwargs" in params or "generator" in params:
        return Function(node.name, params, hinted=True)
    arguments = node.args
    positional = arguments.posonlyargs + arguments.args
    required = positional[:len(positional) - len(arguments.defaults)]
    args, todo = [], []
    for arg in required:
        spec = _guess(arg)
        if spec is None:
            todo.append(arg.arg)
            spec = f"TODO {arg.arg}: how to draw it, e.g. {{array: {{shape: [[2, 6]], dtype: float32}}}}"
        args.append(spec)
    params["args"] = args
    return Function(node.name, params, todo)


def _guess(arg: ast.arg) -> Any:
    annotation = ast.unparse(arg.annotation) if arg.annotation is not None else ""
    name = arg.arg.lower()
    if annotation == "int" or (not annotation and _INT_NAMES.match(name)):
        return {"int": [1, 6]}
    if annotation == "float":
        return {"float": [-2.0, 2.0]}
    if annotation == "bool":
        return {"choice": [True, False]}
    if annotation.endswith("ndarray") or annotation.endswith("Tensor") or (not annotation and _ARRAY_NAMES.match(name)):
        kind = "tensor" if annotation.endswith("Tensor") else "array"
        return {kind: {"shape": [[2, 6], [2, 6]] if name in ("x", "xs", "z", "batch", "logits", "scores") else [[3, 10]],
                       "dtype": "float32"}}
    return None


def _title(nb: nbformat.NotebookNode, lab_id: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.split("\n"):
                if line.startswith("#"):
                    return line.lstrip("#").strip() or lab_id
    return lab_id


def new_lab(lab_id: str, reference: Path, framework: str | None = None, force: bool = False) -> Scaffold:
    """Write the lab ``lab_id`` (spec, README, reference copy, student notebook); see the module's docstring."""
    from grader.course.labs import load_lab
    from grader.course.release import build_release, write_release

    if not _LAB_ID.match(lab_id):
        raise InputError(f"{lab_id!r}: a lab id is two digits, a hyphen and lower-case words (e.g. 07-attention)")
    nb = read_notebook(Path(reference))
    _, detected = identify(nb, None, framework)
    framework = detected or "torch"
    if framework not in ("keras", "torch"):
        raise InputError(f"unknown framework {framework!r} (keras or torch)")
    functions = solution_functions(nb)
    if not functions:
        raise InputError(f"{reference}: no top-level function with a '# BEGIN SOLUTION' region: nothing to grade")
    lab_dir = assignments_dir() / lab_id
    private = private_root() or course_root()
    reference_rel = Path("reference") / framework / f"{lab_id}.ipynb"
    spec_path = lab_dir / "assignment.yaml"
    existing = yaml.safe_load(spec_path.read_text()) if spec_path.is_file() and not force else None
    if existing is not None and framework in (existing.get("flavours") or {}):
        raise InputError(f"{lab_dir}: the lab exists already with a {framework} flavour (--force overwrites its "
                         "spec, README and notebooks)")
    title = _title(nb, lab_id)
    flavour = {"notebook": f"{lab_id}-{framework}.ipynb", "reference": reference_rel.as_posix()}
    if existing is not None:
        spec = add_flavour(existing, framework, flavour, functions)
        if "extras" in spec:  # the new flavour's imports too
            wanted = {*spec["extras"], *extras_for(imported_modules(nb))}
            spec["extras"] = [extra for extra in LAB_EXTRAS if extra in wanted]
    else:
        spec = {
            "lab": lab_id,
            "title": title,
            "description": f"Scaffolded by `grader new` from {Path(reference).name}: one oracle check per function.",
            "api": [f.name for f in functions],
            "extras": list(extras_for(imported_modules(nb))),
            "flavours": {framework: flavour},
            "limits": {"cell_timeout": 60, "notebook_timeout": 300, "probe_timeout": 60},
            "checks": [_check(f) for f in functions],
        }
    try:  # before anything is written
        validate_data(spec, str(spec_path))
    except SpecError as exc:  # e.g. a `# grader:` hint with a key oracle checks do not take
        raise InputError(f"{exc} (check the `# grader:` hints of the reference)") from None

    out = Scaffold(lab_id, framework, lab_dir, private / reference_rel, functions)
    (lab_dir / "public").mkdir(parents=True, exist_ok=True)
    copy = nbformat.from_dict(dict(nb))
    copy.metadata["grader"] = {"lab": lab_id, "framework": framework}
    copy.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    out.reference.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(copy, out.reference)
    out.written.append(out.reference)
    spec_path.write_text(_header(functions) + yaml.safe_dump(spec, sort_keys=False, width=110, default_flow_style=None))
    out.written.append(spec_path)
    if existing is not None:
        out.notes.append(f"added the {framework} flavour to {spec_path.name} (rewritten: its comments are not kept)")
    else:
        readme = lab_dir / "README.md"
        readme.write_text(_readme(out, title))
        out.written.append(readme)
    out.written += write_release(build_release(load_lab(lab_id)))
    return out


def _check(function: Function, flavours: list[str] | None = None, taken: set[str] = frozenset()) -> dict[str, Any]:
    check_id = base = re.sub(r"[^a-z0-9]+", "-", function.name.lower()).strip("-") or "check"
    if check_id in taken and flavours:
        check_id = f"{base}-{flavours[0]}"
    number = 2
    while check_id in taken:
        check_id, number = f"{base}-{number}", number + 1
    check: dict[str, Any] = {"id": check_id, "title": f"{function.name} returns what the reference returns",
                             "kind": "oracle", "points": 1}
    if flavours:
        check["flavours"] = flavours
    check["params"] = function.params
    return check


def add_flavour(spec: dict[str, Any], framework: str, flavour: dict[str, str], functions: list[Function]) -> dict[str, Any]:
    """``spec`` with the flavour ``framework`` added: the oracle checks of functions both references define
    apply to both; a function only the new reference defines gets a check of its own flavour, and the checks of
    a function it does not define keep to the flavours they had."""
    before = list(spec["flavours"])
    spec["flavours"][framework] = flavour
    names = {f.name for f in functions}
    checked = set()
    for check in spec["checks"]:
        function = (check.get("params") or {}).get("function") if check.get("kind") == "oracle" else None
        if function is not None:
            checked.add(function)
            if function not in names and "flavours" not in check:
                check["flavours"] = before
    taken = {check["id"] for check in spec["checks"]}
    for function in functions:
        if function.name not in checked:
            spec["checks"].append(_check(function, [framework], taken))
            taken.add(spec["checks"][-1]["id"])
    api = list(spec.get("api", []))
    spec["api"] = api + [f.name for f in functions if f.name not in api]
    return spec


def _header(functions: list[Function]) -> str:
    todo = [f"#   {f.name}: {', '.join(f.todo)}" for f in functions if f.todo]
    text = "# Written by `grader new`. Each oracle check compares the student's function with the reference's on\n" \
           "# the inputs drawn as declared under params (see docs/authoring.md, 'Oracle checks').\n"
    if todo:
        text += "# TODO: declare how to draw these inputs (grader validate reports them until then):\n" + \
                "\n".join(todo) + "\n"
    return text


def _readme(out: Scaffold, title: str) -> str:
    rows = "\n".join(
        f"| `{f.name}` | oracle, 1 point | "
        + (f"TODO: inputs of {', '.join(f.todo)}" if f.todo else ("from its `# grader:` hint" if f.hinted
                                                                    else "inferred from its signature"))
        + " |"
        for f in out.functions
    )
    return f"""# {out.lab_id}: {title}

Student notebook: `{out.lab_id}-{out.framework}.ipynb` ({out.framework} flavour), released from the reference
notebook `reference/{out.framework}/{out.lab_id}.ipynb` of the private course.

## Checks

Each function the reference defines inside solution markers is judged by an `oracle` check: the grader calls the
student's function and the reference's on the same inputs it draws (see `assignment.yaml`) and compares what
comes back: values within tolerances, shapes, dtypes, tuples/lists/dicts, the exception raised.

| Function | Check | Inputs |
|---|---|---|
{rows}

## Making it ready

```bash
grader validate {out.lab_id}    # reference full marks, student notebook 0, every input declared
grader release {out.lab_id}     # after editing the reference
grader record {out.lab_id}      # the reference's answers to the public inputs, for students' own runs
```
"""
