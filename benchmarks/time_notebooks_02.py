"""Time the reference notebooks of lab 02-tracing-vs-passfail, and what grading adds on top.

For each flavour: (1) the reference executed by plain nbclient in a scratch copy of the lab's public
files (as ``jupyter execute`` does), (2) ``grader.grade`` on the same notebook: its notebook execution
and its checks, with the seconds of every check. Prints Markdown tables of medians over ``--repeat``
runs. Measured, never asserted (the lab's target: ≤ 120 s per reference, ≤ 20 s of checks).

    nice -n 10 python benchmarks/time_notebooks_02.py --repeat 1
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.course import load_lab
from grader.grading import grade

LAB = "02-tracing-vs-passfail"


def plain_execution(path: Path, public_dir: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(public_dir, tmp, dirs_exist_ok=True)
        started = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp}}).execute()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--framework", action="append", choices=["keras", "torch"])
    args = parser.parse_args()
    lab = load_lab(LAB)
    rows, per_check = [], {}
    for framework in args.framework or list(lab.flavours):
        reference = lab.flavours[framework].reference
        plain, execution, checks, total = [], [], [], []
        for _ in range(args.repeat):
            plain.append(plain_execution(reference, lab.public_dir))
            started = time.perf_counter()
            report = grade(reference, seed=0)
            total.append(time.perf_counter() - started)
            execution.append(report.execution_seconds)
            checks.append(report.grading_seconds)
            lost = [c.id for c in report.checks if not c.passed]
            print(f"{framework}: plain {plain[-1]:.1f} s, graded {total[-1]:.1f} s, score {report.score:g}/"
                  f"{report.max_score:g}" + (f" (lost: {', '.join(lost)})" if lost else ""), flush=True)
            for check in report.checks:
                per_check.setdefault((framework, check.id), []).append(check.seconds)
        rows.append((framework, *(statistics.median(v) for v in (plain, total, execution, checks))))
    print(f"\n| {LAB} | plain nbclient (s) | grader total (s) | of which notebook (s) | of which checks (s) |")
    print("|---|---|---|---|---|")
    for framework, plain_s, total_s, execution_s, checks_s in rows:
        print(f"| {framework} | {plain_s:.1f} | {total_s:.1f} | {execution_s:.1f} | {checks_s:.1f} |")
    print("\n| flavour | check | seconds |\n|---|---|---|")
    for (framework, check_id), seconds in per_check.items():
        print(f"| {framework} | {check_id} | {statistics.median(seconds):.2f} |")


if __name__ == "__main__":
    main()
