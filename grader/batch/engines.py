"""Engines that run a batch's tasks: one after the other here, or spread over Dask (:mod:`grader.batch.dask_engine`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from grader.batch.task import Task, run_task

# -- engines -----------------------------------------------------------------------------------------

class Engine(Protocol):
    """Runs tasks (starting them in the order given) and yields ``(task, result)`` as each finishes, in any order."""

    slots: int

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, dict[str, Any]]]: ...


class SequentialEngine:
    """One task after the other in this process (each still in its own ``grader check`` process)."""

    slots = 1

    def __enter__(self) -> SequentialEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, dict[str, Any]]]:
        for task in tasks:
            yield task, run_task(task)



def make_engine(jobs: int = 1, scheduler: str | None = None, sequential: bool = False) -> Any:
    """The engine for these options: sequential, an embedded LocalCluster, or an existing Dask scheduler."""
    if sequential:
        return SequentialEngine()
    from grader.batch.dask_engine import DaskEngine

    return DaskEngine(jobs=jobs, scheduler=scheduler)
