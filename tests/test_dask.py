"""The Dask engine without kernels: the same rows as sequential grading, and workers that die mid-task."""

from __future__ import annotations

import threading
import time

import psutil
from batchfakes import REPORT, WRITE, fake, notebook

from grader.batch.dask_engine import DaskEngine
from grader.batch.engines import SequentialEngine
from grader.batch.gradebook import write_grades_csv
from grader.batch.planning import BatchOptions
from grader.batch.rows import GRADED, NOT_GRADED, find_submissions
from grader.batch.run import grade_batch


def _options(tmp_path, script, out="out"):
    return BatchOptions(out_dir=tmp_path / out, seed=5, argv=fake(script), no_sandbox=True)


def test_a_local_cluster_gives_the_same_gradebook_as_sequential_grading(tmp_path):
    for i, failing in enumerate(("", "fail: rnn-step", "fail: gru-step, count-params", "")):
        notebook(tmp_path / "class" / f"s{i}" / "lab.ipynb", failing)
    found = find_submissions([tmp_path / "class"])
    sequential = grade_batch(found, _options(tmp_path, REPORT + WRITE, "seq"), SequentialEngine())
    with DaskEngine(jobs=2) as engine:
        assert engine.slots == 2
        local = grade_batch(found, _options(tmp_path, REPORT + WRITE, "dask"), engine)
    write_grades_csv(sequential.rows, tmp_path / "seq.csv")
    write_grades_csv(local.rows, tmp_path / "dask.csv")
    assert (tmp_path / "seq.csv").read_text() == (tmp_path / "dask.csv").read_text()
    assert [row.score for row in local.rows] == [22.0, 20.0, 17.0, 22.0]
    assert (tmp_path / "dask" / "s2__lab.json").is_file()  # written by the client from the task's result


def test_a_worker_killed_mid_task_costs_one_retry_and_the_batch_completes(tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    notebook(tmp_path / "class" / "fine" / "lab.ipynb", "fail: rnn-step", who="fine")
    notebook(tmp_path / "class" / "sleeper" / "lab.ipynb", who="sleeper")
    notebook(tmp_path / "class" / "killer" / "lab.ipynb", who="killer")
    script = REPORT + (
        "import os, signal, time\n"
        f"marks = pathlib.Path({str(marks)!r})\n"
        "who = json.loads(notebook.read_text())['metadata'].get('who', '')\n"
        "if who == 'sleeper' and not (marks / 'sleeper').exists():\n"
        "    (marks / 'sleeper.tmp').write_text(f'{os.getppid()} {os.getpid()}')\n"
        "    os.rename(marks / 'sleeper.tmp', marks / 'sleeper')\n"
        "    time.sleep(120)\n"
        "if who == 'killer':\n"
        "    with open(marks / 'killer', 'a') as f: f.write('x')\n"
        "    os.kill(os.getppid(), signal.SIGKILL); time.sleep(120)\n"
        + WRITE
    )
    killed = {}

    def kill_the_sleepers_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (marks / "sleeper").exists():
            time.sleep(0.1)
        worker, grading = map(int, (marks / "sleeper").read_text().split())
        killed.update(worker=worker, grading=grading)
        psutil.Process(worker).kill()

    thread = threading.Thread(target=kill_the_sleepers_worker, daemon=True)
    thread.start()
    with DaskEngine(jobs=2) as engine:
        result = grade_batch(find_submissions([tmp_path / "class"]), _options(tmp_path, script), engine)
    thread.join(5)
    rows = {row.name: row for row in result.rows}
    assert set(rows) == {"fine__lab", "sleeper__lab", "killer__lab"}
    assert rows["fine__lab"].status == GRADED and rows["fine__lab"].score == 20.0
    assert rows["sleeper__lab"].status == GRADED and rows["sleeper__lab"].score == 22.0  # graded on the retry
    assert rows["killer__lab"].status == NOT_GRADED and rows["killer__lab"].score == 0
    assert "worker grading it died" in rows["killer__lab"].message
    assert (marks / "killer").read_text() == "xx"  # one retry, then the row
    assert killed and not psutil.pid_exists(killed["worker"])
    for _ in range(50):  # the killed worker's grading process died with it
        if not psutil.pid_exists(killed["grading"]) or psutil.Process(killed["grading"]).status() == "zombie":
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the grading process of the killed worker was left running")


def test_a_local_cluster_starts_the_slowest_submissions_first(tmp_path):
    # each lab's flavours carry the reference's grading time: lab 01 keras 18.4 s, lab 04 keras 15.9 s,
    # lab 04 torch 11.0 s, lab 01 torch 4.8 s; one worker runs the tasks one at a time, in the order it gets them
    submitted = [("01-rnn-cells", "torch"), ("04-gradient-clipping", "torch"), ("01-rnn-cells", "keras"),
                 ("04-gradient-clipping", "keras"), ("01-rnn-cells", "torch")]
    for i, (lab, framework) in enumerate(submitted):
        notebook(tmp_path / "class" / f"s{i}" / f"{lab}-{framework}-{i}.ipynb", lab=lab, framework=framework)
    log = tmp_path / "order.txt"
    script = f"import sys; open({str(log)!r}, 'a').write(sys.argv[2].rsplit('/', 1)[1] + '\\n'); sys.exit(3)"
    options = BatchOptions(out_dir=tmp_path / "out", seed=5, argv=fake(script), no_sandbox=True,
                           labs=("01-rnn-cells", "04-gradient-clipping"))
    with DaskEngine(jobs=1) as engine:
        rows = grade_batch(find_submissions([tmp_path / "class"]), options, engine).rows
    assert log.read_text().split() == ["01-rnn-cells-keras-2.ipynb", "04-gradient-clipping-keras-3.ipynb",
                                       "04-gradient-clipping-torch-1.ipynb", "01-rnn-cells-torch-0.ipynb",
                                       "01-rnn-cells-torch-4.ipynb"]
    assert [row.name.split("__")[0] for row in rows] == ["s0", "s1", "s2", "s3", "s4"]  # rows keep the class's order
