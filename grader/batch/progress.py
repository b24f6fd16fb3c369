"""Where a batch stands: a rich progress bar on a terminal, plain lines otherwise (CI logs, files)."""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from grader.batch.rows import GRADED, Row
from grader.reports.formats.inert import one_line


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class BatchProgress:
    """Counts done/total, running and failed, with elapsed time and an ETA from the submissions graded here.

    ``plain`` forces one line per finished submission; by default that happens when ``stream`` is not a
    terminal. Resumed submissions count as done but not in the ETA.
    """

    def __init__(self, stream: IO[str] | None = None, plain: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.plain = (not _isatty(self.stream)) if plain is None else plain
        self.total = self.done = self.failed = self.running_now = self.free = 0
        self.started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    # -- the listener interface of grader.batch.run.grade_batch ---------------------------------------
    def start(self, total: int, already: int) -> None:
        self.total, self.started = total, time.monotonic()
        if self.plain:
            resumed = f", {already} already graded" if already else ""
            self._line(f"grading {total} submission(s){resumed}")
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("[bold]grading"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TextColumn("running {task.fields[running]}"), TextColumn("failed {task.fields[failed]}"),
            TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=Console(file=self.stream), transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task("grading", total=total, running=0, failed=0)

    def running(self, count: int) -> None:
        self.running_now = count
        if self._bar is not None:
            self._bar.update(self._task, running=count)

    def finished(self, row: Row) -> None:
        self.done += 1
        self.free += row.resumed or row.seconds == 0  # cost nothing here: no part of the ETA
        self.failed += row.status != GRADED
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, failed=self.failed)
            if row.status != GRADED:  # a name and message may be the student's: shown, never run on the terminal
                self._bar.console.print(f"  {one_line(row.name)}: {row.status} — {one_line(row.message)}",
                                        highlight=False, markup=False)
            return
        if self.plain and not row.resumed:
            detail = f"{row.score:g}/{row.max_score:g}" if row.status == GRADED else one_line(row.message)
            self._line(f"[{self.done}/{self.total}] {one_line(row.name)}: {row.status}, {detail} ({row.seconds:.0f} s); "
                       f"running {self.running_now}, failed {self.failed}, elapsed {_clock(self.elapsed)}, "
                       f"ETA {self.eta}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    # -- numbers ----------------------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def eta(self) -> str:
        graded_here = self.done - self.free
        left = self.total - self.done
        if left == 0:
            return "0:00"
        if graded_here <= 0:
            return "?"
        return _clock(self.elapsed / graded_here * left)

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
