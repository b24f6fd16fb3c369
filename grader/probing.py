"""Asking the student's kernel for values: requests out, plain data back.

The grader writes the inputs it chose as JSON + ``.npz``; kernel-side code (``grader/kernel_side``)
calls the student's functions and writes the raw results the same way. Nothing coming back is
unpickled or executed: arrays are read with ``allow_pickle=False`` and everything else is JSON.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.errors import ProbeError
from grader.kernel_side import source

_MAX_JSON_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Raw:
    """An array passed to the kernel as a NumPy array even in the PyTorch flavour."""

    array: np.ndarray


@dataclass(frozen=True)
class Frame:
    """A table passed to the kernel as a pandas DataFrame."""

    columns: dict[str, np.ndarray]


@dataclass(frozen=True)
class Opaque:
    """A value that came back from the kernel but is not plain data (a model, a layer, ...)."""

    type_name: str


@dataclass(frozen=True)
class CallError:
    type: str
    message: str
    where: str = ""
    mro: tuple[str, ...] = ()
    missing: bool = False

    def is_a(self, name: str) -> bool:
        """Whether the exception is ``name`` (e.g. ``"ValueError"``) or a subclass of it."""
        return self.type == name or any(entry.rsplit(".", 1)[-1] == name for entry in self.mro)

    def describe(self) -> str:
        if self.missing:
            return self.message
        text = f"raised {self.type}: {self.message}".strip().rstrip(":")
        return f"{text} ({self.where})" if self.where else text


@dataclass(frozen=True)
class CallResult:
    ok: bool
    value: Any = None
    error: CallError | None = None


def encode_inputs(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(tree, (np.ndarray, Raw)):
        array = tree.array if isinstance(tree, Raw) else tree
        key = f"i{len(arrays)}"
        arrays[key] = np.ascontiguousarray(array)
        return {"__array__": key, "tensor": not isinstance(tree, Raw)}
    if isinstance(tree, Frame):
        keys = []
        for column in tree.columns.values():
            keys.append(f"i{len(arrays)}")
            arrays[keys[-1]] = np.ascontiguousarray(column)
        return {"__frame__": {"columns": list(tree.columns), "keys": keys}}
    if isinstance(tree, tuple):
        return {"__tuple__": [encode_inputs(item, arrays) for item in tree]}
    if isinstance(tree, list):
        return [encode_inputs(item, arrays) for item in tree]
    if isinstance(tree, dict):
        return {str(key): encode_inputs(value, arrays) for key, value in tree.items()}
    if isinstance(tree, (np.integer, np.floating)):
        return tree.item()
    return tree


def decode_value(tree: Any, arrays: Any) -> Any:
    if isinstance(tree, list):
        return [decode_value(item, arrays) for item in tree]
    if isinstance(tree, dict):
        if "__array__" in tree:
            return np.asarray(arrays[str(tree["__array__"])])
        if "__list__" in tree:
            items = [decode_value(item, arrays) for item in tree["__list__"]]
            return tuple(items) if tree.get("tuple") else items
        if "__dict__" in tree:
            return {key: decode_value(value, arrays) for key, value in tree["__dict__"].items()}
        if "__int__" in tree:
            return int(tree["__int__"])
        if "__float__" in tree:
            return float(tree["__float__"])
        if "__object__" in tree:
            return Opaque(str(tree["__object__"]))
        return {key: decode_value(value, arrays) for key, value in tree.items()}
    return tree


def _decode_result(entry: Any, arrays: Any) -> CallResult:
    if not isinstance(entry, dict):
        raise ProbeError("malformed result entry")
    if entry.get("ok"):
        return CallResult(True, decode_value(entry.get("value"), arrays))
    error = entry.get("error") or {}
    return CallResult(
        False,
        error=CallError(
            type=str(error.get("type", "Exception")),
            message=str(error.get("message", "")),
            where=str(error.get("where", "")),
            mro=tuple(str(item) for item in error.get("mro", [])),
            missing=bool(error.get("missing", False)),
        ),
    )


def read_response(response: Path, arrays_path: Path, ids: list[str]) -> dict[str, CallResult]:
    """Read what the kernel wrote back; anything malformed is a :class:`ProbeError`."""
    try:
        if response.stat().st_size > _MAX_JSON_BYTES:
            raise ProbeError("the kernel's answer is too large")
        payload = json.loads(response.read_text())
        with np.load(arrays_path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
        raw = payload["results"]
        results = {call_id: _decode_result(raw[call_id], arrays) for call_id in ids if call_id in raw}
    except ProbeError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the kernel wrote, it is not trusted
        raise ProbeError(f"could not read the values back from the kernel ({type(exc).__name__}: {exc})") from exc
    for call_id in ids:
        results.setdefault(
            call_id, CallResult(False, error=CallError("TimeLimit", "not run: an earlier call used up the time limit"))
        )
    return results


def kernel_code(modules: list[str], paths: dict[str, Path]) -> str:
    """The code cell that loads the kernel-side modules in a private namespace and runs the request."""
    sources = [(name, source(name)) for name in modules]
    return (
        "def __grader_probe():\n"
        "    namespace = {'__name__': '__grader__'}\n"
        f"    for name, text in {sources!r}:\n"
        "        exec(compile(text, '<grader-' + name + '>', 'exec'), namespace)\n"
        f"    namespace['run_request']({str(paths['request'])!r}, {str(paths['inputs'])!r}, "
        f"{str(paths['response'])!r}, {str(paths['outputs'])!r}, globals())\n"
        "__grader_probe()\n"
        "del __grader_probe\n"
    )


def probe(session: Any, calls: list[dict[str, Any]], modules: list[str], timeout: float) -> dict[str, CallResult]:
    """Run ``calls`` in the session's kernel and return one :class:`CallResult` per call id."""
    arrays: dict[str, np.ndarray] = {}
    request = {"calls": [encode_inputs(call, arrays) for call in calls]}
    ids = [call["id"] for call in calls]
    with tempfile.TemporaryDirectory(prefix="grader-probe-") as tmp:
        paths = {name: Path(tmp) / name for name in ("request", "response")}
        paths["request"] = Path(tmp) / "request.json"
        paths["response"] = Path(tmp) / "response.json"
        paths["inputs"] = Path(tmp) / "inputs.npz"
        paths["outputs"] = Path(tmp) / "outputs.npz"
        paths["request"].write_text(json.dumps(request))
        np.savez(paths["inputs"], **arrays)
        outcome = session.run_code(kernel_code(modules, paths), timeout)
        if outcome.status == "timeout":
            if not session.responsive():
                session.recover()
            raise ProbeError(f"the student's code ran longer than the {timeout:.0f} s limit of this check")
        if outcome.status in ("kernel-died", "memory"):
            session.recover()
            raise ProbeError(f"{outcome.message} while this check called the student's code")
        if not paths["response"].exists():
            raise ProbeError(f"the kernel gave no answer ({outcome.message or 'no response file'})")
        return read_response(paths["response"], paths["outputs"], ids)
