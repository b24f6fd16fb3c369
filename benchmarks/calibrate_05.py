"""Calibrate the threshold of lab 05's ``predict-beats-naive`` check on both reference notebooks.

    python benchmarks/calibrate_05.py run --seeds 0-19            # appends one JSON line per (flavour, seed)
    python benchmarks/calibrate_05.py report                      # writes the results table (markdown)

``run`` executes each reference notebook end to end in a fresh kernel (the grader's environment and
seeding, the lab's public files in a scratch directory), with ``SEED = k`` in its first cell, then
measures ``predict`` on the hidden period exactly as the check does: the check kind's own ``plan``
sends the hidden windows to the kernel and ``forecast_errors`` computes the MAE in this process. The
plain GRU (no penalty, no dropout) is measured the same way, as a second reference point. Results are appended as they
come, so an interrupted run loses nothing; seeds already in the file are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from time_notebooks_05 import LAB, LAB_DIR, run_reference, start_session  # noqa: E402

from grader import frameworks  # noqa: E402
from grader.checks import registry  # noqa: E402
from grader.checks.base import CheckContext, Failed  # noqa: E402
from grader.checks.windowing import forecast_errors  # noqa: E402
from grader.probing import probe  # noqa: E402

CHECK_ID = "predict-beats-naive"
RUNS = Path(tempfile.gettempdir()) / "calibration_05_runs.jsonl"
REPORT = ROOT / "benchmarks" / "results" / f"calibration_{LAB}.md"
RNN_HELPER = (
    "def __calibration_rnn_predict(X):\n"
    "    X = np.asarray(X, dtype=np.float32)\n"
    "    return forecast_celsius(models['GRU'], (X - mean) / std)\n"
)


def check_spec() -> dict:
    for name in ("assignment.yaml", "assignment.yaml.draft"):
        path = LAB_DIR / name
        if path.is_file():
            spec = yaml.safe_load(path.read_text())
            return next(check for check in spec["checks"] if check["id"] == CHECK_ID)
    return {"id": CHECK_ID, "kind": "forecast_beats_naive", "params": {"margin": 0.0}}


def measure(session, framework: str, params: dict, function: str) -> dict:
    """MAE of ``function`` on the hidden period, planned and computed as the check does."""
    kind = registry.get("forecast_beats_naive")
    ctx = CheckContext(framework, np.random.default_rng(0), LAB_DIR / "hidden", LAB)
    params = {**params, "function": function}
    plan = kind.plan(params, ctx)
    modules = ["harness", frameworks.get(framework).adapter, *kind.kernel_modules]
    result = probe(session, plan.calls, modules, timeout=120)["hidden"]
    if not result.ok:
        return {"error": result.error.describe() if result.error else "failed"}
    try:
        error, naive, _ = forecast_errors(params, ctx, result.value, function, plan.state["order"])
    except Failed as failure:
        return {"error": str(failure)}
    return {"mae": error, "naive": naive}


def run(seeds: list[int], flavours: list[str], runs: Path) -> None:
    done = {(r["framework"], r["seed"]) for r in read_runs(runs)}
    params = check_spec().get("params", {})
    for seed in seeds:
        for framework in flavours:
            if (framework, seed) in done:
                continue
            started = time.monotonic()
            with tempfile.TemporaryDirectory(prefix="calibrate05-") as tmp:
                session = start_session(framework, Path(tmp), threads=1)
                try:
                    timings = run_reference(session, framework, seed)
                    problems = [f"cell {i + 1} {status}" for i, _, status in timings if status != "ok"]
                    gru = measure(session, framework, params, "predict")
                    session.run_code(RNN_HELPER, timeout=30)
                    rnn = measure(session, framework, params, "__calibration_rnn_predict")
                finally:
                    session.shutdown()
            row = {"framework": framework, "seed": seed, "gru_mae": gru.get("mae"), "rnn_mae": rnn.get("mae"),
                   "naive_mae": gru.get("naive", rnn.get("naive")), "notebook_seconds": sum(t for _, t, _ in timings),
                   "wall_seconds": time.monotonic() - started, "problems": problems + [
                       v["error"] for v in (gru, rnn) if "error" in v]}
            with runs.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


def read_runs(runs: Path) -> list[dict]:
    if not runs.is_file():
        return []
    return [json.loads(line) for line in runs.read_text().splitlines() if line.strip()]


def _stats(values: list[float]) -> str:
    if not values:
        return "-"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f} (min {min(values):.3f}, max {max(values):.3f})"


def report(runs: Path, out: Path) -> str:
    rows = sorted(read_runs(runs), key=lambda r: (r["seed"], r["framework"]))
    spec = check_spec()
    margin = float(spec.get("params", {}).get("margin", 0.0))
    naive = next((r["naive_mae"] for r in rows if r.get("naive_mae") is not None), float("nan"))
    threshold = naive - margin
    flavours = sorted({r["framework"] for r in rows})
    lines = [
        f"# Calibration of `{CHECK_ID}` (lab {LAB})",
        "",
        "Produced by `python benchmarks/calibrate_05.py run --seeds 0-19` then `... report`. Each row is one "
        "end-to-end run of the reference notebook with `SEED = k` in its first cell, in a fresh kernel with the "
        "grader's environment (CPU, 1 thread requested per kernel); the metric is computed exactly as the check does "
        "(the check kind's `plan` sends the hidden windows, `forecast_errors` computes the MAE in the grader "
        "process). The plain GRU trained by the same notebook is measured the same way, for comparison.",
        "",
        f"- Hidden period: {LAB_DIR.name}/hidden/weather_hidden.csv, windows `make_windows(rows, 24, "
        "target_shift=1)`, 1,722 windows (targets 2013-10-20 06:00Z to 2013-12-30 23:00Z).",
        f"- Naive last-value forecast MAE: **{naive:.4f} °C** (fixed: the hidden data is fixed).",
        f"- Threshold: MAE ≤ naive − margin = {naive:.4f} − {margin:g} = **{threshold:.4f} °C**.",
        "",
        "| seed | " + " | ".join(f"{f} predict MAE | {f} plain GRU MAE | {f} notebook s" for f in flavours) + " |",
        "|---:|" + "---:|---:|---:|" * len(flavours),
    ]
    by_key = {(r["framework"], r["seed"]): r for r in rows}
    for seed in sorted({r["seed"] for r in rows}):
        cells = []
        for framework in flavours:
            r = by_key.get((framework, seed))
            if r is None:
                cells += ["-", "-", "-"]
                continue
            gru = "-" if r["gru_mae"] is None else f"{r['gru_mae']:.4f}" + ("" if r["gru_mae"] <= threshold else " ✗")
            rnn = "-" if r["rnn_mae"] is None else f"{r['rnn_mae']:.4f}"
            cells += [gru, rnn, f"{r['notebook_seconds']:.0f}"]
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    lines += ["", "| flavour | runs | predict MAE mean ± sd | passing (≤ threshold) | worst margin to threshold | "
              "plain GRU MAE mean ± sd | notebook seconds mean (max) |", "|---|---:|---|---:|---:|---|---|"]
    for framework in flavours:
        mine = [r for r in rows if r["framework"] == framework]
        gru = [r["gru_mae"] for r in mine if r["gru_mae"] is not None]
        rnn = [r["rnn_mae"] for r in mine if r["rnn_mae"] is not None]
        seconds = [r["notebook_seconds"] for r in mine]
        passing = sum(value <= threshold for value in gru)
        worst = threshold - max(gru) if gru else float("nan")
        lines.append(f"| {framework} | {len(mine)} | {_stats(gru)} | {passing}/{len(mine)} | {worst:+.4f} °C | "
                     f"{_stats(rnn)} | {statistics.mean(seconds):.0f} ({max(seconds):.0f}) |")
    lines += [
        "",
        "Solutions that must fail: the naive forecast itself scores the naive MAE above (wrong solution "
        "`predict_naive`) and fails any positive margin.",
        "",
        "Notebook seconds are the sum of the cells' times during these runs, on a 2-core machine shared with other "
        "jobs (so slower and noisier than a quiet machine); `benchmarks/time_notebooks_05.py` times the references "
        "with the lab's 1 thread.",
    ]
    problems = [f"- {r['framework']} seed {r['seed']}: {'; '.join(r['problems'])}" for r in rows if r["problems"]]
    if problems:
        lines += ["", "Problems:", *problems]
    text = "\n".join(lines) + "\n"
    out.write_text(text)
    return text


def _seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds += list(range(int(low), int(high or low) + 1))
    return seeds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=RUNS, help=f"JSON lines of the runs (default {RUNS})")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="execute the references and append the measurements")
    run_parser.add_argument("--seeds", default="0-19", help="e.g. 0-19 or 0,3,5-7")
    run_parser.add_argument("--framework", choices=["keras", "torch"], action="append")
    report_parser = sub.add_parser("report", help="write the markdown table")
    report_parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    if args.command == "run":
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        run(_seeds(args.seeds), args.framework or ["keras", "torch"], args.runs)
    else:
        print(report(args.runs, args.out))


if __name__ == "__main__":
    main()
