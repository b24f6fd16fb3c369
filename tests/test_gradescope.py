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
from grader.platforms.gradescope_package import PackageOptions, build_package, run_autograder
from grader.reports.formats import gradescope
from grader.reports.report import CellEvent, CheckResult, Report


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


# Gradescope's spec (gradescope/autograder_samples, docs/specs.md, "Controlling Test Case Visibility"):
# "after_due_date: test case will be shown after the assignment's due date has passed. If late submission is
# allowed, then test will be shown only after the late due date." ... "If test cases are hidden, students will
# not be able to see their total score."
SPEC_TOTAL = "If test cases are hidden, students will not be able to see their total score"


def _student_sees(data, due_passed):
    """What a student sees of results.json under that rule: the tests shown, and the total or None."""
    shown = {"visible"} | ({"after_due_date"} if due_passed else set())
    tests = [t for t in data["tests"] if t.get("visibility", data.get("visibility", "visible")) in shown]
    return tests, (data["score"] if len(tests) == len(data["tests"]) else None)


def test_results_follow_the_spec_and_say_when_the_total_shows(root):
    data = gradescope.to_dict(_report())
    assert _errors(data, root) == []
    assert data["score"] == 3 and data["output_format"] == data["test_output_format"] == "md"
    assert data["stdout_visibility"] == "hidden" and data["test_name_format"] == "text"
    assert [t["number"] for t in data["tests"]] == ["1", "2", "3", "4"]
    assert "hidden" not in {t["visibility"] for t in data["tests"]}  # the total would never show
    # the default: the hidden check is scored and shown after the due date, and until then so is the total
    assert _student_sees(data, due_passed=False)[1] is None and _student_sees(data, due_passed=True)[1] == 3
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
    assert {"private/reference/torch/01-rnn-cells.ipynb", "private/grader/judging/numerics/rnn.py"} <= names
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
    assert config == {"lab": "01-rnn-cells", "allow_no_sandbox": True, "grader": "rnn-course-grader[keras,torch]==0.1.0",
                      "hidden_checks": "after_due_date"}
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


def test_the_always_visible_output_never_gives_the_hidden_total_away():
    """Gradescope hides the total until the due date; an output saying 3/8 would tell the hidden check's
    result (3 less the visible tests' 2) to anyone who subtracts."""
    for withhold in (False, True):
        output = gradescope.to_dict(_report(), withhold_hidden=withhold)["output"]
        assert "3/8" not in output and "**01-rnn-cells** (torch): 2/6 points in the visible checks" in output
    report = _report()
    report.checks = [c for c in report.checks if c.visibility != "hidden"]
    assert gradescope.to_dict(report)["output"].startswith("**01-rnn-cells** (torch): 2/6 points\n")


def test_the_docstring_says_what_the_spec_says():
    """The claim "the total is always visible" was wrong: the module quotes the spec and names both choices."""
    doc = " ".join(gradescope.__doc__.split())
    assert SPEC_TOTAL in doc and "always visible" not in doc
    assert gradescope.HIDDEN_CHECKS == ("after_due_date", "withhold")


def test_withhold_shows_a_total_of_the_other_checks_before_the_due_date(root):
    data = gradescope.to_dict(_report(), withhold_hidden=True)
    assert _errors(data, root) == []
    tests, total = _student_sees(data, due_passed=False)
    assert total == data["score"] == 2  # 3 less the hidden check's 1 point, and the student sees it
    assert len(tests) == 4 and {t["visibility"] for t in data["tests"]} == {"visible"}
    withheld = data["tests"][2]
    assert not {"score", "max_score", "status"} & set(withheld)  # neither its points nor passed/failed
    assert "4242" not in json.dumps(data) and "graded after the due date" in withheld["name"]
    assert "2 more points of 1 hidden check(s)" in data["output"]
    # the control: the default mapping hides that total until the due date
    assert _student_sees(gradescope.to_dict(_report()), due_passed=False)[1] is None


def _metadata(ag, due, late=None):
    (ag / "submission_metadata.json").write_text(json.dumps({"assignment": {"due_date": due, "late_due_date": late}}))


def test_the_due_date_comes_from_gradescopes_metadata(tmp_path):
    from datetime import UTC, datetime

    from grader.platforms.gradescope_package import due_date_passed

    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert due_date_passed(tmp_path, now) is None  # no metadata
    _metadata(tmp_path, "2026-12-01T13:00:00.000000+01:00")  # 12:00 UTC: due now
    assert due_date_passed(tmp_path, now) is True
    _metadata(tmp_path, "2026-12-01T13:00:00.000000+01:00", late="2026-12-03T13:00:00.000000+01:00")
    assert due_date_passed(tmp_path, now) is False  # late submissions allowed: the late due date counts
    _metadata(tmp_path, "2026-12-02T00:00:00-08:00")
    assert due_date_passed(tmp_path, now) is False
    (tmp_path / "submission_metadata.json").write_text("{not json")
    assert due_date_passed(tmp_path, now) is None


def test_a_withholding_autograder_scores_hidden_checks_once_the_due_date_has_passed(autograder, root, monkeypatch):
    ag, _, _ = autograder
    (ag / "submission" / "01-rnn-cells-torch.ipynb").write_text("{}")
    monkeypatch.setattr("grader.judging.grading.grade", lambda *a, **k: _report())
    monkeypatch.setenv("GRADER_SANDBOX", "off")
    _metadata(ag, "2999-01-01T00:00:00+00:00")
    before = run_autograder(ag, "01-rnn-cells", allow_no_sandbox=True, hidden_checks="withhold")
    assert before["score"] == 2 and _errors(before, root) == [] and _student_sees(before, False)[1] == 2
    _metadata(ag, "2000-01-01T00:00:00+00:00")  # Regrade All Submissions after the due date
    after = run_autograder(ag, "01-rnn-cells", allow_no_sandbox=True, hidden_checks="withhold")
    assert after["score"] == 3 and after["tests"][2]["visibility"] == "after_due_date"
    (ag / "submission_metadata.json").unlink()  # unreadable: scored in full, never a grade withheld
    unknown = run_autograder(ag, "01-rnn-cells", allow_no_sandbox=True, hidden_checks="withhold")
    assert unknown["score"] == 3 and "could not be read" in unknown["output"]
    _metadata(ag, "2999-01-01T00:00:00+00:00")
    assert run_autograder(ag, "01-rnn-cells", allow_no_sandbox=True)["score"] == 3  # the default never withholds


def test_the_instructor_chooses_with_grader_gradescope_hidden_checks(tmp_path, monkeypatch):
    result = CliRunner().invoke(main, ["gradescope", "01-rnn-cells", str(tmp_path / "a.zip"), "--hidden-checks", "withhold"])
    assert result.exit_code == 0, result.output
    archive = zipfile.ZipFile(tmp_path / "a.zip")
    assert json.loads(archive.read("grader-gradescope.json"))["hidden_checks"] == "withhold"
    seen = {}
    monkeypatch.setattr("grader.platforms.gradescope_package.run_autograder",
                        lambda root, lab, allow, hidden: seen.update(hidden=hidden) or {"score": 0})
    (tmp_path / "ag" / "source").mkdir(parents=True)
    (tmp_path / "ag" / "source" / "grader-gradescope.json").write_bytes(archive.read("grader-gradescope.json"))
    from grader.platforms.gradescope_package import main as autograder_main

    assert autograder_main(["--root", str(tmp_path / "ag"), "--lab", "01-rnn-cells"]) == 0 and seen == {"hidden": "withhold"}
    result = CliRunner().invoke(main, ["gradescope", "01-rnn-cells", str(tmp_path / "b.zip"), "--hidden-checks", "hidden"])
    assert result.exit_code == 2 and not (tmp_path / "b.zip").exists()
    with pytest.raises(Exception, match="choose after_due_date or withhold"):
        build_package("01-rnn-cells", tmp_path / "c.zip", PackageOptions(hidden_checks="never"))


def test_every_zip_entry_has_a_plain_unix_mode(tmp_path):
    """Was: grader-gradescope.json as ?rw------- (writestr's default: no file type, owner only)."""
    path = build_package("01-rnn-cells", tmp_path / "a.zip")
    infos = zipfile.ZipFile(path).infolist()
    modes = {info.filename: info.external_attr >> 16 for info in infos}
    executables = {"setup.sh", "run_autograder"}
    assert {name for name, mode in modes.items() if mode == 0o100755} == executables
    assert all(mode == 0o100644 for name, mode in modes.items() if name not in executables), modes
    assert all(info.create_system == 3 for info in infos)  # Unix: unzip applies the modes
    assert stat.filemode(modes["grader-gradescope.json"]) == "-rw-r--r--"
    subprocess.run(["unzip", "-q", str(path), "-d", str(tmp_path / "x")], check=True)
    assert stat.filemode((tmp_path / "x" / "grader-gradescope.json").stat().st_mode) == "-rw-r--r--"
    assert os.access(tmp_path / "x" / "setup.sh", os.X_OK)


_STUB = """#!/usr/bin/env bash
# a stand-in for apt-get, python3, a venv's python, uv and grader: logs its call, makes venvs it is asked for
echo "$(basename "$0") $*" >> "$STUB_LOG"
name=$(basename "$0")
if [ "$name" = python3 ] && [ "${1:-}" = -c ]; then exit "$STUB_OLD_PYTHON"; fi
if [ "$name" = python3 ] && [ "${1:-}" = -V ]; then echo "Python 3.10.12"; exit 0; fi
if { [ "${1:-}" = -m ] && [ "${2:-}" = venv ]; } || [ "${1:-}" = venv ]; then
  dir="${@: -1}"; mkdir -p "$dir/bin"
  for tool in python uv grader; do cp "$0" "$dir/bin/$tool"; done
fi
"""


def _run_setup(tmp_path, old_python):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("apt-get", "python3"):
        (bin_dir / name).write_text(_STUB)
        (bin_dir / name).chmod(0o755)
    path = build_package("01-rnn-cells", tmp_path / "a.zip")
    (tmp_path / "setup.sh").write_bytes(zipfile.ZipFile(path).read("setup.sh"))
    log = tmp_path / "log"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "STUB_LOG": str(log), "STUB_OLD_PYTHON": "1" if old_python else "0",
           "GRADER_VENV": str(tmp_path / "venv"), "GRADER_TOOLS": str(tmp_path / "tools"),
           "UV_PYTHON_INSTALL_DIR": str(tmp_path / "python")}
    done = subprocess.run(["bash", str(tmp_path / "setup.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return (tmp_path / "setup.sh").read_text(), log.read_text().splitlines()


def test_setup_installs_a_python_the_grader_runs_on_when_the_image_has_3_10(tmp_path):
    """Gradescope's default base image, Ubuntu 22.04, has Python 3.10; the grader needs 3.11 or newer."""
    script, calls = _run_setup(tmp_path, old_python=True)
    assert 'if [ -n "' not in script  # the left-over test of a filled-in placeholder
    assert "apt-get install -y -q python3 python3-venv python3-pip bubblewrap" in calls
    uv = [c for c in calls if c.startswith("uv ")]
    assert uv == [f"uv venv --seed --python 3.11 {tmp_path / 'venv'}"]
    installs = [c for c in calls if c.startswith("python -m pip install")]
    assert installs[0] == 'python -m pip install --quiet uv>=0.5,<1'  # into the tools venv, not the image
    assert "--index-url https://download.pytorch.org/whl/cpu torch==2.13.0" in installs[1]  # CPU build first
    assert installs[2] == "python -m pip install --quiet rnn-course-grader[keras,torch]==0.1.0"
    assert calls[-1] == "grader --version"


def test_setup_uses_the_images_python_when_it_is_new_enough(tmp_path):
    _, calls = _run_setup(tmp_path, old_python=False)
    assert f"python3 -m venv {tmp_path / 'venv'}" in calls and not [c for c in calls if c.startswith("uv ")]


def test_the_zip_carries_the_input_generator_of_a_lab_with_oracle_checks(tmp_path, root):
    import shutil

    private = tmp_path / "course"
    shutil.copytree(root / "assignments" / "01-rnn-cells", private / "assignments" / "01-rnn-cells")
    (private / "reference" / "oracle_inputs").mkdir(parents=True)
    (private / "reference" / "oracle_inputs" / "01-rnn-cells.py").write_text("def calls(rng, framework):\n    return []\n")
    (private / "reference" / "oracle_inputs" / "02-tracing-vs-passfail.py").write_text("")
    names = set(zipfile.ZipFile(build_package("01-rnn-cells", tmp_path / "ag.zip",
                                              PackageOptions(private_root=private))).namelist())
    assert "private/reference/oracle_inputs/01-rnn-cells.py" in names
    assert not any("02-tracing" in name for name in names)  # only the lab's own
