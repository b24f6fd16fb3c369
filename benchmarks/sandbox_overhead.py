"""What the kernel sandbox costs: every lab's reference graded with bubblewrap and without, alternately.

For each lab and flavour, ``grader.grade`` runs the reference notebook ``--repeat`` times in each mode
(sandboxed first, then not, then sandboxed ...), and the table gives the median total seconds (kernel
start, execution, checks, cleanup), the medians of execution and checks, and the overhead of the
sandbox in seconds and as a share of the unsandboxed total. Measured, never asserted.

    python benchmarks/sandbox_overhead.py                          # every lab, once in each mode
    python benchmarks/sandbox_overhead.py 01-rnn-cells 04-gradient-clipping --repeat 3
    python benchmarks/sandbox_overhead.py 02-tracing-vs-passfail --framework torch
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from grader.course.labs import lab_ids, load_lab
from grader.judging.grading import grade
from grader.kernel import sandbox

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "benchmarks" / "results" / "sandbox_overhead.md"


def timed(path: Path, lab: str, framework: str, use_sandbox: bool) -> dict[str, float | str]:
    started = time.perf_counter()
    report = grade(path, lab=lab, framework=framework, seed=0, use_sandbox=None if use_sandbox else False)
    total = time.perf_counter() - started
    expected = sandbox.BUBBLEWRAP if use_sandbox else sandbox.NONE
    if report.sandbox != expected:
        raise SystemExit(f"{lab} {framework}: asked for {expected}, ran with {report.sandbox}")
    return {"total": total, "execution": report.execution_seconds, "checks": report.grading_seconds,
            "score": f"{report.score:g}/{report.max_score:g}"}


def fixed_cost(framework: str, repeats: int) -> dict[bool, dict[str, float]]:
    """Medians of what the sandbox adds to every grading: start (directories, bwrap, kernel, seeding) and close."""
    from grader.course import frameworks
    from grader.kernel.execute import KernelSession

    flavour = frameworks.get(framework)
    times: dict[bool, dict[str, list[float]]] = {mode: {"start": [], "close": []} for mode in (True, False)}
    for _ in range(repeats):
        for mode in (True, False):
            started = time.perf_counter()
            box = sandbox.Sandbox(sandbox.BUBBLEWRAP if mode else sandbox.NONE)
            session = KernelSession(box.scratch, flavour.environment(1), flavour.setup_code(0, 1),
                                    sandbox=box if mode else None)
            session.start()
            ready = time.perf_counter()
            session.close()
            box.cleanup()
            times[mode]["start"].append(ready - started)
            times[mode]["close"].append(time.perf_counter() - ready)
    return {mode: {key: statistics.median(values) for key, values in parts.items()} for mode, parts in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labs", nargs="*", help="lab ids (default: every lab)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--framework", choices=["keras", "torch"], help="only this flavour (default: both)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--fixed", type=int, default=0, metavar="N",
                        help="also time N kernel starts and shutdowns of each flavour in each mode")
    args = parser.parse_args()
    ok, reason = sandbox.available()
    if not ok:
        raise SystemExit(f"the sandbox cannot start here: {reason}")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    rows = []
    for lab_id in args.labs or ([] if args.fixed else lab_ids()):
        lab = load_lab(lab_id)
        for framework, flavour in lab.flavours.items():
            if args.framework and framework != args.framework:
                continue
            runs: dict[bool, list[dict]] = {True: [], False: []}
            for _ in range(args.repeat):
                for mode in (True, False):
                    runs[mode].append(timed(flavour.reference, lab_id, framework, mode))
                    print(lab_id, framework, "sandbox" if mode else "none", f"{runs[mode][-1]['total']:.1f} s",
                          flush=True)
            median = {mode: {key: statistics.median(float(run[key]) for run in runs[mode])
                             for key in ("total", "execution", "checks")} for mode in runs}
            extra = median[True]["total"] - median[False]["total"]
            rows.append((lab_id, framework, median, extra, runs[True][0]["score"], runs[False][0]["score"],
                         [float(r["total"]) for r in runs[True]], [float(r["total"]) for r in runs[False]]))
    lines = [
        "# What the kernel sandbox costs",
        "",
        f"Produced by `python benchmarks/sandbox_overhead.py {' '.join(args.labs)}"
        f"{f' --repeat {args.repeat}' if args.repeat > 1 else ''}{f' --framework {args.framework}' if args.framework else ''}` ({reason}; {os.cpu_count()} CPUs shared with other"
        " work, so single runs vary by several percent). Each reference graded by `grader.grade` (kernel start,"
        " the notebook, every check, cleanup), alternately with the sandbox and without; medians.",
        "",
        "| lab | flavour | sandboxed (s) | of which notebook / checks (s) | unsandboxed (s) | of which notebook / checks (s)"
        " | overhead (s) | overhead | score (sandboxed / not) | every run, sandboxed / not (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for lab_id, framework, median, extra, score_on, score_off, on, off in rows:
        share = 100 * extra / median[False]["total"]
        lines.append(
            f"| {lab_id} | {framework} | {median[True]['total']:.1f} | {median[True]['execution']:.1f} / "
            f"{median[True]['checks']:.1f} | {median[False]['total']:.1f} | {median[False]['execution']:.1f} / "
            f"{median[False]['checks']:.1f} | {extra:+.1f} | {share:+.1f}% | {score_on} / {score_off} | "
            f"{', '.join(f'{t:.1f}' for t in on)} / {', '.join(f'{t:.1f}' for t in off)} |")
    if args.fixed:
        lines += ["", f"Fixed cost per grading: kernel start (directories, bwrap, kernel, seeding) and close, medians of "
                      f"{args.fixed} alternating runs (`--fixed {args.fixed}`).", "",
                  "| flavour | start sandboxed / not (s) | close sandboxed / not (s) | added per grading (s) |",
                  "|---|---:|---:|---:|"]
        for framework in ("torch", "keras"):
            cost = fixed_cost(framework, args.fixed)
            added = sum(cost[True].values()) - sum(cost[False].values())
            lines.append(f"| {framework} | {cost[True]['start']:.2f} / {cost[False]['start']:.2f} | "
                         f"{cost[True]['close']:.2f} / {cost[False]['close']:.2f} | {added:+.2f} |")
            print(framework, cost, flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
