"""Engines that run a batch's tasks: one after the other here, or spread over Dask (:mod:`grader.batch.dask_engine`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from grader.batch.task import START_AHEAD, StartedTask, Task

# -- engines -----------------------------------------------------------------------------------------

class Engine(Protocol):
    """Runs tasks (starting them in the order given) and yields ``(task, result)`` as each finishes, in any order."""

    slots: int

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, dict[str, Any]]]: ...


class SequentialEngine:
    """One task after the other (each in its own ``grader check`` process), the next one started ahead.

    While a submission is graded, the next one's ``grader check`` is already started: it starts its kernel and
    imports the framework, then waits for its turn (``--start-ahead``), so that the start-up of a grading is
    not paid between two gradings. Only one notebook runs at a time; its time limits count from its turn.
    """

    slots = 1

    def __init__(self, start_ahead: bool = True) -> None:
        self.start_ahead = start_ahead

    def __enter__(self) -> SequentialEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, dict[str, Any]]]:
        upcoming: StartedTask | None = None
        try:
            for index, task in enumerate(tasks):
                current = upcoming or StartedTask(task)
                upcoming = None
                following = tasks[index + 1] if index + 1 < len(tasks) else None
                if self.start_ahead and following is not None and START_AHEAD in following.argv:
                    upcoming = StartedTask(following)
                yield task, current.finish()
        finally:  # an interrupted batch leaves no grading started ahead
            if upcoming is not None:
                upcoming.discard()


def make_engine(jobs: int = 1, scheduler: str | None = None, sequential: bool = False) -> Any:
    """The engine for these options: sequential, an embedded LocalCluster, or an existing Dask scheduler."""
    if sequential:
        return SequentialEngine()
    from grader.batch.dask_engine import DaskEngine

    return DaskEngine(jobs=jobs, scheduler=scheduler)
