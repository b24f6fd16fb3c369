"""What ``grader check`` imports before its kernel starts: what the kernel's start needs, nothing of judging."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


class _Stop(Exception):
    pass


def _recording(monkeypatch, events, fail_read=False):
    from grader.judging import grading

    class FakePrestart:
        def __init__(self, run):
            events.append("kernel starting")

        def take(self):
            events.append("kernel taken")
            raise _Stop

        def discard(self):
            events.append("kernel discarded")

    real_read = grading.read_notebook

    def read(path):
        events.append("notebook read")
        if fail_read:
            raise grading.InputError("not a notebook")
        return real_read(path)

    monkeypatch.setattr(grading, "Prestart", FakePrestart)
    monkeypatch.setattr(grading, "read_notebook", read)
    return grading


def test_with_lab_and_flavour_given_the_kernel_starts_before_the_notebook_is_read(monkeypatch):
    events: list[str] = []
    grading = _recording(monkeypatch, events)
    sample = ROOT / "tests" / "submissions" / "01-rnn-cells-torch-sample.ipynb"
    with pytest.raises(_Stop):
        grading.grade(sample, lab="01-rnn-cells", framework="torch", use_sandbox=False)
    assert events == ["kernel starting", "notebook read", "kernel taken"]
    events.clear()
    with pytest.raises(_Stop):  # without them, the notebook says which lab it is: read first
        grading.grade(sample, use_sandbox=False)
    assert events == ["notebook read", "kernel starting", "kernel taken"]


def test_a_notebook_that_cannot_be_read_discards_the_kernel_started_for_it(monkeypatch):
    events: list[str] = []
    grading = _recording(monkeypatch, events, fail_read=True)
    sample = ROOT / "tests" / "submissions" / "01-rnn-cells-torch-sample.ipynb"
    with pytest.raises(grading.InputError):
        grading.grade(sample, lab="01-rnn-cells", framework="torch", use_sandbox=False)
    assert events == ["kernel starting", "notebook read", "kernel discarded"]
