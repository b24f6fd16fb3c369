"""Two checkouts of the grader taking turns on ``grader batch --sequential`` over the same class: wall time and
identical grades.

The class is N lab 01 notebooks of one flavour (the reference, then the reference with one of the lab's wrong
solutions appended, in turn). Each round runs ``python -m grader batch CLASS --sequential --seed S --force`` from
the first checkout, then the second (the next round the other way round: A B, B A, ...), each as its own process
with that checkout first on ``PYTHONPATH`` and as its working directory (each its own private course), into a
fresh output folder. The grades (each row's student, status and every check's points) must be identical
between the two checkouts and across rounds.

    python benchmarks/interleaved_batch.py 2 /tmp/before /tmp/after --n 10 --out results.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from batch_throughput import build_class  # benchmarks/: run as a script from there

LAB = "01-rnn-cells"
TIMING_COLUMNS = {"seconds", "graded_at", "host", "grader_version"}


def grades(out: Path) -> list[dict[str, str]]:
    with open(out / "grades.csv", newline="") as handle:
        return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in csv.DictReader(handle)]


def run(source: Path, submissions: Path, out: Path, seed: int) -> tuple[float, list[dict[str, str]], int]:
    env = {**os.environ, "PYTHONPATH": str(source), "OMP_NUM_THREADS": "1"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "grader", "batch", str(submissions), "--out", str(out),
                           "--sequential", "--seed", str(seed), "--force", "--lab", LAB],
                          cwd=source, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode not in (0, 1):
        print(done.stderr[-2000:], file=sys.stderr)
    return seconds, grades(out), done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rounds", type=int)
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--framework", choices=("torch", "keras"), default="torch")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sources = {"first": args.first.resolve(), "second": args.second.resolve()}
    times: dict[str, list[float]] = {"first": [], "second": []}
    seen: dict[str, list[list[dict[str, str]]]] = {"first": [], "second": []}
    with tempfile.TemporaryDirectory(prefix="interleaved-batch-") as tmp:
        base = Path(tmp)
        build_class(base / "class", args.n, (LAB,), args.framework, root=sources["first"])
        for index in range(args.rounds):
            for name in (("first", "second") if index % 2 == 0 else ("second", "first")):
                out = base / f"out-{name}-{index}"
                seconds, rows, code = run(sources[name], base / "class", out, args.seed)
                times[name].append(round(seconds, 1))
                seen[name].append(rows)
                statuses = [row.get("status") for row in rows]
                print(f"round {index + 1} {name}: {seconds:.1f} s, exit {code}, "
                      f"{statuses.count('graded')}/{len(rows)} graded", flush=True)
    reference = seen["first"][0]
    identical = all(rows == reference for rows in seen["first"] + seen["second"])
    result = {"lab": LAB, "framework": args.framework, "n": args.n, "rounds": args.rounds, "seed": args.seed,
              "sources": {k: str(v) for k, v in sources.items()}, "seconds": times,
              "mean_s": {k: round(sum(v) / len(v), 1) for k, v in times.items()},
              "ratio_second_to_first": round(sum(times["second"]) / sum(times["first"]), 3),
              "identical_grades": identical,
              "scores": [(row.get("student"), row.get("score"), row.get("status")) for row in reference]}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("mean_s", "ratio_second_to_first", "identical_grades")}))
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
