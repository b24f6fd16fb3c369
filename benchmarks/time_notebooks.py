"""Time the reference notebooks: plain execution, and grading them with ``grader check``.

For each lab and flavour: (1) the reference executed by plain nbclient in a scratch copy of the lab's
public files, as ``jupyter nbconvert --execute`` runs it (kernel start included, the lab's thread count
in the environment); (2) ``grader.grade`` on the same notebook: the total, its notebook execution and
its checks, with the seconds of the slowest checks. Medians over ``--repeat`` runs, written as Markdown.
Measured, never asserted; run it on a quiet machine.

    python benchmarks/time_notebooks.py                                  # every lab, once
    python benchmarks/time_notebooks.py 02-tracing-vs-passfail --repeat 3 --output /tmp/t.md
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.course import frameworks
from grader.course.labs import lab_ids, load_lab
from grader.judging.grading import grade

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "benchmarks" / "results" / "time_notebooks.md"


def plain_execution(path: Path, public_dir: Path, env: dict[str, str]) -> tuple[float, list[tuple[int, float]]]:
    """A plain nbclient run of ``path``, as nbconvert --execute does: total seconds (kernel start included)
    and the seconds of every code cell, as (cell number from 1, seconds)."""
    nb = nbformat.read(path, as_version=4)
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    cells: list[tuple[int, float]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="time-plain-") as tmp:
            if public_dir.is_dir():
                shutil.copytree(public_dir, tmp, dirs_exist_ok=True)
            client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp}})
            started = time.perf_counter()
            with client.setup_kernel():
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type == "code":
                        begin = time.perf_counter()
                        client.execute_cell(cell, index)
                        cells.append((index + 1, time.perf_counter() - begin))
            return time.perf_counter() - started, cells
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def time_lab(lab_id: str, repeat: int, frameworks_wanted: list[str] | None) -> list[str]:
    lab = load_lab(lab_id)
    rows = []
    for framework in frameworks_wanted or list(lab.flavours):
        reference = lab.flavours[framework].reference
        env = frameworks.get(framework).environment(lab.limits.threads)
        plain, total, execution, checks, per_check, per_cell, scores = [], [], [], [], {}, {}, []
        for _ in range(repeat):
            seconds, cells = plain_execution(reference, lab.public_dir, env)
            plain.append(seconds)
            for number, cell_seconds in cells:
                per_cell.setdefault(number, []).append(cell_seconds)
            started = time.perf_counter()
            report = grade(reference, seed=0)
            total.append(time.perf_counter() - started)
            execution.append(report.execution_seconds)
            checks.append(report.grading_seconds)
            scores.append(f"{report.score:g}/{report.max_score:g}")
            for check in report.checks:
                per_check.setdefault(check.id, []).append(check.seconds)
            print(f"{lab_id} {framework}: plain {plain[-1]:.1f} s, graded {total[-1]:.1f} s "
                  f"(notebook {execution[-1]:.1f} s, checks {checks[-1]:.1f} s), score {scores[-1]}", flush=True)
        slowest = sorted(per_check.items(), key=lambda item: -statistics.median(item[1]))[:3]
        slow_cells = sorted(per_cell.items(), key=lambda item: -statistics.median(item[1]))[:3]
        rows.append(f"| {lab_id} | {framework} | {lab.limits.threads} | {statistics.median(plain):.1f} | "
                    + ", ".join(f"cell {number} {statistics.median(s):.1f}" for number, s in slow_cells) + " | "
                    f"{statistics.median(total):.1f} | {statistics.median(execution):.1f} | "
                    f"{statistics.median(checks):.1f} | "
                    + ", ".join(f"{check_id} {statistics.median(s):.1f}" for check_id, s in slowest)
                    + f" | {', '.join(sorted(set(scores)))} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("labs", nargs="*", help="lab ids (default: every lab)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--framework", action="append", choices=["keras", "torch"])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    lines = [
        "# Execution and grading time of the reference notebooks",
        "",
        f"Produced by `python benchmarks/time_notebooks.py` ({args.repeat} run(s) each, medians; "
        f"{os.cpu_count()} CPUs). *plain* is nbclient executing the notebook as `jupyter nbconvert --execute` does, "
        "kernel start included; *graded* is `grader check` on the same notebook (fresh kernel, seeding, every "
        "check), split into the notebook's execution and the checks.",
        "",
        "| lab | flavour | threads | plain (s) | slowest cells (s) | graded (s) | of which notebook (s) | "
        "of which checks (s) | slowest checks (s) | score |",
        "|---|---|---:|---:|---|---:|---:|---:|---|---|",
    ]
    for lab_id in args.labs or lab_ids():
        lines += time_lab(lab_id, args.repeat, args.framework)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
