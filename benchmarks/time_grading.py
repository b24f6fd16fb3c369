"""Time grading against plain execution: what the grader adds on top of running a notebook.

For each flavour of a lab: (1) the reference notebook executed by plain nbclient (as
``jupyter execute`` does), (2) ``grader.grade`` on the same notebook (fresh kernel, seeding, every
check). Prints a Markdown table of medians over ``--repeat`` runs. Measured, never asserted.

    python benchmarks/time_grading.py 01-rnn-cells --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.course import load_lab
from grader.grading import grade


def plain_execution(path: Path, workdir: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lab")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    lab = load_lab(args.lab)
    rows = []
    for framework, flavour in lab.flavours.items():
        plain, graded, execution, checks = [], [], [], []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                for item in lab.public_dir.glob("*") if lab.public_dir.is_dir() else []:
                    (Path(tmp) / item.name).write_bytes(item.read_bytes())
                plain.append(plain_execution(flavour.reference, Path(tmp)))
            started = time.perf_counter()
            report = grade(flavour.reference, seed=0)
            graded.append(time.perf_counter() - started)
            execution.append(report.execution_seconds)
            checks.append(report.grading_seconds)
            assert report.score == report.max_score, f"{framework} reference lost points"
        rows.append((framework, statistics.median(plain), statistics.median(graded),
                     statistics.median(execution), statistics.median(checks)))
    print(f"| {args.lab} | plain nbclient (s) | grader total (s) | of which notebook (s) | of which checks (s) |")
    print("|---|---|---|---|---|")
    for framework, plain, total, execution, check_time in rows:
        print(f"| {framework} | {plain:.1f} | {total:.1f} | {execution:.1f} | {check_time:.1f} |")


if __name__ == "__main__":
    main()
