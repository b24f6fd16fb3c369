"""A task's result made into a row, and the reports it brings written into ``--out``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.batch.planning import BatchOptions, Planned, _row, _set_max
from grader.batch.resume import _atomic_write
from grader.batch.rows import GRADED, GRADER_ERROR, Row
from grader.version import __version__

# -- results into rows, files and the resume record ----------------------------------------------------

def row_from_result(item: Planned, result: dict[str, Any], options: BatchOptions, specs: dict[str, Any]) -> Row:
    """The row of a task's result (the report has already been validated where it was graded)."""
    submission = item.submission
    row = _row(submission, result.get("outcome", GRADER_ERROR), str(result.get("message", "")), options,
               __version__, lab=item.lab or "")
    row.seconds = float(result.get("seconds") or 0.0)
    report = result.get("report")
    if row.status == GRADED and isinstance(report, dict):
        row.framework = str(report.get("framework", ""))
        row.checks = {c["id"]: float(c["score"]) for c in report["checks"]}
        row.check_max = {c["id"]: float(c["max_score"]) for c in report["checks"]}
        row.score = round(sum(row.checks.values()), 4)
        row.max_score = round(sum(row.check_max.values()), 4)
        row.report = {**report, "notebook": str(submission.path)}
        cells = report.get("cells", [])
        notes = [str(note) for note in report.get("notes", [])]
        pending = sum(float(c["max_score"]) for c in report["checks"] if c.get("status") == "skipped")
        if pending:
            notes.append(f"{pending:g} point(s) pending: checks not run without the private course")
        row.message = "; ".join(([f"{len(cells)} cell(s) failed"] if cells else []) + notes)
    else:
        if row.status == GRADED:
            row.status, row.message = GRADER_ERROR, "the task came back without a report"
        _set_max(row, specs.get(row.lab), options.framework)
    return row


def write_outputs(out_dir: Path, row: Row, result: dict[str, Any]) -> None:
    """Write a graded submission's JSON and Markdown reports and executed notebook into ``--out``."""
    stem = out_dir / row.name
    for suffix in (".json", ".md", ".executed.ipynb"):
        Path(f"{stem}{suffix}").unlink(missing_ok=True)
    if row.report is None:
        return
    _atomic_write(Path(f"{stem}.json"), json.dumps(row.report, indent=2).encode("utf-8"))
    if isinstance(result.get("markdown"), str):
        _atomic_write(Path(f"{stem}.md"), result["markdown"].encode("utf-8"))
    if isinstance(result.get("executed"), (bytes, bytearray)):
        _atomic_write(Path(f"{stem}.executed.ipynb"), bytes(result["executed"]))
