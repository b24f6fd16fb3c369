"""Asking the student's kernel for values: requests out, plain data back.

The grader writes the inputs it chose as JSON + ``.npz``; kernel-side code (``grader/kernel/inside``)
calls the student's functions and writes the raw results the same way. Nothing coming back is
unpickled or executed, and nothing is trusted: the answer files are opened without following links,
and the arrays are read within bounds (their number, shapes, dtypes and inflated sizes are checked
before anything is inflated). Each probe has an :class:`Exchange`: its inputs are written, without
following any link, into a fresh directory the kernel can read but not write, before the kernel is
told of it; its answers come back in a second fresh directory, the kernel's, read through a descriptor
of that directory.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.errors import ProbeError
from grader.kernel.inside import source

# Bounds on what the grader reads back from the kernel, checked before anything is inflated or allocated.
MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_ANSWER_FILE_BYTES = 512 * 1024 * 1024  # the .npz as stored
MAX_ARRAYS = 4096
MAX_ARRAY_BYTES = 256 * 1024 * 1024  # one array, uncompressed
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # every array of one answer, uncompressed
MAX_NDIM = 8
_DTYPE_KINDS = "biuf"  # booleans, integers, floats: nothing with objects, strings or fields


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


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW


def read_bounded(path: Path, limit: int, dir_fd: int | None = None) -> bytes:
    """The bytes of a regular file the kernel wrote, never following a link, at most ``limit`` of them
    (``path`` a name inside the directory open as ``dir_fd``, when given)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0), dir_fd=dir_fd)
    except OSError as exc:
        raise ProbeError(f"the kernel's answer {path.name} cannot be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ProbeError(f"the kernel's answer {path.name} is not a regular file")
        if info.st_size > limit:
            raise ProbeError(f"the kernel's answer {path.name} is too large ({info.st_size} bytes, at most {limit})")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ProbeError(f"the kernel's answer {path.name} is too large (more than {limit} bytes)")
    return data


def _read_npy_header(member: Any) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(member, max_header_size=10000)
    if version in ((2, 0), (3, 0)):
        return np.lib.format.read_array_header_2_0(member, max_header_size=10000)
    raise ValueError(f"unsupported .npy version {version}")


def load_arrays(data: bytes) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` the kernel wrote, read within bounds (count, ndim, dtype, sizes) or refused.

    Every size is checked on the zip directory and on each array's header before anything is
    inflated: a member that claims to be small but inflates further is cut off there by ``zipfile``.
    """
    try:
        return _load_arrays(data)
    except ProbeError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged or forged archive, whatever the way
        raise ProbeError(f"the kernel's answer file is damaged ({type(exc).__name__}: {str(exc)[:200]})") from None


def _load_arrays(data: bytes) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > MAX_ARRAYS:
            raise ProbeError(f"the kernel's answer holds {len(members)} arrays (at most {MAX_ARRAYS})")
        total = 0
        for info in members:
            if not info.filename.endswith(".npy"):
                raise ProbeError(f"the kernel's answer holds a member that is not an array: {info.filename[:80]!r}")
            if info.file_size > MAX_ARRAY_BYTES + 10000:
                raise ProbeError(f"an array of the kernel's answer is too large ({info.file_size} bytes)")
            total += info.file_size
            if total > MAX_TOTAL_BYTES + 10000 * len(members):
                raise ProbeError(f"the kernel's answer is too large once inflated (more than {MAX_TOTAL_BYTES} bytes)")
        for info in members:
            with archive.open(info) as member:
                shape, fortran, dtype = _read_npy_header(member)
                if dtype.hasobject or dtype.kind not in _DTYPE_KINDS or dtype.fields is not None:
                    raise ProbeError(f"an array of the kernel's answer has dtype {dtype} (numbers only)")
                if len(shape) > MAX_NDIM or any(int(n) < 0 for n in shape):
                    raise ProbeError(f"an array of the kernel's answer has shape {shape}")
                count = 1
                for n in shape:
                    count *= int(n)
                nbytes = count * dtype.itemsize
                if nbytes > info.file_size or nbytes > MAX_ARRAY_BYTES:
                    raise ProbeError(f"an array of the kernel's answer claims shape {shape} that its data does not hold")
                buffer = member.read(nbytes)
                if len(buffer) != nbytes:
                    raise ProbeError("an array of the kernel's answer is truncated")
            array = np.frombuffer(buffer, dtype=dtype, count=count)
            array = array.reshape(shape[::-1]).T if fortran else array.reshape(shape)
            arrays[info.filename[:-4]] = array
    return arrays


def read_response(response: Path, arrays_path: Path, ids: list[str], dir_fd: int | None = None) -> dict[str, CallResult]:
    """Read what the kernel wrote back; anything malformed or out of bounds is a :class:`ProbeError`."""
    try:
        payload = json.loads(read_bounded(response, MAX_JSON_BYTES, dir_fd))
        arrays = load_arrays(read_bounded(arrays_path, MAX_ANSWER_FILE_BYTES, dir_fd))
        raw = payload["results"]
        results = {call_id: _decode_result(raw[call_id], arrays) for call_id in ids if call_id in raw}
    except ProbeError as exc:
        raise ProbeError(f"could not read the values back from the kernel ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - whatever the kernel wrote, it is not trusted
        raise ProbeError(f"could not read the values back from the kernel ({type(exc).__name__}: {exc})") from exc
    for call_id in ids:
        results.setdefault(
            call_id, CallResult(False, error=CallError("TimeLimit", "not run: an earlier call used up the time limit"))
        )
    return results


class Exchange:
    """One probe's two fresh directories: ``inputs`` (the request, written by the grader before the kernel
    is told of it; the kernel can read it but not write it) and ``answers`` (handed to the kernel, which
    writes its answer there; read back through a descriptor of the directory, never following a link).

    Both are made inside parents only the grader can write (``inputs_parent`` is mounted read-only in the
    sandbox as well); every file operation goes through descriptors opened without following links.
    ``uid``: the sandbox user the answer directory is handed to (None when the kernel runs as the grader's
    own user).
    """

    REQUEST, INPUTS, RESPONSE, OUTPUTS = "request.json", "inputs.npz", "response.json", "outputs.npz"

    def __init__(self, inputs_parent: Path, answers_parent: Path, uid: int | None = None) -> None:
        self.uid = uid
        name = f"probe-{secrets.token_hex(8)}"
        self.inputs, self.answers = Path(inputs_parent) / name, Path(answers_parent) / name
        self._fds: dict[str, int] = {}
        try:
            for key, parent in (("inputs", inputs_parent), ("answers", answers_parent)):
                self._fds[key] = _make_dir(parent, name)
        except OSError:
            self.close()
            raise

    def write(self, name: str, data: bytes) -> None:
        """A new input file: created (never an existing one, never through a link), then readable by all."""
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600, dir_fd=self._fds["inputs"])
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.fchmod(handle.fileno(), 0o644)

    def write_arrays(self, name: str, arrays: dict[str, np.ndarray]) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        self.write(name, buffer.getvalue())

    def hand_over(self) -> None:
        """The inputs are complete: the answer directory becomes the kernel's."""
        if self.uid is not None:
            os.fchown(self._fds["answers"], self.uid, self.uid)

    def has(self, name: str) -> bool:
        """Whether the kernel left an entry ``name`` in the answer directory (a link counts)."""
        try:
            os.stat(name, dir_fd=self._fds["answers"], follow_symlinks=False)
        except OSError:
            return False
        return True

    def read_response(self, ids: list[str]) -> dict[str, CallResult]:
        return read_response(Path(self.RESPONSE), Path(self.OUTPUTS), ids, dir_fd=self._fds["answers"])

    def paths(self) -> dict[str, Path]:
        """What the kernel-side code is told: where to read the request, where to write the answer."""
        return {"request": self.inputs / self.REQUEST, "inputs": self.inputs / self.INPUTS,
                "response": self.answers / self.RESPONSE, "outputs": self.answers / self.OUTPUTS}

    def close(self) -> None:
        """Remove both directories (never following a link); never raises."""
        from grader.kernel.cleanup import remove_tree

        made, self._fds = self._fds, {}
        for key, fd in made.items():
            os.close(fd)
            remove_tree(self.inputs if key == "inputs" else self.answers)


def _make_dir(parent: Path, name: str) -> int:
    """A new directory ``name`` in ``parent`` (0755), opened without following a link."""
    parent_fd = os.open(parent, _DIR_FLAGS)
    try:
        os.mkdir(name, 0o700, dir_fd=parent_fd)
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    finally:
        os.close(parent_fd)
    os.fchmod(fd, 0o755)
    return fd


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
    tmp = None
    try:
        exchange = getattr(session, "new_exchange", lambda: None)()
        if exchange is None:  # no sandbox: the kernel runs as the grader's user, in a directory of its own
            tmp = Path(tempfile.mkdtemp(prefix="grader-probe-"))
            for part in ("in", "out"):
                (tmp / part).mkdir()
            exchange = Exchange(tmp / "in", tmp / "out")
    except OSError as exc:
        if tmp is not None:
            from grader.kernel.cleanup import remove_tree

            remove_tree(tmp)
        raise ProbeError(f"could not make a directory for this check's values ({exc.strerror or exc})") from None
    try:
        try:
            exchange.write(Exchange.REQUEST, json.dumps(request).encode())
            exchange.write_arrays(Exchange.INPUTS, arrays)
            exchange.hand_over()
        except OSError as exc:  # e.g. the kernel filled the space it shares with the exchange directory
            raise ProbeError(f"could not pass the inputs to the kernel ({exc.strerror or exc})") from None
        outcome = session.run_code(kernel_code(modules, exchange.paths()), timeout)
        if getattr(outcome, "channel_lost", False) and exchange.has(Exchange.RESPONSE):
            # the probe ran to its end and its answer is in the files; only the output channel is gone
            try:
                return exchange.read_response(ids)
            finally:
                if not session.responsive():
                    session.recover()
        if outcome.status == "timeout":
            if not session.responsive():
                session.recover()
            raise ProbeError(f"the student's code ran longer than the {timeout:.0f} s limit of this check")
        if outcome.status in ("kernel-died", "memory"):
            session.recover()
            raise ProbeError(f"{outcome.message} while this check called the student's code")
        if not exchange.has(Exchange.RESPONSE):
            raise ProbeError(f"the kernel gave no answer ({outcome.message or 'no response file'})")
        return exchange.read_response(ids)
    finally:
        exchange.close()
        if tmp is not None:
            from grader.kernel.cleanup import remove_tree

            remove_tree(tmp)
