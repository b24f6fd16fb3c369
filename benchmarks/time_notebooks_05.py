"""Execution time of the lab 05 reference notebooks, measured the way the grader runs a notebook.

    python benchmarks/time_notebooks_05.py                  # both flavours, once each
    python benchmarks/time_notebooks_05.py --framework torch --repeat 3

Each run starts a fresh kernel in a scratch directory holding the lab's public files, with the grader's
environment and seeding code (threads as in the lab's limits), and runs the code cells one by one. It
prints the total and the slowest cells; it asserts nothing. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader import frameworks  # noqa: E402
from grader.execute import KernelSession  # noqa: E402
from grader.grading import KERNEL_SEED  # noqa: E402
from grader.notebook import code_cells, read_notebook  # noqa: E402

LAB = "05-improving-rnns"
LAB_DIR = ROOT / "assignments" / LAB
THREADS = 1  # the lab's limits.threads
CELL_TIMEOUT = 600


def reference_path(framework: str) -> Path:
    return ROOT / "reference" / framework / f"{LAB}.ipynb"


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


def start_session(framework: str, workdir: Path, threads: int = THREADS) -> KernelSession:
    """A fresh kernel as the grader starts one, in ``workdir`` holding the lab's public files."""
    flavour = frameworks.get(framework)
    shutil.copytree(LAB_DIR / "public", workdir, dirs_exist_ok=True)
    session = KernelSession(workdir, env=flavour.environment(threads),
                            setup_code=flavour.setup_code(KERNEL_SEED, threads))
    session.start()
    return session


def run_reference(session: KernelSession, framework: str, seed: int | None = None) -> list[tuple[int, float, str]]:
    """Run every code cell of the reference; returns (cell index, seconds, status) per cell."""
    timings = []
    for position, (index, source) in enumerate(code_cells(read_notebook(reference_path(framework)))):
        if position == 0:
            source = with_seed(source, seed)
        outcome = session.run_student_cell(source, CELL_TIMEOUT)
        timings.append((index, outcome.seconds, outcome.status if outcome.status == "ok" else
                        f"{outcome.status}: {outcome.message}"))
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=["keras", "torch"], action="append")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    for framework in args.framework or ["keras", "torch"]:
        for attempt in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="time05-") as tmp:
                started = time.monotonic()
                session = start_session(framework, Path(tmp))
                kernel_start = time.monotonic() - started
                try:
                    timings = run_reference(session, framework)
                finally:
                    session.shutdown()
            cells = sum(seconds for _, seconds, _ in timings)
            bad = [f"cell {i + 1} {status}" for i, _, status in timings if status != "ok"]
            slow = sorted(timings, key=lambda t: -t[1])[:3]
            print(f"{framework} run {attempt + 1}: cells {cells:.1f} s (kernel start and setup {kernel_start:.1f} s); "
                  f"slowest: {', '.join(f'cell {i + 1} {s:.1f} s' for i, s, _ in slow)}"
                  + (f"; PROBLEMS: {'; '.join(bad)}" if bad else ""), flush=True)


if __name__ == "__main__":
    main()
