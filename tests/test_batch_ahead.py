"""``grader batch --sequential`` starts the next submission's grading ahead: while one is graded, the next one's
``grader check`` starts its kernel and waits for its turn (``--start-ahead``, a line ``go`` on standard input).

The fakes here speak that protocol and log when they started, when they were told to go on and when they ended.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import psutil
import pytest
from batchfakes import REPORT, WRITE, fake, notebook

from grader.batch.engines import SequentialEngine
from grader.batch.planning import BatchOptions
from grader.batch.rows import find_submissions
from grader.batch.run import grade_batch
from grader.batch.task import START_AHEAD, StartedTask, Task


def _ahead(log: Path, work: float = 0.4) -> tuple[str, ...]:
    """A fake ``grader check --start-ahead``: logs its start, waits for ``go``, works ``work`` seconds, ends."""
    script = (
        "import os, sys, time, json\n"
        f"LOG = {str(log)!r}\n"
        "def note(what):\n"
        "    with open(LOG, 'a') as f: f.write(json.dumps([sys.argv[2].rsplit('/', 1)[-1], what, time.monotonic(),"
        " os.getpid()]) + '\\n')\n"
        "note('start')\n"
        "try:\n"
        "    json.loads(open(sys.argv[2]).read())\n"
        "except ValueError:\n"
        "    print('error: not a notebook', file=sys.stderr); note('refused'); sys.exit(2)\n"
        "if sys.stdin.readline().strip() != 'go':\n"
        "    note('no go'); sys.exit(2)\n"
        "note('go')\n"
        f"time.sleep({work})\n"
        + REPORT + WRITE + "note('end')\n"
    )
    return (*fake(script), START_AHEAD)


def _events(log: Path) -> dict[tuple[str, str], tuple[float, int]]:
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    return {(name, what): (at, pid) for name, what, at, pid in rows}


def _class(tmp_path: Path, n: int) -> Path:
    for i in range(n):
        notebook(tmp_path / "class" / f"s{i}" / f"s{i}.ipynb", "fail: cell_shapes" if i % 2 else "")
    return tmp_path / "class"


def test_the_next_grading_starts_while_the_current_one_runs_and_goes_on_only_after_it(tmp_path):
    log = tmp_path / "log.jsonl"
    options = BatchOptions(out_dir=tmp_path / "out", seed=5, argv=_ahead(log), no_sandbox=True)
    result = grade_batch(find_submissions([_class(tmp_path, 3)]), options, SequentialEngine())
    assert [row.status for row in result.rows] == ["graded"] * 3
    events = _events(log)
    names = sorted({name for name, _ in events})
    assert len(names) == 3
    order = sorted(names, key=lambda name: events[(name, "go")][0])
    for first, second in zip(order, order[1:], strict=False):
        # started ahead: before the one in front of it ended ...
        assert events[(second, "start")][0] < events[(first, "end")][0]
        # ... but told to go on only once it had ended: one notebook at a time
        assert events[(second, "go")][0] > events[(first, "end")][0]


def test_without_starting_ahead_each_grading_starts_after_the_one_before(tmp_path):
    log = tmp_path / "log.jsonl"
    options = BatchOptions(out_dir=tmp_path / "out", seed=5, argv=_ahead(log), no_sandbox=True)
    grade_batch(find_submissions([_class(tmp_path, 3)]), options, SequentialEngine(start_ahead=False))
    events = _events(log)
    order = sorted({name for name, _ in events}, key=lambda name: events[(name, "go")][0])
    for first, second in zip(order, order[1:], strict=False):
        assert events[(second, "start")][0] > events[(first, "end")][0]


def test_starting_ahead_changes_no_grade(tmp_path):
    log = tmp_path / "log.jsonl"
    found = find_submissions([_class(tmp_path, 4)])
    ahead = grade_batch(found, BatchOptions(out_dir=tmp_path / "a", seed=5, argv=_ahead(log, 0.05),
                                            no_sandbox=True), SequentialEngine())
    one_by_one = grade_batch(found, BatchOptions(out_dir=tmp_path / "b", seed=5, argv=_ahead(log, 0.05),
                                                 no_sandbox=True), SequentialEngine(start_ahead=False))
    assert [(r.name, r.score, r.status) for r in ahead.rows] == [(r.name, r.score, r.status) for r in one_by_one.rows]
    assert [r.checks for r in ahead.rows] == [r.checks for r in one_by_one.rows]


def test_an_interrupted_batch_leaves_no_grading_started_ahead(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the tasks make their folders
    log = tmp_path / "log.jsonl"
    tasks = [Task(name=f"s{i}", filename=f"s{i}.ipynb", lab="01-rnn-cells", argv=_ahead(log, 0.05),
                  notebook=(notebook(tmp_path / f"s{i}.ipynb")).read_bytes()) for i in range(3)]
    run = SequentialEngine().run(tasks)
    task, result = next(run)
    assert result["outcome"] == "graded"
    deadline = time.monotonic() + 30
    while ("s1.ipynb", "start") not in _events(log) and time.monotonic() < deadline:
        time.sleep(0.05)
    waiting_pid = _events(log)[("s1.ipynb", "start")][1]
    assert psutil.pid_exists(waiting_pid)
    run.close()  # what an interrupted batch does to the engine's iterator
    deadline = time.monotonic() + 10
    while psutil.pid_exists(waiting_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not psutil.pid_exists(waiting_pid) or psutil.Process(waiting_pid).status() == psutil.STATUS_ZOMBIE
    assert ("s1.ipynb", "go") not in _events(log)  # none of its notebook ran
    assert not list(tmp_path.glob("grader-batch-*"))


def test_a_grading_started_ahead_is_held_to_its_timeout_from_its_turn_only(tmp_path):
    log = tmp_path / "log.jsonl"
    task = Task(name="s0", filename="s0.ipynb", lab="01-rnn-cells", argv=_ahead(log, 1.0), timeout=3.0,
                notebook=notebook(tmp_path / "s0.ipynb").read_bytes())
    started = StartedTask(task)
    time.sleep(3.5)  # longer than its timeout, spent waiting for its turn
    result = started.finish()
    assert result["outcome"] == "graded", result["message"]
    assert 1.0 <= result["seconds"] < 3.0


def test_a_grading_that_ends_while_waiting_gets_its_row(tmp_path):
    """A notebook ``grader check`` refuses before its kernel starts ends at once; its turn finds it ended."""
    log = tmp_path / "log.jsonl"
    task = Task(name="b", filename="broken.ipynb", lab="01-rnn-cells", argv=_ahead(log), notebook=b"not json")
    started = StartedTask(task)
    deadline = time.monotonic() + 30
    while started.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ("broken.ipynb", "refused") in _events(log)
    result = started.finish()  # telling an ended process to go on is no error
    assert result["outcome"] == "not graded"
    assert "not a notebook" in result["message"]


@pytest.mark.parametrize("stdin", ["", "stop\n"])
def test_the_check_command_started_ahead_ends_without_running_the_notebook_unless_told_go(stdin):
    import io
    import sys

    from grader.cli.grading_commands import _wait_for_go

    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with pytest.raises(SystemExit) as ended:
            _wait_for_go()
    finally:
        sys.stdin = saved
    assert ended.value.code == 2
