"""Calibrate the hidden-data thresholds of lab 02-tracing-vs-passfail.

Each reference notebook runs end to end in the grader's kernel (``Grading.execute``) with its ``SEED``
set to 0..19; then the metric checks of the spec (kind ``hidden_metric``) are planned and probed exactly
as grading does, and the metric values are computed with the check's own code
(``grader.checks.tracing.metric_value``). In the same kernel the baseline wrong solutions (majority class,
single week, constant) are appended one at a time and measured the same way. Every run is appended to a
JSON-lines file as soon as it is done (a rerun skips the runs already there); ``--report`` writes the
Markdown table.

    nice -n 10 env OMP_NUM_THREADS=1 python benchmarks/calibrate_02.py --seeds 20
    python benchmarks/calibrate_02.py --report
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from grader.checks import registry, tracing
from grader.checks.base import CheckContext
from grader.course import load_lab
from grader.grading import Grading
from grader.notebook import read_notebook
from grader.probing import probe
from grader.validate import load_wrong_solutions

LAB = "02-tracing-vs-passfail"
BASELINES = ("passfail_majority_class", "passfail_single_week", "tracing_constant", "tracing_single_week")
RESULTS = Path(__file__).resolve().parent / "results"
RAW = RESULTS / f"calibration_{LAB}.jsonl"
TABLE = RESULTS / f"calibration_{LAB}.md"
_SEED_LINE = re.compile(r"^SEED = \d+", re.M)
# The machine is shared while calibrating: oversubscribed intra-op threads slow PyTorch down tenfold, so the
# notebooks' thread settings (2) are set to 1 for calibration runs.
_THREADS = re.compile(r"(set_num_threads|set_intra_op_parallelism_threads|set_inter_op_parallelism_threads)\(2\)")


def with_seed(nb: Any, seed: int) -> Any:
    """The notebook with ``SEED = seed`` in its first code cell that sets it (and one thread)."""
    nb = nb.copy()
    nb.cells = [cell.copy() for cell in nb.cells]
    for cell in nb.cells:
        if cell.cell_type == "code" and _SEED_LINE.search(cell.source):
            cell.source = _THREADS.sub(r"\1(1)", _SEED_LINE.sub(f"SEED = {seed}", cell.source, count=1))
            return nb
    raise SystemExit("no 'SEED = ...' line in the reference notebook")


def measure(run: Grading, lab: Any, framework: str) -> dict[str, float | None]:
    """Each hidden_metric check of the spec, planned, probed and computed as grading does."""
    values: dict[str, float | None] = {}
    for check in lab.checks_for(framework):
        if check.kind != "hidden_metric":
            continue
        kind = registry.get(check.kind)
        ctx = CheckContext(framework, np.random.default_rng(0), lab.hidden_dir, lab.id)
        plan = kind.plan(check.params, ctx)
        assert run.session is not None
        result = probe(run.session, plan.calls, ["harness", run.framework.adapter], lab.limits.probe_timeout)["hidden"]
        if not result.ok:
            values[check.id] = None
            continue
        pred = np.asarray(result.value, dtype=np.float64)
        n = plan.state["n"]
        pred = pred.reshape(n, -1) if check.params["metric"] == "rmse_observed" else pred.reshape(n)
        values[check.id] = tracing.metric_value(check.params["metric"], lab.hidden_dir, pred)
    return values


def calibrate(seeds: list[int], frameworks: list[str]) -> None:
    lab = load_lab(LAB)
    lab = replace(lab, limits=replace(lab.limits, threads=1, cell_timeout=1200, notebook_timeout=2400))
    done = {(row["framework"], row["seed"]) for row in _rows()}
    for seed in seeds:
        for framework in frameworks:
            if (framework, seed) in done:
                continue
            nb = with_seed(read_notebook(lab.flavours[framework].reference), seed)
            started = time.perf_counter()
            with Grading(lab, framework, seed=0) as run:
                events = run.execute(nb, "reference.ipynb")
                seconds = time.perf_counter() - started
                row: dict[str, Any] = {"framework": framework, "seed": seed, "seconds": round(seconds, 1),
                                       "cells": [f"{e.index}: {e.status} {e.message[:200]}" for e in events],
                                       "reference": measure(run, lab, framework), "baselines": {}}
                run.snapshot()
                for wrong in load_wrong_solutions(LAB, framework):
                    if wrong.name not in BASELINES:
                        continue
                    status = run.run_extra_cell(wrong.source)
                    row["baselines"][wrong.name] = measure(run, lab, framework) if status == "ok" else status
                    run.restore()
            with RAW.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            print(framework, seed, row["seconds"], row["reference"], flush=True)


def _rows() -> list[dict[str, Any]]:
    """The complete runs (every cell ran) of the raw file."""
    if not RAW.is_file():
        return []
    rows = [json.loads(line) for line in RAW.read_text().splitlines() if line.strip()]
    return [row for row in rows if not row["cells"]]


def _summary(values: list[float]) -> str:
    if not values:
        return "–"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} ± {sd:.4f} (min {min(values):.4f}, max {max(values):.4f})"


def report() -> str:
    lab = load_lab(LAB)
    rows = _rows()
    checks = [c for c in lab.checks if c.kind == "hidden_metric"]
    lines = [f"# Calibration of the hidden-data thresholds of {LAB}", "",
             "Produced by `benchmarks/calibrate_02.py` (raw rows: `calibration_02-tracing-vs-passfail.jsonl`). Each "
             "reference notebook ran end to end in the grader's kernel with `SEED` = 0..19; the metric was computed "
             "on the 1,000 hidden students exactly as the check does (inputs prepared by the grader, labels read in "
             "the grader only). Baselines are the wrong solutions of the same names, appended to the executed "
             "reference of every seed.", ""]
    header = "| flavour | seed | seconds | " + " | ".join(c.id for c in checks) + " |"
    lines += [header, "|" + "---|" * (3 + len(checks))]
    for row in sorted(rows, key=lambda r: (r["framework"], r["seed"])):
        values = [row["reference"].get(c.id) for c in checks]
        lines.append(f"| {row['framework']} | {row['seed']} | {row['seconds']:.0f} | "
                     + " | ".join("–" if v is None else f"{v:.4f}" for v in values) + " |")
    lines += ["", "## Summary", "", "| check | threshold | flavour | reference mean ± sd (min, max) | passes | margin "
              "(worst reference to threshold) |", "|---|---|---|---|---|---|"]
    for check in checks:
        threshold = float(check.params["threshold"])
        direction = tracing.METRICS[check.params["metric"]][1]
        for framework in ("keras", "torch"):
            values = [r["reference"][check.id] for r in rows if r["framework"] == framework
                      and r["reference"].get(check.id) is not None]
            passes = sum((v <= threshold) if direction == "max" else (v >= threshold) for v in values)
            worst = (max(values) if direction == "max" else min(values)) if values else float("nan")
            lines.append(f"| {check.id} | {'≤' if direction == 'max' else '≥'} {threshold:g} | {framework} | "
                         f"{_summary(values)} | {passes}/{len(values)} | {abs(threshold - worst):.4f} |")
    lines += ["", "## Baselines (each must fail the checks of its function)", "",
              "| baseline | flavour | check | value mean ± sd (min, max) | fails | margin (best baseline to threshold) |",
              "|---|---|---|---|---|---|"]
    for name in BASELINES:
        function = "predict_passfail" if name.startswith("passfail") else "predict_tracing"
        for framework in ("keras", "torch"):
            for check in checks:
                if check.params["function"] != function:
                    continue
                values = [r["baselines"][name][check.id] for r in rows if r["framework"] == framework
                          and isinstance(r["baselines"].get(name), dict) and r["baselines"][name].get(check.id) is not None]
                threshold = float(check.params["threshold"])
                direction = tracing.METRICS[check.params["metric"]][1]
                fails = sum((v > threshold) if direction == "max" else (v < threshold) for v in values)
                best = (min(values) if direction == "max" else max(values)) if values else float("nan")
                lines.append(f"| {name} | {framework} | {check.id} | {_summary(values)} | {fails}/{len(values)} | "
                             f"{abs(threshold - best):.4f} |")
    seconds = {fw: [r["seconds"] for r in rows if r["framework"] == fw] for fw in ("keras", "torch")}
    lines += ["", "Notebook execution in the grader's kernel during calibration (niced, one run at a time, other jobs "
              "on the machine): " + "; ".join(
        f"{fw} {statistics.mean(v):.0f} ± {statistics.stdev(v) if len(v) > 1 else 0:.0f} s (min {min(v):.0f}, max {max(v):.0f})"
        for fw, v in seconds.items() if v), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--framework", action="append", choices=["keras", "torch"])
    parser.add_argument("--report", action="store_true", help="write the Markdown table from the raw rows")
    args = parser.parse_args()
    if args.report:
        TABLE.write_text(report())
        print(TABLE.read_text())
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    calibrate(list(range(args.seeds)), args.framework or ["keras", "torch"])


if __name__ == "__main__":
    main()
