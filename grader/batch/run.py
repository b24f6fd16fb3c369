"""Grading a batch with an engine: tasks start slowest first, rows come back in the submissions' order."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from grader.batch.engines import Engine
from grader.batch.outputs import row_from_result, write_outputs
from grader.batch.planning import BatchOptions, check_labs, plan
from grader.batch.resume import _save_seed, save_state
from grader.batch.rows import GRADER_ERROR, NOT_GRADED, Row, Submission
from grader.version import __version__

# -- the whole batch ---------------------------------------------------------------------------------

class Listener(Protocol):
    def start(self, total: int, already: int) -> None: ...
    def running(self, count: int) -> None: ...
    def finished(self, row: Row) -> None: ...
    def close(self) -> None: ...


@dataclass
class BatchResult:
    rows: list[Row]
    labs: tuple[str, ...]
    seed: int
    seconds: float
    version: str

    @property
    def exit_code(self) -> int:
        """0 every submission got a report, 1 some were not graded, 3 the grader failed on some."""
        statuses = {row.status for row in self.rows}
        if GRADER_ERROR in statuses:
            return 3
        return 1 if NOT_GRADED in statuses else 0


def grade_batch(submissions: Sequence[Submission], options: BatchOptions, engine: Engine,
                listener: Listener | None = None) -> BatchResult:
    """Grade every submission with ``engine``; rows come back in the submissions' order.

    Raises :class:`InputError` before any grading when the batch's lab or flavour is unknown.
    """
    started = time.monotonic()
    planned, labs = plan(submissions, options)
    specs = check_labs(labs, options.framework)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    _save_seed(options.out_dir, options.seed)
    rows: dict[str, Row] = {item.submission.name: item.row for item in planned if item.row is not None}
    # longest expected first (stable: equal costs keep the submissions' order), so that the batch does not end
    # with one worker still grading a slow lab while the others have nothing left
    tasks = sorted((item.task for item in planned if item.task is not None), key=lambda task: -task.expected_seconds)
    by_name = {item.submission.name: item for item in planned}
    if listener is not None:
        listener.start(len(planned), sum(row.resumed for row in rows.values()))
        for row in rows.values():
            listener.finished(row)
    pending = len(tasks)
    if listener is not None and tasks:
        listener.running(min(engine.slots, pending))
    try:
        for task, result in engine.run(tasks):
            item = by_name[task.name]
            row = row_from_result(item, result, options, specs)
            write_outputs(options.out_dir, row, result)
            save_state(options.out_dir, row, item.key)
            rows[task.name] = row
            pending -= 1
            if listener is not None:
                listener.running(min(engine.slots, pending))
                listener.finished(row)
    finally:
        if listener is not None:
            listener.close()
    ordered = [rows[item.submission.name] for item in planned]
    return BatchResult(ordered, labs, options.seed, time.monotonic() - started, __version__)
