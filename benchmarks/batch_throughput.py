"""Throughput of ``grader batch``: the same N submissions graded with 1 and with 2 local Dask workers.

The class is N PyTorch notebooks, half lab 01 and half lab 04 (the cheapest labs): each lab's reference, and
the reference with one of its wrong solutions appended (``tests/wrong_solutions/<lab>/torch/``), in turn. Each
run grades into a fresh output folder (nothing resumed), with the same seed. Prints the wall time of each
run, the speed-up, and whether every grades.csv is identical, and writes
``benchmarks/results/batch_throughput.md``. With ``--repeat R`` the worker counts are run R times in turn
(1, 2, 1, 2, ...), so that a change in the machine's speed during the benchmark falls on both, and the
medians are compared.

    python benchmarks/batch_throughput.py [--n 20] [--jobs 1 2] [--seed 3] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
LABS = ("01-rnn-cells", "04-gradient-clipping")


def build_class(folder: Path, n: int, labs: tuple[str, ...] = LABS, framework: str = "torch",
                root: Path = ROOT) -> list[Path]:
    """N submissions taking ``labs`` in turn, each in its own student folder: each lab's reference from the
    checkout ``root``, then the reference with one of its wrong solutions appended, in turn."""
    made = []
    wrong = {lab: sorted((root / "tests" / "wrong_solutions" / lab / framework).glob("*.py")) for lab in labs}
    for i in range(n):
        lab = labs[i % len(labs)]
        nb = nbformat.read(root / "reference" / framework / f"{lab}.ipynb", as_version=4)
        nb.metadata["grader"] = {"lab": lab, "framework": framework}
        k = i // len(labs)
        if k:  # the first of each lab is the reference itself
            solution = wrong[lab][(k - 1) % len(wrong[lab])]
            nb.cells.append(nbformat.v4.new_code_cell(solution.read_text()))
        path = folder / f"student{i:02d}" / f"{lab}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
        made.append(path)
    return made


def run(submissions: Path, out: Path, jobs: int, seed: int) -> float:
    from grader.batch.class_grading import ClassOptions, grade_class
    from grader.batch.planning import BatchOptions
    from grader.batch.task import sandbox_available

    options = BatchOptions(out_dir=out, labs=LABS, seed=seed, force=True, no_sandbox=not sandbox_available()[0])
    started = time.monotonic()
    result = grade_class([submissions], options, ClassOptions(jobs=jobs))
    seconds = time.monotonic() - started
    statuses = [row.status for row in result.batch.rows]
    print(f"jobs={jobs}: {seconds:.1f} s, {statuses.count('graded')}/{len(statuses)} graded", flush=True)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1, help="run the worker counts this many times, in turn")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "batch_throughput.md")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from grader.batch.task import sandbox_available

    runs: dict[int, list[float]] = {jobs: [] for jobs in args.jobs}
    grades: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="batch-throughput-") as tmp:
        base = Path(tmp)
        build_class(base / "class", args.n)
        for round_ in range(args.repeat):
            for jobs in args.jobs:
                out = base / f"out-{round_}-{jobs}"
                runs[jobs].append(run(base / "class", out, jobs, args.seed))
                grades.add((out / "grades.csv").read_text())
        scores = [line.split(",")[6] for line in sorted(grades)[0].splitlines()[1:]]
    times = {jobs: statistics.median(seconds) for jobs, seconds in runs.items()}
    first = args.jobs[0]
    identical = len(grades) == 1
    median = "median wall time" if args.repeat > 1 else "wall time"
    lines = [
        "# Throughput of grader batch",
        "",
        f"Produced by `python benchmarks/batch_throughput.py --n {args.n} --jobs {' '.join(map(str, args.jobs))} "
        f"--seed {args.seed} --repeat {args.repeat}`: {args.n} PyTorch submissions, half lab 01 and half lab 04 "
        "(references and references with a wrong solution appended), graded from scratch by an embedded Dask "
        f"LocalCluster of that many workers (one thread each), the worker counts run {args.repeat} time(s) in turn. "
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}; sandbox: "
        f"{'bubblewrap' if sandbox_available()[0] else 'none'}.",
        "",
        f"| workers | {median} (s) | runs (s) | speed-up |",
        "|---:|---:|---|---:|",
        *(f"| {jobs} | {seconds:.1f} | {', '.join(f'{s:.1f}' for s in runs[jobs])} | {times[first] / seconds:.2f}× |"
          for jobs, seconds in times.items()),
        "",
        f"grades.csv identical across all runs: **{'yes' if identical else 'NO'}**. Scores: {', '.join(scores)}.",
        "",
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines), encoding="utf-8")
    for jobs, seconds in times.items():
        print(f"{jobs} worker(s): {median} {seconds:.1f} s, speed-up {times[first] / seconds:.2f}x")
    print(f"grades identical: {identical}; wrote {args.output}")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
