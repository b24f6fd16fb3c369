"""Progress of a batch: plain lines when not a terminal, a rich bar on one."""

from __future__ import annotations

import io

from grader.batch.progress import BatchProgress
from grader.batch.rows import GRADED, NOT_GRADED, Row


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_count_done_running_failed_and_give_an_eta():
    stream = io.StringIO()
    progress = BatchProgress(stream)
    assert progress.plain  # a StringIO is no terminal
    progress.start(4, already=1)
    progress.finished(Row("old", "old.ipynb", GRADED, score=5, max_score=6, resumed=True))
    progress.running(2)
    progress.finished(Row("a", "a.ipynb", GRADED, score=4, max_score=6, seconds=2.0))
    progress.running(1)
    progress.finished(Row("b", "b.ipynb", NOT_GRADED, message="not a notebook"))
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "grading 4 submission(s), 1 already graded"
    assert lines[1].startswith("[2/4] a: graded, 4/6 (2 s); running 2, failed 0, elapsed 0:00, ETA ")
    assert lines[2].startswith("[3/4] b: not graded, not a notebook (0 s); running 1, failed 1")
    assert len(lines) == 3  # the resumed submission counts but prints nothing


def test_a_terminal_gets_a_bar_with_the_counts():
    stream = _Terminal()
    progress = BatchProgress(stream)
    assert not progress.plain
    progress.start(2, already=0)
    progress.running(2)
    progress.finished(Row("a", "a.ipynb", NOT_GRADED, message="grading did not finish"))
    progress.finished(Row("b", "b.ipynb", GRADED, score=1, max_score=1))
    progress.close()
    text = stream.getvalue()
    assert "2/2" in text and "failed 1" in text and "a: not graded — grading did not finish" in text
