"""The README's quick start and CLI documentation stay true to the project."""

from __future__ import annotations

import re

from grader.cli import main


def _bash_blocks(text):
    return re.findall(r"```bash\n(.*?)```", text, re.S)


def test_quick_start_is_two_commands_that_install_and_run(root):
    text = (root / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = _bash_blocks(quick)
    assert len(blocks) == 2 and all(len(block.strip().splitlines()) == 1 for block in blocks)
    grade_command, test_command = (block.strip() for block in blocks)
    for command in (grade_command, test_command):
        assert command.startswith("python3.11 -m venv") and "pip install torch==2.13.0 &&" in command
    sample = grade_command.rsplit("grader check ", 1)[1]
    assert (root / sample).is_file()
    assert test_command.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command(root):
    ci = (root / ".ci" / "run").read_text()
    assert "torch==2.13.0" in ci and '".[keras,torch,dev]"' in ci
    assert re.search(r"^python -m pytest$", ci, re.M)
    assert ci.index("torch==2.13.0") < ci.index(".[keras,torch,dev]")


def test_every_command_is_documented(root):
    text = (root / "README.md").read_text()
    for name in main.commands:
        assert f"grader {name}" in text, name
    for code in range(4):
        assert f"| {code} |" in text
