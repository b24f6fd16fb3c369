"""Every workflow, the project's own and the Classroom starter's, passes the schema and security checkers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from grader.course import lab_ids, load_lab
from grader.starter import write_starter


def _tool(name):
    path = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(path).exists():
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]'")
    return path


def _check(paths):
    schema = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
                            capture_output=True, text=True)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = subprocess.run([_tool("zizmor"), "--offline", "--no-progress", *map(str, paths)],
                           capture_output=True, text=True)
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_project_workflows(root):
    paths = sorted((root / ".github" / "workflows").glob("*.yml"))
    assert paths
    _check(paths)


@pytest.fixture(scope="module")
def starter_repo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("starter") / "repo"
    write_starter(load_lab("01-rnn-cells"), "torch", directory)
    return directory


def test_starter_workflow_passes_both_checkers(starter_repo):
    _check([starter_repo / ".github" / "workflows" / "classroom.yml"])


def test_starter_workflow_is_what_classroom_expects(starter_repo):
    workflow = yaml.safe_load((starter_repo / ".github" / "workflows" / "classroom.yml").read_text())
    assert workflow["name"] == "Autograding Tests"
    assert workflow["permissions"] == {"contents": "read", "checks": "write", "actions": "read", "pull-requests": "write"}
    job = workflow["jobs"]["run-autograding-tests"]
    assert job["if"] == "github.actor != 'github-classroom[bot]'"
    assert 0 < job["timeout-minutes"] <= 60
    steps = "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in job["steps"])
    assert "grader check 01-rnn-cells-torch.ipynb" in steps and "--format classroom" in steps
    assert "--executed" in steps and "actions/upload-artifact@" in steps and "grader comment" in steps
    assert "secrets.GRADER_REPO_TOKEN" in (starter_repo / ".github" / "workflows" / "classroom.yml").read_text()


def test_starter_holds_no_hidden_data_or_solutions(starter_repo, root):
    files = {p.relative_to(starter_repo).as_posix() for p in starter_repo.rglob("*") if p.is_file()}
    assert {"01-rnn-cells-torch.ipynb", "README.md", ".github/workflows/classroom.yml"} <= files
    text = (starter_repo / "01-rnn-cells-torch.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "NotImplementedError" in text
    readme = (starter_repo / "README.md").read_text()
    assert "grader check 01-rnn-cells-torch.ipynb" in readme and "Feedback" in readme
    assert not any("hidden" in name for name in files)


def test_starter_refuses_a_non_empty_directory(tmp_path):
    from click.testing import CliRunner

    from grader.cli import main

    (tmp_path / "x").write_text("x")
    result = CliRunner().invoke(main, ["starter", "01-rnn-cells", str(tmp_path), "--framework", "torch"])
    assert result.exit_code == 2 and "not empty" in result.output


@pytest.mark.parametrize("lab_id", lab_ids())
def test_no_starter_carries_a_hidden_file(lab_id, tmp_path):
    """Whatever the lab, the student's repository gets the public files and never a byte of the hidden ones."""
    lab = load_lab(lab_id)
    hidden = {p.read_bytes() for p in lab.hidden_dir.rglob("*") if p.is_file()} if lab.hidden_dir.is_dir() else set()
    for framework in lab.flavours:
        directory = tmp_path / framework
        write_starter(lab, framework, directory)
        files = [p for p in directory.rglob("*") if p.is_file()]
        assert not [p for p in files if p.read_bytes() in hidden], f"{lab_id}/{framework} starter carries hidden data"
        public = {p.name for p in lab.public_dir.glob("*")} if lab.public_dir.is_dir() else set()
        assert public <= {p.name for p in files}
