"""Bytecode for what a grading imports, written once into an environment installed without it.

The student's feedback job installs the grader with ``pip install --no-compile``: compiling every module of
PyTorch or TensorFlow (and of SymPy, TensorBoard and the rest, which no grading imports) costs install time,
bytes and files to cache and restore. Instead, :func:`warm_up` grades the lab's own student notebook (the
course's file, shipped in the grader: nothing of a student's repository runs) and writes the bytecode of every
module that grading imported, in the grader's process and in the kernel. The kernel itself never writes
bytecode (``PYTHONDONTWRITEBYTECODE``): the files its modules came from are listed by the grader's own code in
that kernel and compiled here.
"""

from __future__ import annotations

import compileall
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.course.labs import load_lab
from grader.course.notebook import read_notebook
from grader.reports.report import Report

# Run in the kernel after the notebook and its checks: the source files of the modules it imported, as JSON.
MODULE_FILES = (
    "import json as __j, sys as __s\n"
    "print('__grader_modules__' + __j.dumps(sorted({getattr(__m, '__file__', None) or '' "
    "for __m in list(__s.modules.values())} - {''})))\n"
)
MARKER = "__grader_modules__"


@dataclass
class WarmUp:
    report: Report
    compiled: list[str]  # source files whose bytecode was written, or was up to date already
    failed: list[str]  # source files that could not be compiled (read-only, or not Python)
    seconds: float


def warm_up(lab_id: str, framework: str, formats: Sequence[str] = (), prefix: str | Path | None = None) -> WarmUp:
    """Grade LAB's own student notebook of FRAMEWORK, render its report in ``formats`` (what the grading's
    reports import), and compile every module that imported, here and in the kernel, under ``prefix``.

    ``prefix`` (default: this environment's ``sys.prefix``) bounds what is compiled: only the environment's own
    files, never the standard library's or another folder's. A module whose bytecode is already up to date (this
    process wrote it when it imported the module) is left as it is.
    """
    from grader.judging.grading import Grading
    from grader.reports import formats as report_formats

    started = time.monotonic()
    lab = load_lab(lab_id)
    root = Path(prefix or sys.prefix).resolve()
    with Grading(lab, framework, seed=0, use_sandbox=False) as run:
        path = lab.flavours[framework].notebook
        events = run.execute(read_notebook(path), path.name)
        report = Report(lab.id, framework, str(path), run.judge(), events, run.seed)
        outcome = run.session.run_code(MODULE_FILES, timeout=60)
    for name in formats:
        report_formats.get(name)(report)
    kernel_files = _listed(outcome.outputs)
    here = {getattr(module, "__file__", None) for module in list(sys.modules.values())}
    compiled: list[str] = []
    failed: list[str] = []
    for name in sorted(kernel_files | {f for f in here if f}):
        source = Path(name)
        if source.suffix != ".py" or not _inside(source, root):
            continue
        (compiled if compileall.compile_file(str(source), quiet=2) else failed).append(name)
    return WarmUp(report, compiled, failed, time.monotonic() - started)


def _listed(outputs: list) -> set[str]:
    for output in outputs:
        text = output.get("text", "") if output.get("output_type") == "stream" else ""
        for line in text.splitlines():
            if line.startswith(MARKER):
                try:
                    return {str(name) for name in json.loads(line[len(MARKER):])}
                except ValueError:
                    return set()
    return set()


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except OSError:
        return False
