"""Every workflow, the project's own, the Classroom starter's and the staff's, passes the schema and security checkers.

The student's workflow holds no secret and installs the public grader at a fixed version; what it writes
(log, job summary, artifact) never carries a hidden check's message. The staff's workflow runs
collect -> batch (sandboxed) -> feedback with a token kept in a protected environment.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from grader.cli import main
from grader.course.labs import lab_ids, load_lab
from grader.errors import InputError
from grader.platforms.starter import StaffOptions, StarterOptions, write_staff_workflow, write_starter
from grader.reports.report import FAILED, PASSED, CheckResult, Report

SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w.-]+)*@[0-9a-f]{40}$")  # owner/repo[/action]@full commit sha
SECRET = "SECRET-HIDDEN-LABEL-0.4242"


def _tool(name):
    path = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(path).exists():
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]'")
    return path


def _check(paths, persona="regular"):
    schema = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
                            capture_output=True, text=True)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = subprocess.run([_tool("zizmor"), "--offline", "--no-progress", "--persona", persona, *map(str, paths)],
                           capture_output=True, text=True)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "No findings" in audit.stdout + audit.stderr, audit.stdout + audit.stderr


def test_project_workflows(root):
    paths = sorted((root / ".github" / "workflows").glob("*.yml"))
    assert paths
    _check(paths)


@pytest.fixture(scope="module")
def starter_repo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("starter") / "repo"
    write_starter(load_lab("01-rnn-cells"), "torch", directory)
    return directory


@pytest.fixture(scope="module")
def staff_workflow(tmp_path_factory):
    directory = tmp_path_factory.mktemp("staff")
    [path] = write_staff_workflow(load_lab("01-rnn-cells"), directory,
                                  StaffOptions("course", "lab1", "2026-12-01T23:59:00+01:00"))
    return path


def test_starter_workflow_passes_both_checkers_as_an_auditor(starter_repo):
    _check([starter_repo / ".github" / "workflows" / "classroom.yml"], persona="auditor")


def test_staff_workflow_passes_both_checkers_as_an_auditor(staff_workflow):
    _check([staff_workflow], persona="auditor")


def _steps(job):
    return "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in job["steps"])


def test_starter_workflow_is_what_classroom_expects_and_no_more(starter_repo):
    workflow = yaml.safe_load((starter_repo / ".github" / "workflows" / "classroom.yml").read_text())
    assert workflow["name"] == "Autograding Tests"
    assert workflow["permissions"] == {}  # job-level permissions only
    assert workflow["concurrency"] == {"group": "autograding-${{ github.ref }}", "cancel-in-progress": True}
    job = workflow["jobs"]["run-autograding-tests"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}  # no checks: write, nothing unused
    assert job["if"] == "github.actor != 'github-classroom[bot]'"
    assert 0 < job["timeout-minutes"] <= 60
    for step in job["steps"]:
        if "uses" in step:
            assert SHA_PIN.match(step["uses"]), step["uses"]
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
    steps = _steps(job)
    assert "grader check 01-rnn-cells-torch.ipynb" in steps and "--format classroom" in steps
    assert "--executed" in steps and "actions/upload-artifact@" in steps and "grader comment" in steps
    assert '"rnn-course-grader[torch]==0.1.0"' in steps and "not your grade" in steps


def _student_job(lab_id, framework, directory, options=None):
    write_starter(load_lab(lab_id), framework, directory, options)
    return yaml.safe_load((directory / ".github" / "workflows" / "classroom.yml").read_text())["jobs"]["run-autograding-tests"]


def test_starter_restores_the_graders_environment_and_saves_it_only_from_the_default_branch(tmp_path):
    job = _student_job("01-rnn-cells", "torch", tmp_path / "a")
    names = [step.get("name", "") for step in job["steps"]]
    restore = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/cache/restore@"))
    save = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/cache/save@"))
    install = next(s for s in job["steps"] if "python -m venv" in str(s.get("run", "")))
    grade = next(s for s in job["steps"] if s.get("id") == "grader")
    # the cached environment holds no pip of its own: the runner's pip installs into it
    assert "python -m venv --without-pip ~/grader-venv" in install["run"]
    installs = [line.strip() for line in install["run"].splitlines() if " install " in line]
    assert len(installs) == 2 and all(line.startswith('python -m pip --python "$HOME/grader-venv/bin/python" install')
                                      and "--no-compile" in line for line in installs)
    # without bytecode from pip; the lab's own notebook is graded once to compile what a grading imports, after
    # the installs and before the environment is kept
    lines = [line.strip() for line in install["run"].splitlines()]
    assert lines[-1] == '"$HOME/grader-venv/bin/grader" warm-up 01-rnn-cells --framework torch'
    assert lines.index(installs[-1]) < len(lines) - 1
    assert restore.get("if") is None  # restored on every ref, the students' branches included
    key = restore["with"]["key"]
    assert "rnn-course-grader-0.1.0" in key and "${{ steps.python.outputs.python-version }}" in key
    assert "${{ runner.os }}" in key and "," not in key  # a cache key holds no comma
    assert install["if"] == "steps.cache.outputs.cache-hit != 'true'"
    assert "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)" in save["if"]
    assert "cache-hit != 'true'" in save["if"]
    assert save["with"] == {"path": restore["with"]["path"], "key": "${{ steps.cache.outputs.cache-primary-key }}"}
    assert names.index(restore["name"]) < names.index(install["name"]) < names.index(save["name"]) < names.index(grade["name"])
    assert "~/grader-venv" in install["run"] and restore["with"]["path"] == "~/grader-venv"
    # another pin, or another lab's install lines, is another cache
    other_pin = _student_job("01-rnn-cells", "torch", tmp_path / "b", StarterOptions(grader_version="0.3.1"))
    other_lab = _student_job("02-tracing-vs-passfail", "torch", tmp_path / "c")
    keys = {key, *(next(s for s in j["steps"] if str(s.get("uses", "")).startswith("actions/cache/restore@"))["with"]["key"]
                   for j in (other_pin, other_lab))}
    assert len(keys) == 3


@pytest.mark.parametrize(("lab_id", "extras"), [("01-rnn-cells", "torch"), ("02-tracing-vs-passfail", "torch,pandas,sklearn,plots"),
                                                 ("03-windowing-forecast", "torch,pandas,plots"), ("04-gradient-clipping", "torch,plots"),
                                                 ("06-text-classification", "torch")])
def test_the_student_install_takes_the_framework_and_only_what_the_lab_needs(lab_id, extras, tmp_path):
    steps = _steps(_student_job(lab_id, "torch", tmp_path / "repo"))
    assert f'"rnn-course-grader[{extras}]==0.1.0"' in steps
    assert "staff" not in steps
    readme = (tmp_path / "repo" / "README.md").read_text()
    assert f'"rnn-course-grader[{extras}]==0.1.0"' in readme


def test_the_staff_workflow_and_the_gradescope_autograder_install_the_labs_extras(tmp_path):
    """The staff's graded run and Gradescope's image take what the lab needs (and the staff extra for batch)."""
    import zipfile

    from grader.platforms.gradescope_package import build_package

    lab = load_lab("02-tracing-vs-passfail")
    [path] = write_staff_workflow(lab, tmp_path, StaffOptions("course", "lab2", "2026-12-01T23:59:00Z"))
    assert '-e ".[keras,torch,pandas,sklearn,plots,staff]"' in path.read_text()
    archive = build_package("02-tracing-vs-passfail", tmp_path / "autograder.zip")
    with zipfile.ZipFile(archive) as zipped:
        setup = zipped.read("setup.sh").decode()
    assert '"rnn-course-grader[keras,torch,pandas,sklearn,plots]==0.1.0"' in setup and "staff" not in setup


def test_no_starter_file_references_a_secret(starter_repo):
    for path in (p for p in starter_repo.rglob("*") if p.is_file()):
        text = path.read_text(errors="replace")
        assert "secrets." not in text and "x-access-token" not in text, path
        assert not re.search(r"pip install [\"']?grader\b", text), path  # someone else's package


def test_starter_pins_the_public_grader_never_to_a_branch(tmp_path):
    lab = load_lab("01-rnn-cells")
    sha = "0123456789abcdef0123456789abcdef01234567"
    for ref in ("v0.2.0", sha):
        directory = tmp_path / ref
        write_starter(lab, "keras", directory, StarterOptions(grader_repo="course/rnn-course-grader", grader_ref=ref))
        text = (directory / ".github" / "workflows" / "classroom.yml").read_text()
        assert f'"rnn-course-grader[keras] @ git+https://github.com/course/rnn-course-grader@{ref}"' in text
        assert "download.pytorch.org" not in text  # the keras flavour needs no torch
    for ref in ("main", "feature/x", None):
        with pytest.raises(InputError, match="branch"):
            write_starter(lab, "torch", tmp_path / "b", StarterOptions(grader_repo="course/g", grader_ref=ref))
    result = CliRunner().invoke(main, ["starter", "01-rnn-cells", str(tmp_path / "c"), "--framework", "torch",
                                       "--grader-repo", "course/g", "--grader-ref", "main"])
    assert result.exit_code == 2 and "looks like a branch" in result.output
    result = CliRunner().invoke(main, ["starter", "01-rnn-cells", str(tmp_path / "d"), "--framework", "torch",
                                       "--grader-version", "0.3.1"])
    assert result.exit_code == 0
    assert '"rnn-course-grader[torch]==0.3.1"' in (tmp_path / "d" / ".github" / "workflows" / "classroom.yml").read_text()


def _grade_command(workflow_path):
    workflow = yaml.safe_load(workflow_path.read_text())
    run = next(s["run"] for s in workflow["jobs"]["run-autograding-tests"]["steps"] if "grader check" in s.get("run", ""))
    command = run[run.index("grader check"):].replace("\\\n", " ")
    return shlex.split(command)[1:]


def test_hidden_messages_never_reach_the_students_log_summary_or_artifact(starter_repo, tmp_path, monkeypatch):
    """Even if the student's run had a hidden check's message, none of what the workflow keeps would show it."""
    report = Report("01-rnn-cells", "torch", "01-rnn-cells-torch.ipynb", checks=[
        CheckResult("rnn-step", "rnn_step", 2.0, 2.0, PASSED),
        CheckResult("count-params", "count_params on hidden sizes", 0.0, 2.0, FAILED,
                    message=f"count_params('lstm', 7, 5, 3): expected {SECRET}", visibility="hidden"),
        CheckResult("lstm-step", "lstm_step", 0.0, 3.0, FAILED, message="c_t: max abs error 0.633"),
    ])
    monkeypatch.setattr("grader.judging.grading.grade", lambda *a, **k: report)
    monkeypatch.chdir(tmp_path)
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    args = _grade_command(starter_repo / ".github" / "workflows" / "classroom.yml")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    kept = {p.name: p.read_text(errors="replace") for p in (tmp_path / "grading").rglob("*") if p.is_file()}
    assert "report.md" in kept and "classroom.txt" in kept
    assert "max abs error 0.633" in kept["report.md"]  # public messages are there
    for name, text in {**kept, "log": result.output, "summary": summary.read_text()}.items():
        assert SECRET not in text, name
    import base64

    for line in outputs.read_text().splitlines():
        assert SECRET not in base64.b64decode(line.split("=", 1)[1]).decode()
    # the control: a format the workflow does not keep would have leaked it
    from grader.reports import formats

    assert SECRET in formats.render(report, "json")


def test_staff_workflow_collects_grades_in_the_sandbox_and_posts_feedback(staff_workflow):
    workflow = yaml.safe_load(staff_workflow.read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    assert set(triggers) == {"workflow_dispatch", "schedule"}
    assert triggers["schedule"] == [{"cron": "14 23 1 12 *"}]  # 15 minutes after 2026-12-01T22:59Z
    assert workflow["permissions"] == {}
    job = workflow["jobs"]["graded-run"]
    assert job["permissions"] == {"contents": "read", "actions": "read"} and job["environment"] == "grading"
    steps = _steps(job)
    assert "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in steps
    order = [steps.index(s) for s in ("gh run download", "grader collect --org course --prefix lab1", "grader batch submissions",
                                      "--post-feedback", "actions/upload-artifact@")]
    assert order == sorted(order)
    upload = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert "grading/" in upload["with"]["path"]
    assert '"$DEADLINE"' in steps and "${{" not in steps  # inputs reach the shell through env, never inline
    assert "--by commit-date" in steps
    assert '-e ".[keras,torch,staff]"' in steps  # grader batch's Dask engine is the staff extra's


def test_staff_workflow_by_push(tmp_path):
    result = CliRunner().invoke(main, ["starter", "01-rnn-cells", str(tmp_path), "--staff-workflow", "--org", "course",
                                       "--prefix", "lab1", "--deadline", "2026-12-01T23:59:00Z", "--by", "push"])
    assert result.exit_code == 0, result.output
    path = tmp_path / ".github" / "workflows" / "graded-01-rnn-cells.yml"
    assert "--by push --out submissions" in path.read_text()
    _check([path], persona="auditor")


def test_starter_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "x").write_text("x")
    result = CliRunner().invoke(main, ["starter", "01-rnn-cells", str(tmp_path), "--framework", "torch"])
    assert result.exit_code == 2 and "not empty" in result.output
    result = CliRunner().invoke(main, ["starter", "01-rnn-cells", str(tmp_path / "s"), "--staff-workflow"])
    assert result.exit_code == 2 and "--org" in result.output


def test_starter_holds_no_hidden_data_or_solutions(starter_repo):
    files = {p.relative_to(starter_repo).as_posix() for p in starter_repo.rglob("*") if p.is_file()}
    assert {"01-rnn-cells-torch.ipynb", "README.md", ".github/workflows/classroom.yml"} <= files
    text = (starter_repo / "01-rnn-cells-torch.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "NotImplementedError" in text
    readme = (starter_repo / "README.md").read_text()
    assert "grader check 01-rnn-cells-torch.ipynb" in readme and "Feedback" in readme
    assert 'pip install "rnn-course-grader[torch]==0.1.0"' in readme
    assert not any("hidden" in name for name in files)


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


def _grader_commands(workflow_path):
    workflow = yaml.safe_load(workflow_path.read_text())
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for line in str(step.get("run", "")).replace("\\\n", " ").splitlines():
                line = line.strip()
                if line.startswith("grader "):
                    yield shlex.split(line)[1:]


def test_every_grader_option_the_workflows_use_exists(starter_repo, staff_workflow):
    """A workflow calling `grader batch --post-feedback` on a grader without it would fail only on the runner."""
    seen = set()
    for path in (starter_repo / ".github" / "workflows" / "classroom.yml", staff_workflow):
        for argv in _grader_commands(path):
            command = main.commands[argv[0]]
            known = {opt for param in command.params for opt in param.opts}
            unknown = [arg for arg in argv[1:] if arg.startswith("--") and arg not in known]
            assert not unknown, (path.name, argv[0], unknown)
            seen.add(argv[0])
    assert seen == {"check", "comment", "collect", "batch"}


@pytest.mark.slow
def test_the_students_grade_step_runs_on_a_public_install(starter_repo, root, tmp_path, monkeypatch):
    """The workflow's own command line, on the lab 01 sample, as a student's install runs it (no private course)."""
    work = tmp_path / "repo"
    shutil.copytree(starter_repo, work)
    shutil.copy(root / "tests" / "submissions" / "01-rnn-cells-torch-sample.ipynb", work / "01-rnn-cells-torch.ipynb")
    monkeypatch.chdir(work)
    monkeypatch.setenv("GRADER_PUBLIC_ONLY", "1")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = CliRunner().invoke(main, _grade_command(work / ".github" / "workflows" / "classroom.yml"))
    assert result.exit_code == 0, result.output
    assert (work / "grading" / "report.md").is_file() and (work / "grading" / "classroom.txt").is_file()
    assert "::notice title=Autograding complete::Points " in result.output
    assert (work / "grading" / "01-rnn-cells-torch-executed.ipynb").is_file() and summary.read_text()


# -- GitHub Classroom's reporter (classroom-resources/autograding-grading-reporter at its tag v1,
#    d13b5912daf5042ac1b71bc38bdb4a6bcd61d8ca), its arithmetic written again from its source --------------

def _classroom_reporter(env: dict[str, str], runners: str) -> dict:
    """What the reporter prints, from its inputs: the table (src/aggregate-results.js with getTestScore and
    getMaxScoreForTest of src/helpers/test-helpers.js), and the points (src/notify-classroom.js)."""
    import base64
    import json

    results = [(runner, json.loads(base64.b64decode(env[f"{runner.strip().upper()}_RESULTS"])))  # src/main.js
               for runner in runners.split(",")]
    rows = []
    for runner, result in results:
        maximum = result.get("max_score") or 0  # getMaxScoreForTest
        passed = sum(test["status"] == "pass" for test in result["tests"])
        rows.append((runner.strip(), passed / len(result["tests"]) * maximum, maximum))  # getTestScore
    total_points = sum(test["score"] for _, result in results if result.get("max_score") for test in result["tests"])
    max_points = sum(result["max_score"] for _, result in results if result.get("max_score"))
    return {"table": rows, "table_total": (sum(r[1] for r in rows), sum(r[2] for r in rows)),
            "points": f"Points {total_points:g}/{max_points:g}"}


def _lab01_report(failed=("lstm-step", "run-sequence-lstm")):
    """Lab 01 with the LSTM wrong: 17/22, 8 of 10 checks passed (the sample's result)."""
    checks = [CheckResult(c.id, c.title, 0.0 if c.id in failed else c.points, c.points,
                          FAILED if c.id in failed else PASSED, visibility=c.visibility)
              for c in load_lab("01-rnn-cells").checks_for("torch")]
    return Report("01-rnn-cells", "torch", "01-rnn-cells-torch.ipynb", checks=checks)


def _run_grade_step(workflow_path, tmp_path, monkeypatch, report):
    """The workflow's grading step, as the runner runs it: its log, its step outputs and its classroom file."""
    monkeypatch.setattr("grader.judging.grading.grade", lambda *a, **k: report)
    tmp_path.mkdir(exist_ok=True)
    monkeypatch.chdir(tmp_path)
    outputs = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    result = CliRunner().invoke(main, _grade_command(workflow_path))
    assert result.exit_code == 0, result.output
    step_outputs = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    in_file = dict(line.split("=", 1) for line in (tmp_path / "grading" / "classroom.txt").read_text().splitlines()
                   if line.startswith("result"))
    return result.output, step_outputs, in_file


def _reporter_inputs(step, outputs):
    """The reporter step's env, with ${{ steps.grader.outputs.NAME }} taken from the grading step's outputs."""
    env = {}
    for name, value in step["env"].items():
        match = re.fullmatch(r"\$\{\{ steps\.grader\.outputs\.([\w-]+) \}\}", value)
        assert match, value
        env[name] = outputs[match.group(1)]
    return env, step["with"]["runners"]


def test_classroom_reporter_wiring_gives_the_reports_total(tmp_path, monkeypatch):
    """With one runner per check the reporter's table, its points and the report all say 17/22."""
    directory = tmp_path / "repo"
    write_starter(load_lab("01-rnn-cells"), "torch", directory, StarterOptions(classroom_reporter=True))
    path = directory / ".github" / "workflows" / "classroom.yml"
    _check([path], persona="auditor")
    job = yaml.safe_load(path.read_text())["jobs"]["run-autograding-tests"]
    [grade_step] = [s for s in job["steps"] if s.get("id") == "grader"]
    assert "grader check" in grade_step["run"]
    [step] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("classroom-resources/autograding-grading-reporter@")]
    assert SHA_PIN.match(step["uses"]) and step["continue-on-error"] is True and step["if"] == "always()"
    report = _lab01_report()
    log, step_outputs, in_file = _run_grade_step(path, tmp_path / "run", monkeypatch, report)
    assert in_file == step_outputs  # the classroom file carries every runner result the step outputs carry
    env, runners = _reporter_inputs(step, step_outputs)
    printed = _classroom_reporter(env, runners)
    assert (report.score, report.max_score) == (17, 22)
    assert printed["table_total"] == (17, 22) and printed["points"] == "Points 17/22"
    assert f"::notice title=Autograding complete::{printed['points']}" in log  # the grader's own line agrees
    assert [row[0] for row in printed["table"]] == [c.id for c in report.checks]
    # the control: the whole report as one runner, the wiring the docs never give, makes the table say 17.6
    single = _classroom_reporter({"GRADER_RESULTS": step_outputs["result"]}, "grader")
    assert single["points"] == "Points 17/22" and single["table_total"] == (pytest.approx(17.6), 22)


def test_default_workflow_prints_the_reports_points_and_carries_every_runner(starter_repo, tmp_path, monkeypatch):
    """Without the reporter the grader's two lines are Classroom's points: the report's total."""
    path = starter_repo / ".github" / "workflows" / "classroom.yml"
    job = yaml.safe_load(path.read_text())["jobs"]["run-autograding-tests"]
    assert not [s for s in job["steps"] if "autograding-grading-reporter" in str(s.get("uses", ""))]
    assert [s.get("id") for s in job["steps"] if "grader check" in str(s.get("run", ""))] == ["grader"]
    report = _lab01_report()
    log, step_outputs, in_file = _run_grade_step(path, tmp_path, monkeypatch, report)
    assert "::notice title=Autograding complete::Points 17/22" in log
    assert '::notice title=Autograding report::{"totalPoints":17,"maxPoints":22}' in log
    assert in_file == step_outputs and set(in_file) == {"result"} | {f"result-{c.id}" for c in report.checks}
    env = {f"{c.id.upper()}_RESULTS": in_file[f"result-{c.id}"] for c in report.checks}
    assert _classroom_reporter(env, ",".join(c.id for c in report.checks))["table_total"] == (17, 22)


def test_starter_cli_writes_the_reporter_wiring(tmp_path):
    result = CliRunner().invoke(main, ["starter", "01-rnn-cells", str(tmp_path / "r"), "--framework", "keras",
                                       "--classroom-reporter"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "r" / ".github" / "workflows" / "classroom.yml").read_text()
    ids = [c.id for c in load_lab("01-rnn-cells").checks_for("keras")]
    assert f"runners: {','.join(ids)}" in text
    assert all(f"{i.upper()}_RESULTS: ${{{{ steps.grader.outputs.result-{i} }}}}" in text for i in ids)


COURSE = """\
organisation: rnn-course-2026
roster: roster.csv
late_policy: {grace_minutes: 15, penalty_percent: 10, per: day, cap_percent: 50, max_late_hours: 48}
labs:
  - {id: 01-rnn-cells, flavour: keras, prefix: lab1, deadline: "2026-11-30T23:59[Europe/Berlin]",
     last_accepted: "2026-12-07T23:59[Europe/Berlin]"}
  - {id: 02-tracing-vs-passfail, flavour: torch, prefix: lab2, deadline: "2026-11-23T23:59[Europe/Berlin]"}
extensions:
  - {student: carol, lab: 01-rnn-cells, days: 3, reason: medical}
  - {student: dan, lab: 02-tracing-vs-passfail, days: 9}
"""


def _course_repo(tmp_path, text=COURSE):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "course.yaml").write_text(text)
    (tmp_path / "course" / "roster.csv").write_text("identifier,github_username,name\nS1,carol,Carol\n")
    return tmp_path


def _starter(*args):
    return CliRunner().invoke(main, ["starter", "01-rnn-cells", *map(str, args)])


def test_staff_workflow_from_the_course_file_collects_each_student_at_their_own_cut_off(tmp_path):
    repo = _course_repo(tmp_path)
    result = _starter(repo, "--staff-workflow", "--course", repo / "course" / "course.yaml")
    assert result.exit_code == 0, result.output
    path = repo / ".github" / "workflows" / "graded-01-rnn-cells.yml"
    workflow = yaml.safe_load(path.read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]
    assert set(triggers) == {"workflow_dispatch", "schedule"}
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"post-feedback"}  # the course file has the deadlines
    # carol's 3 days move her deadline to 2026-12-03T22:59Z and max_late_hours (48, before last_accepted) her
    # cut-off to 2026-12-05T22:59Z; dan's extension is another lab's. 15 minutes later:
    assert triggers["schedule"] == [{"cron": "14 23 5 12 *"}]
    steps = _steps(workflow["jobs"]["graded-run"])
    assert "grader collect --course course/course.yaml --lab 01-rnn-cells --out submissions" in steps
    assert "--org" not in steps and "--deadline" not in steps and "${{" not in steps
    order = [steps.index(s) for s in ("gh run download", "grader collect --course", "grader batch submissions",
                                      "actions/upload-artifact@")]
    assert order == sorted(order)
    assert any(argv[0] == "collect" for argv in _grader_commands(path))
    for argv in _grader_commands(path):
        known = {opt for param in main.commands[argv[0]].params for opt in param.opts}
        assert not [arg for arg in argv[1:] if arg.startswith("--") and arg not in known]
    _check([path], persona="auditor")


@pytest.mark.parametrize(("late_policy", "cron"), [
    # no extension in the lab: the lab's own cut-off, 48 hours after 2026-11-30T22:59Z
    ("{penalty_percent: 10, max_late_hours: 48}", None),
    # no cut-off, 30% a day capped at 100%: a push 4 days begun late scores nothing, so the last that counts is
    # 3 days after carol's extended deadline (2026-12-03T22:59Z)
    ("{penalty_percent: 30, per: day}", "14 23 6 12 *"),
    # a 2-hour penalty-free policy: the grace's end after carol's deadline
    ("{grace_minutes: 120}", "14 1 4 12 *"),
])
def test_the_graded_run_starts_15_minutes_after_the_latest_cut_off(tmp_path, late_policy, cron):
    text = COURSE.replace("late_policy: {grace_minutes: 15, penalty_percent: 10, per: day, cap_percent: 50, "
                          "max_late_hours: 48}", f"late_policy: {late_policy}")
    if cron is None:
        text, cron = text.replace("  - {student: carol, lab: 01-rnn-cells, days: 3, reason: medical}\n", ""), "14 23 2 12 *"
    text = text.replace('     last_accepted: "2026-12-07T23:59[Europe/Berlin]"}', "}")
    repo = _course_repo(tmp_path, text)
    result = _starter(repo, "--staff-workflow", "--course", repo / "course" / "course.yaml")
    assert result.exit_code == 0, result.output
    workflow = yaml.safe_load((repo / ".github" / "workflows" / "graded-01-rnn-cells.yml").read_text())
    assert (workflow[True] if True in workflow else workflow["on"])["schedule"] == [{"cron": cron}]


@pytest.mark.parametrize(("args", "message"), [
    (["--org", "course", "--deadline", "2026-12-01T23:59:00Z"], "leave out --org, --deadline"),
    (["--prefix", "lab1"], "leave out --prefix"),
    (["--by", "commit-date"], "leave out --by"),
])
def test_staff_workflow_refuses_course_with_the_deadline_options(tmp_path, args, message):
    repo = _course_repo(tmp_path)
    result = _starter(repo, "--staff-workflow", "--course", repo / "course" / "course.yaml", *args)
    assert result.exit_code == 2 and message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (repo / ".github").exists()


def test_staff_workflow_course_errors_are_one_line(tmp_path):
    repo = _course_repo(tmp_path)
    course = repo / "course" / "course.yaml"
    cases = [
        (["--framework", "torch", "--course", course], "--course goes with --staff-workflow"),
        (["--staff-workflow", "--course", tmp_path / "missing.yaml"], "file not found"),
    ]
    result = CliRunner().invoke(main, ["starter", "03-windowing-forecast", str(repo), "--staff-workflow", "--course",
                                       str(course)])
    assert result.exit_code == 2 and "no lab '03-windowing-forecast'" in result.output
    assert len(result.output.strip().splitlines()) == 1
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    cases.append((["--staff-workflow", "--course", course, "--org", "x"], "leave out --org"))
    for args, message in cases:
        result = _starter(outside if "--staff-workflow" in args else tmp_path / "new", *args)
        assert result.exit_code == 2 and message in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    result = _starter(outside, "--staff-workflow", "--course", course)
    assert result.exit_code == 2 and "is not inside" in result.output
    course.write_text(COURSE.replace("cap_percent: 50, max_late_hours: 48", "cap_percent: 50")
                      .replace('     last_accepted: "2026-12-07T23:59[Europe/Berlin]"}', "}"))
    result = _starter(repo, "--staff-workflow", "--course", course)
    assert result.exit_code == 2 and "accepts late pushes without end" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
