"""``grader batch`` end to end with real kernels (lab 01 PyTorch notebooks, the cheapest): a LocalCluster, an
external ``dask scheduler`` + ``dask worker`` and sequential grading give the same grades.csv; a rerun grades
only what is missing; another lab's notebook is refused; a kernel that forges its report and kills the grader
gets no score."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from grader.batch.task import sandbox_available
from grader.cli import main

pytestmark = pytest.mark.slow


def _sandbox_flags() -> list[str]:
    return [] if sandbox_available()[0] else ["--no-sandbox"]


def _class(root: Path, tmp_path: Path) -> Path:
    submissions = tmp_path / "class"
    for student, source in (("alice", root / "tests" / "submissions" / "01-rnn-cells-torch-sample.ipynb"),
                            ("bob", root / "reference" / "torch" / "01-rnn-cells.ipynb"),
                            ("dan", root / "assignments" / "04-gradient-clipping" / "04-gradient-clipping-torch.ipynb")):
        (submissions / student).mkdir(parents=True)
        shutil.copy(source, submissions / student / "lab01.ipynb")
    nb = nbformat.read(submissions / "bob" / "lab01.ipynb", as_version=4)
    nb.metadata["grader"] = {"lab": "01-rnn-cells", "framework": "torch"}  # as a released notebook carries it
    nbformat.write(nb, submissions / "bob" / "lab01.ipynb")
    (submissions / "carol").mkdir()
    (submissions / "carol" / "lab01.ipynb").write_text("{ this is not json")
    return submissions


def _grades(out: Path) -> str:
    return (out / "grades.csv").read_text()


class _Cluster:
    """A real ``dask scheduler`` and one ``dask worker``, separate processes on 127.0.0.1."""

    def __init__(self, tmp_path: Path) -> None:
        dask = str(Path(sys.executable).with_name("dask"))
        self.file = tmp_path / "scheduler.json"
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        self.scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                           "--scheduler-file", str(self.file)], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]
        self.worker = subprocess.Popen([dask, "worker", self.address, "--nworkers", "1", "--nthreads", "1",
                                        "--no-dashboard", "--memory-limit", "0", "--host", "127.0.0.1"], env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def close(self) -> None:
        for process in (self.worker, self.scheduler):
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_class_graded_locally_on_a_cluster_and_sequentially_gets_one_gradebook(root, tmp_path):
    submissions = _class(root, tmp_path)
    runner = CliRunner()
    common = ["--seed", "7", *_sandbox_flags()]

    local = tmp_path / "local"
    result = runner.invoke(main, ["batch", str(submissions), "--out", str(local), "--jobs", "2", *common])
    assert result.exit_code == 1, result.output  # carol and dan were not graded
    rows = {row["submission"]: row for row in csv.DictReader((local / "grades.csv").open())}
    assert set(rows) == {"alice__lab01", "bob__lab01", "carol__lab01", "dan__lab01"}
    assert rows["alice__lab01"]["status"] == "graded" and rows["alice__lab01"]["score"] == "17"
    assert rows["alice__lab01"]["lstm-step"] == "0" and rows["alice__lab01"]["lstm-step (max)"] == "3"
    assert rows["bob__lab01"]["status"] == "graded" and rows["bob__lab01"]["score"] == "22"
    assert rows["carol__lab01"]["status"] == "not graded" and rows["carol__lab01"]["max_score"] == ""  # no points
    assert rows["dan__lab01"]["status"] == "not graded" and "names lab 04-gradient-clipping" in rows["dan__lab01"]["message"]
    report = json.loads((local / "alice__lab01.json").read_text())
    assert report["seed"] == 7 and report["framework"] == "torch"
    assert (local / "alice__lab01.md").is_file() and (local / "alice__lab01.executed.ipynb").is_file()
    assert "4 submission(s): 2 graded, 2 not graded" in result.output
    assert "01-rnn-cells: 2/3 graded, mean 19.5" in result.output  # dan's lab 04 notebook is no lab 01 submission
    html = (local / "summary.html").read_text()
    assert html.count("data:image/png;base64,") == 2

    # the rerun grades only what is missing (carol's broken notebook, tried again; nothing else)
    before, first = (local / "alice__lab01.json").stat().st_mtime_ns, _grades(local)
    again = runner.invoke(main, ["batch", str(submissions), "--out", str(local), "--sequential", *common])
    assert again.exit_code == 1 and "2 already graded" in again.output
    assert (local / "alice__lab01.json").stat().st_mtime_ns == before
    assert _grades(local) == first

    sequential = tmp_path / "sequential"
    result = runner.invoke(main, ["batch", str(submissions), "--out", str(sequential), "--sequential", *common])
    assert result.exit_code == 1, result.output
    assert _grades(sequential) == _grades(local)

    cluster = _Cluster(tmp_path)
    try:
        remote = tmp_path / "remote"
        result = runner.invoke(main, ["batch", str(submissions), "--out", str(remote), "--scheduler", cluster.address,
                                      *common])
    finally:
        cluster.close()
    assert result.exit_code == 1, result.output
    assert "3 retries, not 1 (distributed.scheduler.allowed-failures)" in result.output  # Dask's default, said
    assert _grades(remote) == _grades(local)
    assert json.loads((remote / "bob__lab01.json").read_text())["score"] == 22


FORGER = r'''
import json, os, signal
cmdline = open(f"/proc/{os.getppid()}/cmdline", "rb").read().split(b"\0")
outputs = [cmdline[i + 1].decode() for i, arg in enumerate(cmdline[:-1]) if arg == b"--output"]
for path in outputs:
    if path.endswith(".json"):
        open(path, "w").write(FORGED)
        open(MARK, "w").write(path)
os.kill(os.getppid(), signal.SIGKILL)
'''


def test_a_kernel_that_forges_its_report_and_kills_the_grader_gets_no_score(root, tmp_path):
    """Without the sandbox the kernel can reach the grader; the batch still takes no score from its files."""
    from grader.course.labs import load_lab

    checks = [{"id": c.id, "title": c.title, "score": c.points, "max_score": c.points, "status": "passed",
               "message": "", "visibility": "public", "seconds": 0.0} for c in load_lab("01-rnn-cells").checks_for("torch")]
    forged = json.dumps({"lab": "01-rnn-cells", "framework": "torch", "notebook": "x", "seed": 7,
                         "score": 22.0, "max_score": 22.0, "checks": checks, "cells": [], "notes": []})
    nb = nbformat.read(root / "assignments" / "01-rnn-cells" / "01-rnn-cells-torch.ipynb", as_version=4)
    mark = tmp_path / "forged-at.txt"
    nb.cells.append(nbformat.v4.new_code_cell(f"FORGED = {forged!r}\nMARK = {str(mark)!r}\n" + FORGER))
    (tmp_path / "class" / "mallory").mkdir(parents=True)
    nbformat.write(nb, tmp_path / "class" / "mallory" / "lab01.ipynb")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "class"), "--out", str(out), "--sequential",
                                       "--seed", "7", "--no-sandbox"])
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert result.exit_code == 1, result.output
    assert rows[0]["status"] == "not graded" and rows[0]["score"] == "", rows[0]  # not graded: no score, not a zero
    assert "killed by SIGKILL" in rows[0]["message"]
    assert not (out / "mallory__lab01.json").exists()
    assert mark.read_text().endswith("report.json")  # the attack did run: the grader's report file was forged
