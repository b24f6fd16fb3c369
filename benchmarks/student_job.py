"""Replay the student's feedback job locally: what a push costs before the feedback comment.

For one framework it builds the public wheel from a checkout (``--source``, default: this one), then

1. cold: a fresh virtual environment, PyTorch's CPU build first (torch flavour), then the public wheel with
   the extras the generated workflow installs, pip's cache empty; then the workflow's public check on the
   lab 01 sample;
2. cached, environment restored: the cold environment saved as a zstd tarball (as actions/cache keeps it),
   removed, restored at the same path, then the public check;
3. cached, pip's cache restored: a fresh environment installed again from the pip cache the cold install
   filled, then the public check;
4. the grader's own start-up in that environment: ``python -X importtime -c 'import grader.judging.grading'`` (the
   heaviest imports) and the time a kernel takes to start and import the framework (no sandbox, as on the
   student's runner).

Writes one JSON object per run to ``--out`` (appended). Installs run under ``nice``. On this machine pip
reads PyTorch's CPU wheel and the other wheels from local directories (pip.conf's find-links and file
indexes), so every download a hosted runner makes is a local copy here: a runner pays more.

    python benchmarks/student_job.py --framework torch --label after --out /tmp/student_job.jsonl
    python benchmarks/student_job.py --framework torch --label before --source /tmp/before \\
        --extras torch --out /tmp/student_job.jsonl
    python benchmarks/student_job.py --render /tmp/student_job.jsonl     # the Markdown tables
    python benchmarks/student_job.py --interleave torch 3 WORK_BEFORE WORK_AFTER   # cached path, taking turns
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "submissions" / "01-rnn-cells-{framework}-sample.ipynb"
TORCH = "torch==2.13.0"


def _run(argv: list[str], *, nice: bool = False, env: dict | None = None, cwd: Path | None = None) -> float:
    started = time.monotonic()
    subprocess.run((["nice", "-n", "10"] if nice else []) + argv, check=True, env=env, cwd=cwd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.monotonic() - started


def _size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _packages(python: Path) -> list[str]:
    out = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "list", "--format", "json"], check=True,
                         capture_output=True, text=True).stdout
    return sorted(p["name"].lower() for p in json.loads(out))


def _runner_env(venv: Path) -> dict[str, str]:
    """The environment of the workflow's steps: no private course, nothing of this checkout, the venv on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("GRADER_PRIVATE", "VIRTUAL_ENV", "PYTHONPATH")}
    env.update(OMP_NUM_THREADS="1", PATH=f"{venv / 'bin'}:{env['PATH']}")
    return env


def _install(venv: Path, wheel: Path, extras: str, framework: str, cache: Path, pip_in_venv: bool = False,
             bytecode: str = "imported") -> dict[str, float]:
    """The workflow's install step, timed part by part, pip's cache at ``cache``: a venv without pip filled by
    the runner's pip (``pip_in_venv``: the workflow before, a venv with its own pip). ``bytecode``: "imported",
    as the workflow does now (``pip install --no-compile``, then ``grader warm-up`` compiles what grading the
    lab's own notebook imported); "all", as before (pip compiles every module it installs)."""
    times = {"venv": _run([sys.executable, "-m", "venv", *([] if pip_in_venv else ["--without-pip"]), str(venv)], nice=True)}
    pip = ([str(venv / "bin" / "python"), "-m", "pip"] if pip_in_venv else [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]) + [
        "install", "--quiet", "--cache-dir", str(cache), *(["--no-compile"] if bytecode == "imported" else [])]
    if framework == "torch":  # the workflow installs the CPU build first; here pip finds it in /opt/wheels
        times["torch"] = _run(pip + [TORCH], nice=True)
    times["grader"] = _run(pip + [f"{wheel}[{extras}]"], nice=True)
    if bytecode == "imported":  # the workflow's warm-up line, run as a runner runs it (no sandbox there)
        times["warm_up"] = _run([str(venv / "bin" / "grader"), "warm-up", "01-rnn-cells", "--framework", framework],
                                nice=True, env=_runner_env(venv), cwd=venv.parent)
    return times


def _public_check(venv: Path, framework: str, work: Path) -> float:
    """The workflow's grading step (no sandbox, as on the runner) on the lab 01 sample, from a student's repo."""
    repo = work / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    notebook = repo / f"01-rnn-cells-{framework}.ipynb"
    shutil.copy(str(SAMPLE).format(framework=framework), notebook)
    return _run([str(venv / "bin" / "grader"), "check", notebook.name, "--lab", "01-rnn-cells", "--framework",
                 framework, "--exit-zero", "--no-sandbox", "--format", "json", "--output", "grading/report.json"],
                env=_runner_env(venv), cwd=repo)


def _importtime(venv: Path, work: Path) -> dict:
    python = str(venv / "bin" / "python")
    code = "import grader.judging.grading"
    stderr = subprocess.run([python, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True,
                            cwd=work).stderr
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cumulative, name = line.split(":", 1)[1].split("|")
        rows.append((int(cumulative), name.rstrip(), int(own)))
    # what ``import grader.judging.grading`` itself pulls in: its direct imports (one level down), heaviest first
    children = [(c, n.strip()) for c, n, _ in rows if n.startswith("   ") and not n.startswith("     ")]
    walls = []
    for _ in range(3):
        walls.append(_run([python, "-c", code], cwd=work))
    return {"grader.grading_wall_s": round(min(walls), 3),
            "heaviest_imports_ms": [(n, round(c / 1000)) for c, n in sorted(children, reverse=True)[:8]]}


KERNEL_START = """
import sys, tempfile, time, os
from pathlib import Path
started = time.monotonic()
from grader.kernel.execute import KernelSession
imported = time.monotonic()
with tempfile.TemporaryDirectory() as work:
    session = KernelSession(Path(work), dict(os.environ), setup_code="import {module}")
    session.start()
    ready = time.monotonic()
    session.close()
print(round(imported - started, 3), round(ready - imported, 3))
"""


def _kernel_start(venv: Path, framework: str, work: Path) -> dict:
    module = "torch" if framework == "torch" else "keras"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    best = None
    for _ in range(2):
        out = subprocess.run([str(venv / "bin" / "python"), "-c", KERNEL_START.format(module=module)], check=True,
                             capture_output=True, text=True, cwd=work, env=env).stdout.split()
        pair = (float(out[-2]), float(out[-1]))
        best = pair if best is None or pair[1] < best[1] else best
    return {"import_execute_s": best[0], "kernel_start_with_framework_s": best[1]}


def render(results: Path) -> str:
    """The runs in ``results`` (JSON lines) as Markdown tables, one row per run."""
    runs = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    mb = 1024 * 1024
    lines = [
        "| run | extras | cold: venv + torch + grader install (+ warm-up) (s) | packages | environment (MiB) | cold check (s) "
        "| env. cache: archive (MiB), restore + check (s) | pip cache (MiB): install + check (s) | score |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        cold, venv = r["cold"], r["venv_cache"]
        pip = r.get("pip_cache")
        parts = " + ".join(f"{cold[k]:g}" for k in ("venv", "torch", "grader", "warm_up") if k in cold)
        lines.append(
            f"| {r['label']} {r['framework']} | `{r['extras']}` | {parts} = **{cold['install_s']:g}** | {cold['packages']} "
            f"| {cold['venv_bytes'] / mb:.0f} | {cold['check_s']:g} | {venv['archive_bytes'] / mb:.0f}, {venv['restore_s']:g} + "
            f"{venv['check_s']:g} = **{venv['restore_and_check_s']:g}** | "
            + (f"{pip['cache_bytes'] / mb:.0f}: {pip['install_s']:g} + {pip['check_s']:g} = {pip['install_and_check_s']:g}"
               if pip else "–") + f" | {r['score']} |")
    lines += ["", "| run | `import grader.judging.grading` (s) | its heaviest imports (ms, cumulative, first importer) "
                  "| `import grader.kernel.execute` (s) | kernel start + framework import (s) |", "|---|---|---|---|---|"]
    for r in runs:
        up = r["startup"]
        heaviest = ", ".join(f"{name} {ms}" for name, ms in up.get("heaviest_imports_ms", [])[:5])
        lines.append(f"| {r['label']} {r['framework']} | {up['grader.grading_wall_s']:g} | {heaviest} "
                     f"| {up['import_execute_s']:g} | {up['kernel_start_with_framework_s']:g} |")
    return "\n".join(lines) + "\n"


def interleave(works: list[Path], framework: str, rounds: int) -> dict[str, list[list[float]]]:
    """The cached path again, the runs' environments taking turns: restore (zstd tarball) + the public check."""
    times: dict[str, list[list[float]]] = {str(work): [] for work in works}
    for turn in range(rounds):
        for work in works if turn % 2 == 0 else works[::-1]:  # A B, B A, ...: neither always goes first
            shutil.rmtree(work / "venv", ignore_errors=True)
            subprocess.run(["sync"], check=True)  # the removal's writes are not the restore's to pay
            restore = _run(["tar", "-I", "zstd", "-xf", str(work / "venv.tar.zst"), "-C", str(work)])
            check = _public_check(work / "venv", framework, work)
            times[str(work)].append([round(restore, 1), round(check, 1), round(restore + check, 1)])
    return times


def main() -> int:
    if sys.argv[1:2] == ["--render"]:
        print(render(Path(sys.argv[2])), end="")
        return 0
    if sys.argv[1:2] == ["--interleave"]:  # --interleave FRAMEWORK ROUNDS WORK [WORK ...] (each with venv.tar.zst)
        framework, rounds, works = sys.argv[2], int(sys.argv[3]), [Path(w) for w in sys.argv[4:]]
        print(json.dumps({"framework": framework, "restore_check_total_s": interleave(works, framework, rounds)}))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--framework", choices=("torch", "keras"), required=True)
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout whose wheel is installed")
    parser.add_argument("--extras", help="extras the workflow installs (default: the generated workflow's)")
    parser.add_argument("--label", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--no-pip-cache", action="store_true", help="measure the cold and environment-cache paths only")
    parser.add_argument("--bytecode", choices=("imported", "all"), default="imported",
                        help="imported: pip --no-compile, then grader warm-up (the workflow now); all: pip compiles all")
    parser.add_argument("--work", type=Path, default=None, help="scratch directory (default: a temporary one)")
    args = parser.parse_args()
    extras = args.extras
    if extras is None:
        from grader.course.labs import load_lab
        from grader.platforms.starter import student_extras

        extras = ",".join(student_extras(load_lab("01-rnn-cells"), args.framework))
    work = args.work or Path(tempfile.mkdtemp(prefix="student-job-"))
    work.mkdir(parents=True, exist_ok=True)
    wheels = work / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(args.source)],
                   check=True, capture_output=True)
    (wheel,) = wheels.glob("rnn_course_grader-*.whl")
    venv, cache = work / "venv", work / "pip-cache"
    result: dict = {"label": args.label, "framework": args.framework, "extras": extras,
                    "source": str(args.source), "python": sys.version.split()[0]}

    cold = _install(venv, wheel, extras, args.framework, cache, bytecode=args.bytecode)
    baseline = {"pip", "setuptools"}  # what python -m venv puts in
    packages = [p for p in _packages(venv / "bin" / "python") if p not in baseline]
    files = sum(1 for p in venv.rglob("*") if p.is_file())
    result["bytecode"] = args.bytecode
    result["cold"] = {**{k: round(v, 1) for k, v in cold.items()}, "install_s": round(sum(cold.values()), 1),
                      "packages": len(packages), "venv_bytes": _size(venv), "files": files, "package_names": packages}
    # actions/cache keeps a zstd tarball of the path and restores it at the same path; the workflow saves it
    # before the check runs (what is kept is the install and its warm-up, nothing a notebook did)
    tarball = work / "venv.tar.zst"
    save = _run(["tar", "-I", "zstd -T0", "-cf", str(tarball), "-C", str(work), "venv"], nice=True)
    result["cold"]["check_s"] = round(_public_check(venv, args.framework, work), 1)
    report = json.loads((work / "repo" / "grading" / "report.json").read_text())
    result["score"] = f"{report['score']:g}/{report['max_score']:g}"
    shutil.rmtree(venv)
    restore = _run(["tar", "-I", "zstd", "-xf", str(tarball), "-C", str(work)])
    result["venv_cache"] = {"archive_bytes": tarball.stat().st_size, "save_s": round(save, 1),
                            "restore_s": round(restore, 1),
                            "check_s": round(_public_check(venv, args.framework, work), 1)}
    result["venv_cache"]["restore_and_check_s"] = round(restore + result["venv_cache"]["check_s"], 1)
    result["startup"] = {**_importtime(venv, work), **_kernel_start(venv, args.framework, work)}
    if args.no_pip_cache:  # on this machine pip caches nothing (every wheel is a local file): skip that path
        with args.out.open("a") as out:
            out.write(json.dumps(result) + "\n")
        return 0

    shutil.rmtree(venv)
    warm = _install(venv, wheel, extras, args.framework, cache, bytecode=args.bytecode)
    result["pip_cache"] = {"cache_bytes": _size(cache), **{k: round(v, 1) for k, v in warm.items()},
                           "install_s": round(sum(warm.values()), 1),
                           "check_s": round(_public_check(venv, args.framework, work), 1)}
    result["pip_cache"]["install_and_check_s"] = round(result["pip_cache"]["install_s"] + result["pip_cache"]["check_s"], 1)
    with args.out.open("a") as out:
        out.write(json.dumps(result) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "cold"} | {"cold": {k: v for k, v in result["cold"].items()
                                                                               if k != "package_names"}}, indent=1))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
