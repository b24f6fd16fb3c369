"""Measure how long the reference notebooks of lab 04 take to execute, end to end, in a fresh kernel.

Usage: python benchmarks/time_notebooks_04.py [--repeat N] [--output benchmarks/results/time_notebooks_04.md]

Each notebook runs in its own kernel with the grader's environment (thread counts, CPU only, Agg backend)
and the time of every code cell is recorded. This is a measurement, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader import frameworks
from grader.course import load_lab

ROOT = Path(__file__).resolve().parent.parent
LAB = "04-gradient-clipping"


def time_notebook(path: Path, framework: str, threads: int) -> tuple[float, list[tuple[str, float]]]:
    nb = nbformat.read(path, as_version=4)
    os.environ.update(frameworks.get(framework).environment(threads))
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    cells: list[tuple[str, float]] = []
    started = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            begin = time.perf_counter()
            client.execute_cell(cell, index)
            cells.append((cell.get("id", str(index)), time.perf_counter() - begin))
    return time.perf_counter() - started, cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "time_notebooks_04.md")
    args = parser.parse_args()
    lines = [f"# Execution time of the reference notebooks of {LAB}", "",
             f"Thread count {load_lab(LAB).limits.threads} (the lab's limit); kernel start-up included.", "",
             "| flavour | run | total s (kernel start included) | slowest cells (s) |", "|---|---|---|---|"]
    threads = load_lab(LAB).limits.threads  # as the grader runs them
    for framework in ("keras", "torch"):
        for run in range(args.repeat):
            total, cells = time_notebook(ROOT / "reference" / framework / f"{LAB}.ipynb", framework, threads)
            slowest = ", ".join(f"{name} {seconds:.1f}" for name, seconds in sorted(cells, key=lambda c: -c[1])[:3])
            lines.append(f"| {framework} | {run + 1} | {total:.1f} | {slowest} |")
            print(lines[-1], flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
