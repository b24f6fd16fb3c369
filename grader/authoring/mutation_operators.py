"""First-order mutation operators on a function's syntax tree (``grader mutants``).

Each operator walks one function definition and yields :class:`Site` s: a place in the tree and what it becomes.
:func:`function_mutants` applies every site, one at a time, to a fresh copy of the definition and writes it back
with :func:`ast.unparse` (comments are not kept; the mutant is code, not teaching material).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# operator swaps: what a plausible slip turns each into
_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
          ast.MatMult: ast.Mult, ast.Pow: ast.Mult, ast.Mod: ast.FloorDiv}
_CMPOP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
          ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
_BOOLOP = {ast.And: ast.Or, ast.Or: ast.And}
AXIS_KEYWORDS = {"axis", "dim"}
# methods and functions whose first (or, for cat/stack/concatenate, second) positional argument is an axis
_AXIS_FIRST = {"size", "unsqueeze", "squeeze", "softmax", "log_softmax", "cumsum", "argmax", "argmin"}
_AXIS_SECOND = {"cat", "stack", "concatenate", "concat", "expand_dims", "softmax", "log_softmax"}
ACTIVATIONS = ("tanh", "sigmoid", "relu")
_ACTIVATION_CLASSES = {"Tanh": "tanh", "Sigmoid": "sigmoid", "ReLU": "relu"}
_CLASS_OF = {v: k for k, v in _ACTIVATION_CLASSES.items()}


@dataclass(frozen=True)
class Mutant:
    function: str
    operator: str
    description: str  # what changed, in words, with the line in the function
    source: str  # the mutated definition


@dataclass
class Site:
    operator: str
    description: str
    apply: Callable[[ast.AST], None]  # on the copied node found at the same path


def _axis_value(value: int) -> int:
    return {0: 1, 1: 0, -1: -2, -2: -1}.get(value, value - 1 if value > 0 else value + 1)


def _int_of(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and type(node.operand.value) is int:
        return -node.operand.value
    return None


def _int_node(value: int) -> ast.AST:
    return ast.Constant(value) if value >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-value))


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _axis_nodes(tree: ast.AST) -> set[int]:
    """ids of the integer nodes that stand for an axis (left to the axis operator, not the constant one)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        candidates = [kw.value for kw in node.keywords if kw.arg in AXIS_KEYWORDS]
        name = _call_name(node)
        if name in _AXIS_FIRST and isinstance(node.func, ast.Attribute) and node.args:
            candidates.append(node.args[0])
        if name in _AXIS_SECOND and len(node.args) >= 2:
            candidates.append(node.args[1])
        for value in candidates:
            if _int_of(value) is not None:
                found.add(id(value))
                if isinstance(value, ast.UnaryOp):
                    found.add(id(value.operand))
    return found


def _line(node: ast.AST, first: int) -> str:
    return f"line {getattr(node, 'lineno', first) - first + 1}"


def _set(field: str, value_factory: Callable[[ast.AST], object]) -> Callable[[ast.AST], None]:
    def apply(node: ast.AST) -> None:
        setattr(node, field, value_factory(node))
    return apply


def sites(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[tuple[tuple, Site]]:
    """Every mutation site of ``function``: (path to the node from the definition, site)."""
    first = function.lineno
    axis = _axis_nodes(function)
    docstrings = {id(s.body[0]) for s in ast.walk(function)
                  if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and s.body
                  and isinstance(s.body[0], ast.Expr) and isinstance(s.body[0].value, ast.Constant)
                  and isinstance(s.body[0].value.value, str)}
    in_fstring: set[int] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.JoinedStr):
            in_fstring.update(id(n) for n in ast.walk(node))

    def walk(node: ast.AST, path: tuple) -> Iterator[tuple[tuple, ast.AST]]:
        yield path, node
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        yield from walk(item, (*path, (field, i)))
            elif isinstance(value, ast.AST):
                yield from walk(value, (*path, (field, None)))

    for path, node in walk(function, ()):
        if id(node) in in_fstring or id(node) in docstrings:
            continue
        where = _line(node, first)
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BINOP:
            new = _BINOP[type(node.op)]
            yield path, Site("operator", f"{where}: {type(node.op).__name__} -> {new.__name__}",
                             _set("op", lambda _n, new=new: new()))
        elif isinstance(node, ast.BoolOp):
            new = _BOOLOP[type(node.op)]
            yield path, Site("operator", f"{where}: {type(node.op).__name__} -> {new.__name__}",
                             _set("op", lambda _n, new=new: new()))
        elif isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in _CMPOP:
                    new = _CMPOP[type(op)]

                    def swap(n: ast.AST, i: int = i, new: type = new) -> None:
                        n.ops[i] = new()
                    which = f" (comparison {i + 1} of {len(node.ops)})" if len(node.ops) > 1 else ""
                    yield path, Site("comparison", f"{where}: {type(op).__name__} -> {new.__name__}{which}", swap)
        if isinstance(node, ast.Constant) and id(node) not in axis:
            value = node.value
            if type(value) is bool:
                yield path, Site("flag", f"{where}: {value} -> {not value}", _set("value", lambda _n, v=value: not v))
            elif type(value) is int:
                new_int = {0: 1, 1: 0}.get(value, value + 1)
                yield path, Site("constant", f"{where}: {value} -> {new_int}", _set("value", lambda _n, v=new_int: v))
            elif type(value) is float:
                new_float = 1.0 if value == 0 else value * 2
                yield path, Site("constant", f"{where}: {value!r} -> {new_float!r}",
                                 _set("value", lambda _n, v=new_float: v))
            elif isinstance(value, str) and value in ACTIVATIONS:
                for other in ACTIVATIONS:
                    if other != value:
                        yield path, Site("activation", f"{where}: {value!r} -> {other!r}",
                                         _set("value", lambda _n, v=other: v))
        if isinstance(node, ast.Slice):
            for bound in ("lower", "upper"):
                value = getattr(node, bound)
                if value is None:
                    shifted = ast.Constant(1) if bound == "lower" else _int_node(-1)
                    yield path, Site("slice", f"{where}: slice {bound} bound added ({ast.unparse(shifted)})",
                                     _set(bound, lambda _n, s=shifted: copy.deepcopy(s)))
                else:
                    step = -1 if _int_of(value) is not None else 1  # a constant bound is already moved up by +1
                    text = f"{ast.unparse(value)} {'+' if step > 0 else '-'} 1"
                    yield path, Site("slice", f"{where}: slice {bound} bound {ast.unparse(value)} -> {text}",
                                     _set(bound, lambda _n, b=bound, t=text: ast.parse(t, mode="eval").body))
        if isinstance(node, ast.Call):
            yield from _call_sites(node, path, where, axis)
        if isinstance(node, ast.Attribute) and node.attr in ACTIVATIONS + tuple(_ACTIVATION_CLASSES):
            name = _ACTIVATION_CLASSES.get(node.attr, node.attr)
            for other in ACTIVATIONS:
                if other != name:
                    new_attr = _CLASS_OF[other] if node.attr in _ACTIVATION_CLASSES else other
                    yield path, Site("activation", f"{where}: .{node.attr} -> .{new_attr}",
                                     _set("attr", lambda _n, v=new_attr: v))
        if isinstance(node, ast.stmt) and node is not function and id(node) not in docstrings \
                and not isinstance(node, (ast.Pass, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                          ast.Global, ast.Nonlocal)):
            text = ast.unparse(node).split("\n")[0]
            yield path, Site("removed", f"{where}: removed `{text[:70]}`", None)  # replaced in the parent


def _call_sites(node: ast.Call, path: tuple, where: str, axis: set[int]) -> Iterator[tuple[tuple, Site]]:
    for j, kw in enumerate(node.keywords):
        value = _int_of(kw.value)
        if kw.arg in AXIS_KEYWORDS and value is not None:
            new = _axis_value(value)

            def set_kw(n: ast.AST, j: int = j, new: int = new) -> None:
                n.keywords[j].value = _int_node(new)
            yield path, Site("axis", f"{where}: {kw.arg}={value} -> {kw.arg}={new}", set_kw)
    positions = []
    name = _call_name(node)
    if name in _AXIS_FIRST and isinstance(node.func, ast.Attribute) and node.args:
        positions.append(0)
    if name in _AXIS_SECOND and len(node.args) >= 2:
        positions.append(1)
    for i in positions:
        value = _int_of(node.args[i])
        if value is not None and id(node.args[i]) in axis:
            new = _axis_value(value)

            def set_arg(n: ast.AST, i: int = i, new: int = new) -> None:
                n.args[i] = _int_node(new)
            yield path, Site("axis", f"{where}: {name}(.., {value}) -> {name}(.., {new})", set_arg)
    plain = [a for a in node.args if not isinstance(a, ast.Starred)]
    if len(plain) == len(node.args):
        for i in range(len(node.args) - 1):
            if ast.dump(node.args[i]) != ast.dump(node.args[i + 1]):
                def swap(n: ast.AST, i: int = i) -> None:
                    n.args[i], n.args[i + 1] = n.args[i + 1], n.args[i]
                yield path, Site("swap", f"{where}: arguments {i + 1} and {i + 2} of {name or 'a call'} swapped", swap)


def _follow(root: ast.AST, path: tuple) -> ast.AST:
    node = root
    for field, index in path:
        node = getattr(node, field) if index is None else getattr(node, field)[index]
    return node


def function_mutants(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Mutant]:
    """Every first-order mutant of ``function`` that still compiles and differs from it."""
    original = ast.unparse(function)
    mutants, seen = [], {original}
    for path, site in sites(function):
        tree = copy.deepcopy(function)
        if site.apply is None:  # a statement replaced by `pass`
            field, index = path[-1]
            parent = _follow(tree, path[:-1])
            getattr(parent, field)[index] = ast.Pass()
        else:
            site.apply(_follow(tree, path))
        ast.fix_missing_locations(tree)
        try:
            source = ast.unparse(tree)
            compile(source, f"<mutant of {function.name}>", "exec")
        except (SyntaxError, ValueError, TypeError):
            continue
        if source in seen:
            continue
        seen.add(source)
        mutants.append(Mutant(function.name, site.operator, site.description, source))
    return mutants
