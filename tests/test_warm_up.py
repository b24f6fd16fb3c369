"""``grader warm-up``: the bytecode of what a grading imports, for an environment installed without bytecode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.judging import warm_up

ROOT = Path(__file__).resolve().parent.parent


def test_the_kernels_module_list_is_read_from_the_graders_marker_only():
    outputs = [{"output_type": "stream", "name": "stdout", "text": "noise\n"},
               {"output_type": "stream", "name": "stdout",
                "text": warm_up.MARKER + '["/env/lib/torch/__init__.py", "/env/lib/numpy/__init__.py"]\n'}]
    assert warm_up._listed(outputs) == {"/env/lib/torch/__init__.py", "/env/lib/numpy/__init__.py"}
    assert warm_up._listed([{"output_type": "stream", "text": warm_up.MARKER + "not json"}]) == set()
    assert warm_up._listed([{"output_type": "error", "ename": "X"}]) == set()


def test_only_files_inside_the_environment_are_compiled(tmp_path):
    inside = tmp_path / "env" / "lib" / "m.py"
    inside.parent.mkdir(parents=True)
    inside.write_text("x = 1\n")
    assert warm_up._inside(inside, (tmp_path / "env").resolve())
    assert not warm_up._inside(Path("/etc/passwd"), (tmp_path / "env").resolve())
    assert not warm_up._inside(tmp_path / "env-other" / "m.py", (tmp_path / "env").resolve())


def test_an_unknown_lab_or_flavour_is_one_line_and_exit_2():
    result = CliRunner().invoke(main, ["warm-up", "99-nope", "--framework", "torch"])
    assert result.exit_code == 2 and "99-nope" in result.output and "Traceback" not in result.output


WARM_UP_IN_A_FRESH_PROCESS = """
import json
from grader.judging.warm_up import warm_up
done = warm_up("01-rnn-cells", "torch")
print(json.dumps({"compiled": done.compiled, "failed": done.failed, "lab": done.report.lab,
                  "score": done.report.score}))
"""


@pytest.mark.slow
def test_warm_up_compiles_what_the_kernel_and_the_grader_imported_and_nothing_else():
    # its own process, as in the workflow: this test session has imported far more than a grading does
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", WARM_UP_IN_A_FRESH_PROCESS], capture_output=True, text=True,
                         check=True, env=env, cwd=ROOT).stdout
    done = json.loads(out.strip().splitlines()[-1])
    compiled = {Path(name).as_posix() for name in done["compiled"]}
    assert not done["failed"]
    # the kernel's side: the framework and the kernel itself (the kernel never writes bytecode of its own)
    assert any(name.endswith("/torch/__init__.py") for name in compiled)
    assert any(name.endswith("/ipykernel/kernelapp.py") for name in compiled)
    # the grader's side
    assert any(name.endswith("/nbclient/client.py") for name in compiled)
    # what no grading of lab 01 imports stays uncompiled
    assert not any("/sympy/" in name or "/networkx/" in name for name in compiled)
    # only this environment's own files: not the standard library's
    assert all(Path(name).resolve().is_relative_to(Path(sys.prefix).resolve()) for name in compiled)
    # the lab's own student notebook was graded: its functions are not written yet
    assert done["lab"] == "01-rnn-cells" and done["score"] == 0


def test_the_command_renders_the_reports_the_student_workflow_writes(monkeypatch):
    """What rendering the workflow's reports imports (the HTML report's, say) is compiled with the rest."""
    from grader.platforms.starter import student_report_formats
    from grader.reports.report import Report

    seen = {}

    def fake(lab, framework, formats=(), prefix=None):
        seen["formats"] = list(formats)
        return warm_up.WarmUp(Report(lab, framework, "nb.ipynb"), ["a.py"], [], 0.1)

    monkeypatch.setattr(warm_up, "warm_up", fake)
    result = CliRunner().invoke(main, ["warm-up", "01-rnn-cells", "--framework", "torch"])
    assert result.exit_code == 0, result.output
    assert seen["formats"] == [name for name, _ in student_report_formats()]
    assert "html" in seen["formats"] and "markdown" in seen["formats"]
