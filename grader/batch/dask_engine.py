"""The Dask ``distributed`` engine of ``grader batch``: one task per submission on a cluster.

By default an embedded :class:`distributed.LocalCluster` (worker processes, one thread each, ``jobs`` of them);
with ``scheduler`` an existing cluster (``dask scheduler`` plus ``dask worker`` processes on machines that have
the grader and the course installed). The submission travels to the worker as bytes inside the
:class:`~grader.batch.task.Task` and the result comes back as data; no shared filesystem is needed. A worker that
dies while grading costs its task one retry (on the embedded cluster ``allowed-failures`` is 1; an external
scheduler uses its own setting), then the submission's row says why.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from grader.batch.rows import GRADER_ERROR, NOT_GRADED
from grader.batch.task import Task, run_task, task_result
from grader.errors import InputError
from grader.reports.report import one_line

# Dask ``distributed`` is the staff extra's: a student's install (the framework and the lab's extras) has none.
STAFF_EXTRA = ("grader batch needs the staff extra: pip install 'rnn-course-grader[staff]' "
               "(or grade one at a time with --sequential)")


def require_distributed() -> None:
    """Fail with one line, before anything is graded, where Dask ``distributed`` is not installed."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in ("dask", "distributed"):
            raise InputError(STAFF_EXTRA) from None
        raise

# A task retried this many times after an exception, and after a worker death on the embedded cluster.
RETRIES = 1

# A grading task spends its time waiting on a ``grader check`` process, and every core is wanted by the
# students' kernels: on the embedded cluster Dask's own sampling (the statistical profiler every 10 ms, the GIL
# monitor, the system monitor twice a second, a 20 ms event-loop tick) is turned down. On two cores this took
# the workers, scheduler and client from 0.08 to 0.02 cores (benchmarks/results/batch_throughput.md).
QUIET = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "200ms",
    "distributed.worker.memory.monitor-interval": "1s",
}


class DaskEngine:
    """Submit each task to a Dask cluster and yield results as they finish."""

    def __init__(self, jobs: int = 1, scheduler: str | None = None, connect_timeout: float = 15.0) -> None:
        require_distributed()
        self.jobs, self.scheduler, self.connect_timeout = max(1, jobs), scheduler, connect_timeout
        self.cluster: Any = None
        self.client: Any = None
        self.slots = self.jobs
        self.notes: list[str] = []  # what the batch's summary should say about this cluster

    def __enter__(self) -> DaskEngine:
        import dask
        from distributed import Client, LocalCluster

        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout=f"{self.connect_timeout}s")
            except (OSError, TimeoutError) as exc:
                raise InputError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None
            self.slots = max(1, sum(self.client.nthreads().values()))
            self.notes = self._scheduler_notes()
            return self
        # worker-saturation 1.0: a worker holds no more tasks than it has threads, so a worker's death is held
        # against the one submission it was grading, never against one merely queued there
        with dask.config.set({"distributed.scheduler.allowed-failures": RETRIES,
                              "distributed.scheduler.worker-saturation": 1.0, **QUIET}):
            self.cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address=None, memory_limit=0,
                                        silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster)
        return self

    def _scheduler_notes(self) -> list[str]:
        """Warnings about an external scheduler whose settings differ from the embedded cluster's."""
        try:
            failures, saturation = self.client.run_on_scheduler(_scheduler_settings)
        except Exception:  # noqa: BLE001 - a scheduler that refuses to run it: nothing to report
            return []
        notes = []
        if failures != RETRIES:
            notes.append(f"the scheduler at {self.scheduler} gives a task whose worker died {failures} retries, not "
                         f"{RETRIES} (distributed.scheduler.allowed-failures)")
        if saturation != 1.0:
            notes.append(f"the scheduler at {self.scheduler} queues tasks on busy workers (worker-saturation "
                         f"{saturation}): a worker's death also counts against the submissions queued there")
        return notes

    def __exit__(self, *exc_info: object) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, dict[str, Any]]]:
        from distributed import KilledWorker, as_completed

        assert self.client is not None, "use the engine as a context manager"
        batch = uuid.uuid4().hex[:8]
        # the scheduler starts tasks in the order given (the batch puts the slowest first): the first has the
        # highest priority
        futures = {self.client.submit(run_task, task, key=f"grade-{task.name}-{batch}", retries=RETRIES,
                                      pure=False, priority=len(tasks) - rank): task
                   for rank, task in enumerate(tasks)}
        try:
            for future in as_completed(futures):
                task = futures[future]
                try:
                    result = future.result()
                except KilledWorker as exc:
                    result = task_result(NOT_GRADED, "the worker grading it died, and again on the retry "
                                                     f"({type(exc).__name__}: {_short(exc)})")
                except Exception as exc:  # noqa: BLE001 - one lost task must not lose the batch
                    result = task_result(GRADER_ERROR, f"its task failed on the cluster ({type(exc).__name__}: "
                                                     f"{_short(exc)})")
                if not isinstance(result, dict):
                    result = task_result(GRADER_ERROR, "its task returned no result")
                future.release()
                yield task, result
        finally:
            for future in futures:
                if not future.done():
                    future.cancel()


def _short(exc: BaseException, limit: int = 300) -> str:
    return one_line(str(exc), limit)


def _scheduler_settings(dask_scheduler: Any = None) -> tuple[int, float]:
    """Run on the scheduler: its allowed failures and worker saturation."""
    return int(dask_scheduler.allowed_failures), float(getattr(dask_scheduler, "WORKER_SATURATION", 1.0))
