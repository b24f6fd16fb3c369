"""The resume record in ``--out``: a rerun skips what was graded with the same notebook, lab, seed and grader version."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from grader.batch.rows import GRADED, STATE_DIR, Row, Submission
from grader.batch.task import MAX_REPORT_BYTES, _read_bounded, validate_report


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def save_state(out_dir: Path, row: Row, key: str) -> None:
    """Record a graded row so that a rerun with the same notebook, lab, seed and grader version skips it."""
    if row.status != GRADED or not key:
        return
    state = out_dir / STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    data = {"key": key, "row": {k: v for k, v in asdict(row).items() if k != "resumed"}}
    _atomic_write(state / f"{row.name}.json", json.dumps(data).encode("utf-8"))


def batch_seed(out_dir: Path) -> int | None:
    """The seed of the batch last started in ``out_dir`` (so that a rerun without --seed resumes it), or None."""
    data = _read_bounded(out_dir / STATE_DIR / "batch.json", 4096)
    try:
        seed = json.loads(data.decode("utf-8"))["seed"] if data is not None else None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def _save_seed(out_dir: Path, seed: int) -> None:
    state = out_dir / STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    _atomic_write(state / "batch.json", json.dumps({"seed": seed}).encode("utf-8"))


def load_state(out_dir: Path, submission: Submission, key: str) -> Row | None:
    """The row a previous run recorded for this submission with this key, or None."""
    path = out_dir / STATE_DIR / f"{submission.name}.json"
    data = _read_bounded(path, MAX_REPORT_BYTES)
    if data is None:
        return None
    try:
        state = json.loads(data.decode("utf-8"))
        if state.get("key") != key or state["row"].get("status") != GRADED:
            return None
        row = Row(**state["row"])
        row.report = validate_report(row.report, row.lab)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    row.resumed = True
    row.notebook, row.student = str(submission.path), submission.student
    return row
