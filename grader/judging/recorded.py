"""Recorded expectations: the public checks judged where the private course is not installed.

The grader's own implementation of the labs (:mod:`grader.judging.numerics`) is the solution of most labs, so it is
private. ``grader record`` (run by the teaching staff, with the private course) plans each public check on
public data with a fixed seed, calls the reference notebook, and judges it with every numerics module that
the check modules use wrapped in a :class:`Recorder`: each value a numerics function returns is written
down, keyed by its exact arguments. A public install judges the same recorded calls with :class:`Replayer`
in place of those modules: a student learns the expected outputs of the recorded examples, never a function
that computes them. A value that was not recorded (a diagnosis the reference never needed) raises
:class:`NotRecorded`.

Values travel as JSON plus one ``.npz`` of arrays, read with ``allow_pickle=False``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.kernel.probing import CallError, CallResult, Frame, Opaque, Raw

FORMAT_VERSION = 1
_CHECK_MODULES = ("grader.judging.checks.rnn_cells", "grader.judging.checks.windowing", "grader.judging.checks.clipping",
                  "grader.judging.checks.models", "grader.judging.checks.tracing",
                  "grader.judging.checks.tracing_models", "grader.judging.checks.improving",
                  "grader.judging.checks.oracle", "grader.judging.checks.text")


class NotRecorded(Exception):
    """A numerics value that the recording does not hold: the check cannot be judged here."""


# -- a codec for plans and numerics values -----------------------------------------------------------
def encode(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    """``tree`` as JSON-able data; arrays go into ``arrays`` (keys ``a0``, ``a1``, ...)."""
    if isinstance(tree, (np.ndarray, np.generic)):
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(tree)
        return {"__nd__": key, "scalar": isinstance(tree, np.generic)}
    if isinstance(tree, Raw):
        return {"__raw__": encode(tree.array, arrays)}
    if isinstance(tree, Frame):
        return {"__frame__": [[name, encode(column, arrays)] for name, column in tree.columns.items()]}
    if isinstance(tree, Opaque):
        return {"__opaque__": tree.type_name}
    if isinstance(tree, CallResult):
        error = None if tree.error is None else {
            "type": tree.error.type, "message": tree.error.message, "where": tree.error.where,
            "mro": list(tree.error.mro), "missing": tree.error.missing}
        return {"__result__": [tree.ok, encode(tree.value, arrays), error]}
    if isinstance(tree, tuple):
        return {"__tuple__": [encode(item, arrays) for item in tree]}
    if isinstance(tree, list):
        return [encode(item, arrays) for item in tree]
    if isinstance(tree, dict):
        return {"__dict__": [[encode(key, arrays), encode(value, arrays)] for key, value in tree.items()]}
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    raise TypeError(f"cannot record a {type(tree).__name__}")


def decode(tree: Any, arrays: Any) -> Any:
    if isinstance(tree, list):
        return [decode(item, arrays) for item in tree]
    if isinstance(tree, dict):
        if "__nd__" in tree:
            array = np.array(arrays[tree["__nd__"]])  # a copy: a judge may write into what it gets
            return array[()] if tree.get("scalar") else array
        if "__raw__" in tree:
            return Raw(decode(tree["__raw__"], arrays))
        if "__frame__" in tree:
            return Frame({str(name): decode(column, arrays) for name, column in tree["__frame__"]})
        if "__opaque__" in tree:
            return Opaque(str(tree["__opaque__"]))
        if "__result__" in tree:
            ok, value, error = tree["__result__"]
            return CallResult(bool(ok), decode(value, arrays), None if error is None else CallError(
                str(error["type"]), str(error["message"]), str(error["where"]), tuple(error["mro"]),
                bool(error["missing"])))
        if "__tuple__" in tree:
            return tuple(decode(item, arrays) for item in tree["__tuple__"])
        if "__dict__" in tree:
            return {_hashable(decode(key, arrays)): decode(value, arrays) for key, value in tree["__dict__"]}
        raise ValueError("malformed recording")
    return tree


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def call_key(module: str, function: str, args: tuple, kwargs: dict) -> str:
    """A digest of a numerics call: the function and the exact value of every argument."""
    digest = hashlib.sha256(f"{module}.{function}".encode())
    _feed(digest, (args, tuple(sorted(kwargs.items()))))
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.ascontiguousarray(value)
        digest.update(f"nd{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    elif isinstance(value, (list, tuple)):
        digest.update(f"{type(value).__name__}{len(value)}(".encode())
        for item in value:
            _feed(digest, item)
        digest.update(b")")
    elif isinstance(value, dict):
        digest.update(f"dict{len(value)}(".encode())
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
        digest.update(b")")
    elif value is None or isinstance(value, (bool, int, float, str)):
        digest.update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, Path):
        # by content: a public stand-in is rebuilt in another folder, with the same bytes
        digest.update(b"file:" + (hashlib.sha256(value.read_bytes()).digest() if value.is_file() else b"-"))
    else:
        raise NotRecorded(f"a {type(value).__name__} argument cannot be looked up")


# -- recording and replaying numerics ----------------------------------------------------------------
@dataclass
class Table:
    """Recorded numerics values of one check: calls by digest, constants by dotted name."""

    calls: dict[str, Any] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)


class Recorder:
    """Stands in for a numerics module: calls go through, and what they return is written to ``table``."""

    def __init__(self, name: str, module: ModuleType, table: Table) -> None:
        self._name, self._module, self._table = name, module, table

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._module, attr)
        if callable(value) and not isinstance(value, type):
            def recorded(*args: Any, **kwargs: Any) -> Any:
                result = value(*args, **kwargs)
                self._table.calls[call_key(self._name, attr, args, kwargs)] = result
                return result
            return recorded
        self._table.constants[f"{self._name}.{attr}"] = value
        return value


class Replayer:
    """Stands in for a numerics module where it is not installed: answers from the active table only."""

    active: Table | None = None

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        table = Replayer.active
        if table is None:
            raise NotRecorded(f"grader.judging.numerics.{self._name} is part of the private course")
        dotted = f"{self._name}.{attr}"
        if dotted in table.constants:
            return table.constants[dotted]

        def replayed(*args: Any, **kwargs: Any) -> Any:
            key = call_key(self._name, attr, args, kwargs)
            if key not in table.calls:
                raise NotRecorded(f"{dotted} was not recorded for these arguments")
            # a copy: the judgement may write into what it gets
            return map_leaves(table.calls[key], lambda leaf: np.array(leaf) if isinstance(leaf, np.ndarray) else leaf)
        return replayed


def map_leaves(value: Any, change: Callable[[Any], Any]) -> Any:
    """``value`` with ``change`` applied to everything that is not a tuple, list or dict (kept as such)."""
    if isinstance(value, (tuple, list)):
        return type(value)(map_leaves(item, change) for item in value)
    if isinstance(value, dict):
        return {key: map_leaves(item, change) for key, item in value.items()}
    return change(value)


def _numerics_names() -> Iterator[tuple[ModuleType, str, str]]:
    """(check module, global name, numerics module name) of every numerics module a check module holds."""
    for module_name in _CHECK_MODULES:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, ModuleType) and value.__name__.startswith("grader.judging.numerics."):
                yield module, attr, value.__name__.rsplit(".", 1)[1]
            elif isinstance(value, (Replayer, Recorder)):
                yield module, attr, value._name


@contextlib.contextmanager
def recording(table: Table) -> Iterator[None]:
    """Within the block, the check modules' numerics write what they return into ``table``."""
    import importlib

    swapped = []
    for module, attr, name in list(_numerics_names()):
        real = importlib.import_module(f"grader.judging.numerics.{name}")
        swapped.append((module, attr, getattr(module, attr)))
        setattr(module, attr, Recorder(name, real, table))
    try:
        yield
    finally:
        for module, attr, value in swapped:
            setattr(module, attr, value)


def _clear_caches() -> None:
    """Forget what the check modules' cached helpers computed: with the numerics at hand, a replay would
    otherwise be answered from a cache a public install does not have."""
    for module_name in _CHECK_MODULES:
        module = sys.modules.get(module_name)
        for value in vars(module).values() if module is not None else ():
            if not isinstance(value, (Replayer, Recorder)) and callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


@contextlib.contextmanager
def replaying(table: Table) -> Iterator[None]:
    """Within the block, the check modules' numerics answer from ``table`` only (as in a public install)."""
    _clear_caches()
    swapped = []
    for module, attr, name in list(_numerics_names()):
        swapped.append((module, attr, getattr(module, attr)))
        setattr(module, attr, Replayer(name))
    previous, Replayer.active = Replayer.active, table
    try:
        yield
    finally:
        Replayer.active = previous
        for module, attr, value in swapped:
            setattr(module, attr, value)


# -- files ---------------------------------------------------------------------------------------------
@dataclass
class RecordedCheck:
    """What a public install needs to judge one check: the calls to make, the plan's state, the table."""

    check_id: str
    calls: list[dict[str, Any]] | None
    state: dict[str, Any]
    table: Table
    seed: int
    why_not: str = ""  # set when the check could not be recorded: it then awaits the private run
    # the reference's answers to the recorded calls, so that tests can replay the judgement without a kernel
    answers: dict[str, CallResult] = field(default_factory=dict)


def recording_paths(lab_root: Path, framework: str) -> tuple[Path, Path]:
    folder = Path(lab_root) / "recorded"
    return folder / f"{framework}.json", folder / f"{framework}.npz"


def write_recording(lab_root: Path, framework: str, fingerprint: str, checks: list[RecordedCheck]) -> list[Path]:
    arrays: dict[str, np.ndarray] = {}
    entries = {}
    for check in checks:
        entries[check.check_id] = {
            "seed": check.seed,
            "why_not": check.why_not,
            "calls": encode(check.calls, arrays) if check.calls is not None else None,
            "state": encode(check.state, arrays),
            "calls_table": [[key, encode(value, arrays)] for key, value in check.table.calls.items()],
            "constants": encode(check.table.constants, arrays),
            "answers": encode(check.answers, arrays),
        }
    json_path, npz_path = recording_paths(lab_root, framework)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps({"version": FORMAT_VERSION, "fingerprint": fingerprint, "checks": entries},
                                    indent=1, sort_keys=True) + "\n")
    with npz_path.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    return [json_path, npz_path]


def read_recording(lab_root: Path, framework: str) -> tuple[str, dict[str, RecordedCheck]]:
    """The fingerprint and the recorded checks of one flavour; ``("", {})`` when none was recorded."""
    json_path, npz_path = recording_paths(lab_root, framework)
    if not json_path.is_file() or not npz_path.is_file():
        return "", {}
    payload = json.loads(json_path.read_text())
    if payload.get("version") != FORMAT_VERSION:
        return "", {}
    with np.load(npz_path, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    checks = {}
    for check_id, entry in payload["checks"].items():
        constants = decode(entry["constants"], arrays)
        table = Table({key: decode(value, arrays) for key, value in entry["calls_table"]}, constants)
        calls = decode(entry["calls"], arrays) if entry["calls"] is not None else None
        checks[check_id] = RecordedCheck(check_id, calls, decode(entry["state"], arrays), table, int(entry["seed"]),
                                         entry.get("why_not", ""), decode(entry.get("answers", {"__dict__": []}), arrays))
    return payload.get("fingerprint", ""), checks
