"""Two checkouts of the grader taking turns on the same ``grader validate LAB``: wall time and identical verdicts.

Each round runs ``python -m grader validate LAB`` from the first checkout, then the second (the next round the
other way round: A B, B A, ...), each as its own process with that checkout first on ``PYTHONPATH`` and as its
working directory (so that each is its own private course). What a run prints is compared line by line between
the two checkouts: the verdicts (scores, which checks each wrong solution fails) must be identical.

    python benchmarks/interleaved_validate.py 01-rnn-cells 2 /tmp/before /tmp/after --out results.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def run(source: Path, lab: str) -> tuple[float, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(source), "OMP_NUM_THREADS": "1"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "grader", "validate", lab], cwd=source, env=env,
                          capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0:
        lines.append(f"exit status {done.returncode}: {done.stderr.strip().splitlines()[-1:]}")
    return seconds, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lab")
    parser.add_argument("rounds", type=int)
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sources = {"first": args.first.resolve(), "second": args.second.resolve()}
    times: dict[str, list[float]] = {"first": [], "second": []}
    outputs: dict[str, list[list[str]]] = {"first": [], "second": []}
    for index in range(args.rounds):
        for name in (("first", "second") if index % 2 == 0 else ("second", "first")):
            seconds, lines = run(sources[name], args.lab)
            times[name].append(round(seconds, 1))
            outputs[name].append(lines)
            print(f"round {index + 1} {name}: {seconds:.1f} s, {len(lines)} lines", flush=True)
    identical = all(lines == outputs["first"][0] for lines in outputs["first"] + outputs["second"])
    result = {"lab": args.lab, "rounds": args.rounds, "sources": {k: str(v) for k, v in sources.items()},
              "seconds": times, "mean_s": {k: round(sum(v) / len(v), 1) for k, v in times.items()},
              "ratio_second_to_first": round(sum(times["second"]) / sum(times["first"]), 3),
              "identical_verdicts": identical, "output": outputs["first"][0]}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("mean_s", "ratio_second_to_first", "identical_verdicts")}))
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
