"""The reference notebook as the oracle: its answers to the calls of a lab's ``oracle`` checks.

The first oracle check of a grading that needs an answer makes every oracle check of its lab and flavour
known at the grading's seed (their inputs depend on nothing else), runs the reference notebook once in a
sandboxed kernel of its own, and asks it all of them in one probe. The answers are kept in this process and on
disk (``$GRADER_CACHE/oracle``, default ``~/.cache/grader/oracle``), keyed by the reference notebook, the lab's
public files, the kernel-side code and the exact call: the reference is deterministic given its inputs, so a
batch graded with one seed runs it once, and a regrade with the same seed not at all.

Private course only: ``grader.judging.numerics.oracle`` exposes these functions, and a public install, which has
neither the reference notebooks nor this facade, judges from the recorded answers instead.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from grader.errors import GraderError
from grader.judging.oracle_inputs import lab_requests
from grader.judging.recorded import _feed, decode, encode
from grader.kernel.inside import source
from grader.kernel.probing import CallResult, Raw

KIND = "oracle"
_MEMO: dict[str, CallResult] = {}
_FAILED: dict[tuple[str, int], str] = {}
STATS = {"reference_runs": 0, "disk_hits": 0}
CACHE_FILES, MEMO_ENTRIES = 512, 20000


class OracleError(GraderError):
    """The reference notebook could not answer (it failed to run, or the probe failed)."""


def cache_dir() -> Path:
    named = os.environ.get("GRADER_CACHE")
    if named:
        return Path(named).expanduser() / "oracle"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "grader" / "oracle"


def reference_key(lab: Any, framework: str) -> str:
    """What the reference's answers depend on besides the call: its notebook, the public data, the probes."""
    flavour = lab.flavours[framework]
    digest = hashlib.sha256(f"{lab.id}:{framework}".encode())
    digest.update(Path(flavour.reference).read_bytes())
    for name in ("harness", f"{framework}_adapter", "oracle_probes"):
        digest.update(source(name).encode())
    if lab.public_dir.is_dir():
        for path in sorted(p for p in lab.public_dir.rglob("*") if p.is_file()):
            digest.update(path.relative_to(lab.public_dir).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def request_key(ref_key: str, request: dict[str, Any]) -> str:
    digest = hashlib.sha256(ref_key.encode())
    _feed(digest, request)
    return digest.hexdigest()




def _cache_file(lab_id: str, framework: str, ref_key: str, seed: int) -> Path:
    return cache_dir() / f"{lab_id}-{framework}-{ref_key[:16]}-{seed}.npz"


def _load(path: Path) -> dict[str, CallResult]:
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
        payload = json.loads(arrays.pop("__json__").tobytes().decode())
        return {key: decode(value, arrays) for key, value in payload.items()}
    except Exception:  # noqa: BLE001 - a damaged cache is no cache
        return {}


def _save(path: Path, answers: dict[str, CallResult]) -> None:
    arrays: dict[str, np.ndarray] = {}
    payload = {key: encode(value, arrays) for key, value in answers.items()}
    arrays["__json__"] = np.frombuffer(json.dumps(payload).encode(), dtype=np.uint8)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(buffer.getvalue())
        os.replace(tmp, path)  # atomic: workers of a batch may write the same file
        _prune(path.parent)
    except OSError:
        pass  # no cache then; the answers are still right


def _prune(folder: Path, keep: int = CACHE_FILES) -> None:
    """Only the ``keep`` most recent answer files stay (each grading with a fresh seed writes one)."""
    files = sorted(folder.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def answers(lab_id: str, framework: str, seed: int, reqs: list[dict[str, Any]]) -> list[CallResult]:
    """The reference's answer to each request (a :class:`CallResult` of the ``oracle_call`` probe)."""
    from grader.course.labs import load_lab

    lab = load_lab(lab_id)
    ref_key = reference_key(lab, framework)
    keys = [request_key(ref_key, request) for request in reqs]
    path = _cache_file(lab_id, framework, ref_key, int(seed))
    if any(key not in _MEMO for key in keys) and path.is_file():
        stored = _load(path)
        STATS["disk_hits"] += sum(key in stored for key in keys if key not in _MEMO)
        _MEMO.update(stored)
    found = {key: _MEMO[key] for key in keys if key in _MEMO}
    if len(found) < len(set(keys)):
        failed = _FAILED.get((ref_key, int(seed)))
        if failed:
            raise OracleError(failed)
        batch = {request_key(ref_key, r): r for r in lab_requests(lab, framework, int(seed))}
        batch.update({key: request for key, request in zip(keys, reqs, strict=True) if key not in _MEMO})
        try:
            got = run_reference(lab, framework, int(seed), list(batch.values()))
        except GraderError as exc:
            _FAILED[(ref_key, int(seed))] = str(exc)
            raise OracleError(str(exc)) from None
        new = dict(zip(batch, got, strict=True))
        if len(_MEMO) > MEMO_ENTRIES:  # a long-lived batch worker grades many seeds
            _MEMO.clear()
        _MEMO.update(new)
        found.update(new)
        _save(path, {**_load(path), **new})
    return [found[key] for key in keys]


def run_reference(lab: Any, framework: str, seed: int, reqs: list[dict[str, Any]]) -> list[CallResult]:
    """Run the reference notebook in a sandboxed kernel of its own and make every call in one probe."""
    from grader.course.notebook import read_notebook
    from grader.kernel.notebook_run import NotebookRun
    from grader.kernel.probing import probe

    flavour = lab.flavours[framework]
    STATS["reference_runs"] += 1
    with NotebookRun(lab, framework, seed) as run:
        events = run.execute(read_notebook(flavour.reference), flavour.reference.name)
        if events:
            event = events[0]
            raise OracleError(f"the reference notebook {flavour.reference.name} did not run: cell {event.index + 1} "
                              f"{event.status}: {event.message}")
        assert run.session is not None
        calls = [kernel_call(f"r{i}", request) for i, request in enumerate(reqs)]
        results = probe(run.session, calls, ["harness", run.framework.adapter, "oracle_probes"],
                        lab.limits.probe_timeout * max(1, len({r["function"] for r in reqs})))
    return [results[f"r{i}"] for i in range(len(reqs))]


def _to_kernel(value: Any) -> Any:
    """A drawn input as the kernel receives it: arrays as NumPy arrays, ``{"tensor": a}`` as the flavour's."""
    if isinstance(value, np.ndarray):
        return Raw(value)
    if isinstance(value, dict) and set(value) == {"tensor"}:
        return np.asarray(value["tensor"])
    if isinstance(value, tuple):
        return tuple(_to_kernel(v) for v in value)
    if isinstance(value, list):
        return [_to_kernel(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_kernel(v) for k, v in value.items()}
    return value


def kernel_call(call_id: str, request: dict[str, Any]) -> dict[str, Any]:
    call = {"id": call_id, "probe": "oracle_call", "function": request["function"],
            "args": _to_kernel(request["args"]), "kwargs": _to_kernel(request["kwargs"])}
    for key in ("probe_inputs", "reseed"):
        if key in request:
            call[key] = _to_kernel(request[key])
    return call
