"""Gradescope: results.json against the spec's fields, and the autograder zip run as Gradescope runs it."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from grader.cli import main
from grader.formats import gradescope
from grader.gradescope_package import PackageOptions, build_package, run_autograder
from grader.report import CellEvent, CheckResult, Report


def _errors(data, root):
    schema = json.loads((root / "tests" / "schemas" / "gradescope_results.schema.json").read_text())
    return [e.message for e in Draft202012Validator(schema).iter_errors(data)]


def _report():
    report = Report("01-rnn-cells", "torch", "sub.ipynb", seed=5, execution_seconds=2.0, grading_seconds=0.5)
    report.checks = [
        CheckResult("rnn-step", "rnn_step", 2, 2, "passed", "fine"),
        CheckResult("lstm-step", "lstm_step", 0, 3, "failed", "came back: <script>alert(1)</script> ```` `x`"),
        CheckResult("count-params", "count_params on hidden sizes", 1, 2, "failed", "expected 4242 for (7, 5, 3)",
                    visibility="hidden"),
        CheckResult("pending", "needs the private course", 0, 1, "skipped"),
    ]
    report.cells = [CellEvent(3, "error", "NameError: <b>name</b>")]
    return report


def test_results_follow_the_spec_with_the_total_visible(root):
    data = gradescope.to_dict(_report())
    assert _errors(data, root) == []
    assert data["score"] == 3 and data["output_format"] == data["test_output_format"] == "md"
    assert data["stdout_visibility"] == "hidden" and data["test_name_format"] == "text"
    assert [t["number"] for t in data["tests"]] == ["1", "2", "3", "4"]
    assert "hidden" not in {t["visibility"] for t in data["tests"]}  # Gradescope would hide the total
    hidden = data["tests"][2]
    assert (hidden["visibility"], hidden["score"], hidden["max_score"]) == ("after_due_date", 1, 2)
    assert [t["visibility"] for t in data["tests"] if t["number"] != "3"] == ["visible"] * 3


def test_messages_are_literal_blocks_never_rendered(root):
    data = gradescope.to_dict(_report())
    lstm = data["tests"][1]["output"]
    # the message holds a run of four backticks: the fence is five long, so nothing in it ends the block
    assert lstm.startswith("`````text\n") and lstm.endswith("\n`````")
    assert "<script>alert(1)</script>" in lstm.split("\n", 1)[1].rsplit("\n", 1)[0]
    assert data["output"].count("```") == 2 and "<b>name</b>" in data["output"].split("```text\n", 1)[1]
    for test in data["tests"]:
        assert test.get("output_format", "md") in ("md", "text") and test["name_format"] == "text"


def test_the_old_hidden_visibility_fails_the_schema(root):
    """The control: the previous mapping (hidden -> "hidden") is what the schema now rejects."""
    data = gradescope.to_dict(_report())
    data["tests"][2]["visibility"] = "hidden"
    assert _errors(data, root)
    data = gradescope.to_dict(_report())
    data["test_output_format"] = "html"
    assert _errors(data, root)


@pytest.fixture()
def autograder(tmp_path):
    """The zip unpacked as Gradescope lays it out: /autograder/source, run_autograder, submission/, results/."""
    zip_path = build_package("01-rnn-cells", tmp_path / "autograder.zip")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    for name in ("run_autograder", "setup.sh"):
        os.chmod(root / "source" / name, modes[name])
    (root / "run_autograder").write_bytes((root / "source" / "run_autograder").read_bytes())
    os.chmod(root / "run_autograder", 0o755)
    (root / "submission").mkdir()
    return root, zip_path, modes


def test_the_zip_carries_setup_run_and_the_private_data(autograder, root):
    ag, zip_path, modes = autograder
    names = set(zipfile.ZipFile(zip_path).namelist())
    assert {"setup.sh", "run_autograder", "grader-gradescope.json", "private/assignments/01-rnn-cells/assignment.yaml"} <= names
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    setup = (ag / "source" / "setup.sh").read_text()
    assert '"rnn-course-grader[keras,torch]==0.1.0"' in setup and "bubblewrap" in setup
    assert subprocess.run(["bash", "-n", str(ag / "source" / "setup.sh")]).returncode == 0
    assert subprocess.run(["bash", "-n", str(ag / "run_autograder")]).returncode == 0
    assert {"private/reference/torch/01-rnn-cells.ipynb", "private/grader/numerics/rnn.py"} <= names
    assert not any(n.startswith(("reference/", "tests/", ".git")) or "02-tracing" in n for n in names)


def test_an_unusable_submission_still_gets_results(autograder, root):
    ag, _, _ = autograder
    data = run_autograder(ag, "01-rnn-cells")
    assert data["score"] == 0 and "no notebook" in data["output"] and _errors(data, root) == []
    (ag / "submission" / "a.ipynb").write_text("{}")
    (ag / "submission" / "b.ipynb").write_text("{}")
    data = run_autograder(ag, "01-rnn-cells")
    assert "2 notebooks were submitted" in data["output"]
    assert json.loads((ag / "results" / "results.json").read_text()) == data


def test_no_sandbox_means_no_grading_unless_the_zip_allows_it(autograder, root, monkeypatch):
    ag, _, _ = autograder
    (ag / "submission" / "01-rnn-cells-torch.ipynb").write_text("not json")
    monkeypatch.setenv("GRADER_SANDBOX", "off")
    data = run_autograder(ag, "01-rnn-cells")
    assert data["score"] == 0 and "refuse grading without it" in data["output"]
    data = run_autograder(ag, "01-rnn-cells", allow_no_sandbox=True)
    assert "refuse" not in data["output"] and _errors(data, root) == []  # graded (an unreadable notebook: zero)


def test_cli_builds_the_zip(tmp_path):
    result = CliRunner().invoke(main, ["gradescope", "01-rnn-cells", str(tmp_path / "a.zip"), "--allow-no-sandbox"])
    assert result.exit_code == 0 and (tmp_path / "a.zip").is_file()
    config = json.loads(zipfile.ZipFile(tmp_path / "a.zip").read("grader-gradescope.json"))
    assert config == {"lab": "01-rnn-cells", "allow_no_sandbox": True, "grader": "rnn-course-grader[keras,torch]==0.1.0"}
    result = CliRunner().invoke(main, ["gradescope", "no-such-lab", str(tmp_path / "b.zip")])
    assert result.exit_code == 2 and "unknown lab" in result.output


@pytest.mark.slow
def test_run_autograder_grades_a_lab_01_torch_submission(autograder, root):
    """The real run_autograder script, on the sample lab 01 notebook (17/22: the LSTM forgets c_prev)."""
    ag, _, _ = autograder
    sample = root / "tests" / "submissions" / "01-rnn-cells-torch-sample.ipynb"
    (ag / "submission" / "01-rnn-cells-torch.ipynb").write_bytes(sample.read_bytes())
    env = {**os.environ, "AUTOGRADER_ROOT": str(ag), "GRADER_PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
    env.pop("GRADER_COURSE", None)
    done = subprocess.run([str(ag / "run_autograder")], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((ag / "results" / "results.json").read_text())
    assert _errors(data, root) == []
    assert data["score"] == 17 and data["extra_data"]["sandbox"] in ("bubblewrap", "none")
    hidden = [t for t in data["tests"] if t["visibility"] == "after_due_date"]
    assert hidden and all(t["score"] == t["max_score"] for t in hidden)  # scores kept, only shown later
    assert "hidden" not in {t["visibility"] for t in data["tests"]}
    lstm = next(t for t in data["tests"] if t["name"].startswith("lstm-step"))
    assert lstm["status"] == "failed" and lstm["output"].startswith("```")


def test_a_wheel_travels_in_the_zip_and_setup_installs_it(tmp_path):
    wheel = tmp_path / "rnn_course_grader-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK-not-really")
    path = build_package("01-rnn-cells", tmp_path / "a.zip", PackageOptions(wheel=wheel))
    archive = zipfile.ZipFile(path)
    assert archive.read(wheel.name) == b"PK-not-really"
    setup = archive.read("setup.sh").decode()
    assert f'"/autograder/source/{wheel.name}[keras,torch]"' in setup and "rnn-course-grader[" not in setup
    with pytest.raises(Exception, match="no such file"):
        build_package("01-rnn-cells", tmp_path / "b.zip", PackageOptions(wheel=tmp_path / "missing.whl"))
