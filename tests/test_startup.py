"""What ``grader check`` imports before its kernel starts: what the kernel's start needs, nothing of judging."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# what `grader check` has imported when grade() starts the kernel (its own module, the CLI, the sandbox probe,
# the report formats), in a fresh process
BEFORE_THE_KERNEL = """
import json, sys
import grader.cli, grader.cli.grading_commands, grader.judging.grading, grader.kernel.sandbox
import grader.reports.formats, grader.reports.workflow_text
print(json.dumps(sorted(sys.modules)))
"""

JUDGING_ONLY = ("numpy", "grader.judging.checks", "grader.judging.public_checks", "grader.judging.recorded",
                "grader.kernel.probing", "torch", "tensorflow", "keras", "matplotlib", "distributed")


def test_nothing_only_judging_needs_is_imported_before_the_kernel_starts():
    out = subprocess.run([sys.executable, "-c", BEFORE_THE_KERNEL], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout
    loaded = set(json.loads(out))
    assert "grader.kernel.notebook_run" in loaded and "nbclient" in loaded  # what the kernel's start needs
    assert not loaded & set(JUDGING_ONLY), sorted(loaded & set(JUDGING_ONLY))


def test_a_grading_makes_judging_ready_while_its_kernel_starts(monkeypatch):
    """``Grading.prepare`` (run while the kernel starts) imports what the first check needs."""
    code = ("import sys\n"
            "from grader.course.labs import load_lab\n"
            "from grader.judging.grading import Grading\n"
            "run = Grading(load_lab('01-rnn-cells'), 'torch', seed=0, use_sandbox=False)\n"
            "run.prepare()\n"
            "run.close()\n"
            "print(all(m in sys.modules for m in ('numpy', 'grader.judging.checks', 'grader.kernel.probing')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "True"
