"""Batch grading without kernels: naming, the checks before grading, a row for every submission whatever its
grading does, results taken only from the task's own channel, resuming, and the command line."""

from __future__ import annotations

import csv
import json
import os
import signal
import time
from pathlib import Path

import psutil
import pytest
from batchfakes import REPORT, WRITE, fake, notebook
from click.testing import CliRunner

from grader.batch import class_grading, planning, resume
from grader.batch import rows as batch_rows
from grader.batch import run as batch_run
from grader.batch import task as batch_task
from grader.batch.class_grading import ClassOptions, grade_class
from grader.batch.engines import SequentialEngine
from grader.batch.planning import BatchOptions
from grader.batch.rows import GRADED, GRADER_ERROR, NOT_GRADED, find_submissions
from grader.batch.run import grade_batch
from grader.batch.task import validate_report
from grader.cli import main
from grader.errors import InputError


def _options(tmp_path: Path, script: str, **kwargs) -> BatchOptions:
    return BatchOptions(out_dir=tmp_path / "out", seed=5, argv=fake(script), no_sandbox=True, **kwargs)


def _grade(tmp_path, paths, script, **kwargs):
    return grade_batch(find_submissions(paths, exclude=[tmp_path / "out"]), _options(tmp_path, script, **kwargs),
                       SequentialEngine()).rows


# -- finding submissions -----------------------------------------------------------------------------

def test_submissions_in_folders_get_unique_names_and_their_student(tmp_path):
    notebook(tmp_path / "class" / "alice" / "lab 01.ipynb")
    notebook(tmp_path / "class" / "bob" / "lab 01.ipynb")
    notebook(tmp_path / "class" / "bob" / ".ipynb_checkpoints" / "lab 01-checkpoint.ipynb")
    single = notebook(tmp_path / "alice__lab_01.ipynb")
    found = find_submissions([tmp_path / "class", single])
    assert [s.name for s in found] == ["alice__lab_01", "bob__lab_01", "alice__lab_01-2"]
    assert [s.student for s in found[:2]] == ["alice", "bob"]
    assert found[2].path == single


def test_the_output_folder_is_never_searched(tmp_path):
    notebook(tmp_path / "class" / "alice" / "lab.ipynb")
    notebook(tmp_path / "class" / "grading" / "alice__lab.executed.ipynb")  # a previous run's output
    found = find_submissions([tmp_path / "class"], exclude=[tmp_path / "class" / "grading"])
    assert [s.name for s in found] == ["alice__lab"]
    control = find_submissions([tmp_path / "class"])
    assert len(control) == 2  # without the exclusion the executed notebook would be a new student
    (tmp_path / "class" / "grading" / batch_rows.STATE_DIR).mkdir()  # an earlier batch's output, whatever --out is now
    assert [s.name for s in find_submissions([tmp_path / "class"])] == ["alice__lab"]


def test_nothing_to_grade_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        find_submissions([tmp_path / "missing.ipynb"])
    with pytest.raises(InputError, match="no notebooks"):
        find_submissions([tmp_path])


# -- every submission gets a row -----------------------------------------------------------------------

def test_every_submission_gets_a_row_whatever_its_grading_does(tmp_path):
    names = ("ok", "crash", "hang", "bad", "liar", "empty")
    paths = [notebook(tmp_path / f"{n}.ipynb", "fail: lstm-step" if n == "ok" else "") for n in names]
    script = REPORT + (
        "import time\n"
        "stem = notebook.stem\n"
        "if stem == 'crash':\n    print('Traceback ...\\nZeroDivisionError: boom', file=sys.stderr); sys.exit(3)\n"
        "if stem == 'hang':\n    time.sleep(30)\n"
        "if stem == 'bad':\n    print('error: not a notebook', file=sys.stderr); sys.exit(2)\n"
        "if stem == 'liar':\n    report['checks'][0]['score'] = 99.0; report['score'] += 97\n"
        "if stem != 'empty':\n" + "    " + WRITE
    )
    rows = _grade(tmp_path, paths, script, timeout=5)
    by_name = {row.name: row for row in rows}
    assert [row.name for row in rows] == list(names)
    ok = by_name["ok"]
    assert ok.status == GRADED and ok.score == 19.0 and ok.max_score == 22.0 and ok.checks["lstm-step"] == 0
    assert ok.check_max["lstm-step"] == 3.0 and ok.seed == 5 and ok.grader_version
    assert by_name["crash"].status == GRADER_ERROR and "ZeroDivisionError: boom" in by_name["crash"].message
    assert by_name["hang"].status == NOT_GRADED and "within 5 s" in by_name["hang"].message
    assert by_name["bad"].status == NOT_GRADED and by_name["bad"].message == "error: not a notebook"
    assert by_name["liar"].status == NOT_GRADED and "outside its 2 points" in by_name["liar"].message
    assert by_name["empty"].status == NOT_GRADED and "no report" in by_name["empty"].message
    for name in ("crash", "hang", "bad", "liar", "empty"):
        assert by_name[name].score == 0 and by_name[name].max_score == 22.0  # worth the lab, scored nothing
    out = tmp_path / "out"
    assert json.loads((out / "ok.json").read_text())["score"] == 19.0
    assert not (out / "liar.json").exists() and not (out / "crash.json").exists()


FORGE_THEN_DIE = REPORT + (
    "import os, signal\n"
    "for check in report['checks']:\n    check['score'] = check['max_score']; check['status'] = 'passed'\n"
    "report['score'] = report['max_score']\n"
    + WRITE +
    "os.kill(os.getpid(), signal.SIGKILL)\n"
)


def test_a_report_forged_before_the_grader_is_killed_is_never_read(tmp_path):
    """A kernel that writes full marks to the report path and SIGKILLs the grader gets a 'not graded' row."""
    path = notebook(tmp_path / "attacker.ipynb", "fail: rnn-step, lstm-step")
    row = _grade(tmp_path, [path], FORGE_THEN_DIE)[0]
    assert row.status == NOT_GRADED and row.score == 0 and "SIGKILL" in row.message
    # control: the same forged file, had the process ended normally, would have been taken
    control = _grade(tmp_path, [path], FORGE_THEN_DIE.replace("os.kill(os.getpid(), signal.SIGKILL)", ""))[0]
    assert control.status == GRADED and control.score == 22.0


def test_a_report_left_in_the_output_folder_is_never_a_grade(tmp_path):
    path = notebook(tmp_path / "x.ipynb")
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.json").write_text(json.dumps({"lab": "01-rnn-cells", "score": 22, "max_score": 22, "checks": []}))
    row = _grade(tmp_path, [path], "import sys; sys.exit(3)")[0]
    assert row.status == GRADER_ERROR and row.score == 0
    assert not (out / "x.json").exists()


def test_a_submission_past_its_time_is_stopped_with_everything_it_started(tmp_path):
    path = notebook(tmp_path / "slow.ipynb")
    pid_file = tmp_path / "kernel.pid"
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    row = _grade(tmp_path, [path], script, timeout=3)[0]
    assert row.status == NOT_GRADED and "within 3 s" in row.message
    assert row.seconds < 30  # not the 60 s the child would take to end by itself
    pid = int(pid_file.read_text())
    for _ in range(50):
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the grading process's child (its kernel) was left running")


def test_validate_report_accepts_only_what_the_lab_allows():
    from grader.course.labs import load_lab

    checks = [{"id": c.id, "score": c.points, "max_score": c.points} for c in load_lab("01-rnn-cells").checks_for("torch")]
    good = {"lab": "01-rnn-cells", "framework": "torch", "score": 22.0, "checks": checks}
    assert validate_report(good, "01-rnn-cells") is good
    bad = [
        ({**good, "lab": "04-gradient-clipping"}, "not 01-rnn-cells"),
        ({**good, "framework": "jax"}, "flavour"),
        ({**good, "checks": checks[1:], "score": 20.0}, "lacks checks"),
        ({**good, "checks": [*checks, {"id": "bonus", "score": 5, "max_score": 5}], "score": 27.0}, "bonus"),
        ({**good, "checks": [{**checks[0], "max_score": 50, "score": 50}, *checks[1:]], "score": 70.0}, "outside"),
        ({**good, "checks": [{**checks[0], "score": float("nan")}, *checks[1:]]}, "not numbers"),
        ({**good, "score": 30.0}, "sum"),
        ([], "object"),
    ]
    for report, message in bad:
        with pytest.raises(ValueError, match=message):
            validate_report(report, "01-rnn-cells")


# -- which lab ---------------------------------------------------------------------------------------

def test_without_lab_a_notebook_of_another_lab_than_the_class_is_refused(tmp_path):
    paths = [notebook(tmp_path / "class" / f"s{i}.ipynb", lab="04-gradient-clipping") for i in range(2)]
    intruder = notebook(tmp_path / "class" / "intruder.ipynb", lab="01-rnn-cells")  # solved lab 01 in a lab 04 class
    counter = tmp_path / "graded.txt"
    script = f"import sys; open({str(counter)!r}, 'a').write(sys.argv[2] + '\\n'); sys.exit(3)"
    rows = {row.name: row for row in _grade(tmp_path, [*paths, intruder], script)}
    assert rows["intruder"].status == NOT_GRADED and rows["intruder"].score == 0
    assert "names lab 01-rnn-cells" in rows["intruder"].message
    assert rows["intruder"].lab == "" and rows["intruder"].max_score == 0  # not passed off as a lab 04 submission
    assert len(counter.read_text().splitlines()) == 2  # the intruder never reached grading


def test_with_lab_given_other_labs_are_refused_and_a_tie_needs_lab(tmp_path):
    a = notebook(tmp_path / "a.ipynb", lab="04-gradient-clipping")
    b = notebook(tmp_path / "b.ipynb", lab="01-rnn-cells")
    c = notebook(tmp_path / "c.ipynb", lab=None)
    rows = _grade(tmp_path, [a, b, c], REPORT + WRITE, labs=("01-rnn-cells",))
    assert [row.status for row in rows] == [NOT_GRADED, GRADED, GRADED]  # no metadata: graded as the batch's lab
    with pytest.raises(InputError, match="several labs equally often"):
        _grade(tmp_path, [a, b], REPORT + WRITE)
    both = _grade(tmp_path, [a, b, c], REPORT + WRITE, labs=("01-rnn-cells", "04-gradient-clipping"))
    assert both[1].status == GRADED and both[2].status == NOT_GRADED and "does not say which lab" in both[2].message


def test_unknown_lab_or_flavour_fails_before_any_grading(tmp_path):
    path = notebook(tmp_path / "a.ipynb")
    counter = tmp_path / "graded.txt"
    script = f"open({str(counter)!r}, 'a').write('x')"
    with pytest.raises(InputError, match="unknown lab"):
        _grade(tmp_path, [path], script, labs=("01-rnn-cell",))
    with pytest.raises(InputError, match="unknown lab"):
        _grade(tmp_path, [notebook(tmp_path / "b.ipynb", lab="99-typo")], script)
    assert not counter.exists()


# -- resuming ----------------------------------------------------------------------------------------

def test_a_rerun_grades_only_what_is_missing(tmp_path):
    for i in range(3):
        notebook(tmp_path / "class" / f"s{i}.ipynb", "fail: rnn-step" if i else "")
    log = tmp_path / "graded.txt"
    logging = f"open({str(log)!r}, 'a').write(notebook.stem + '\\n')\n"
    # the first run is "interrupted": s2 fails to grade (the batch died before it)
    first = REPORT + logging + "if notebook.stem == 's2': sys.exit(3)\n" + WRITE
    rows = _grade(tmp_path, [tmp_path / "class"], first)
    assert [row.status for row in rows] == [GRADED, GRADED, GRADER_ERROR]
    log.unlink()
    rows = _grade(tmp_path, [tmp_path / "class"], REPORT + logging + WRITE)
    assert log.read_text().split() == ["s2"]
    assert [row.status for row in rows] == [GRADED] * 3 and [row.resumed for row in rows] == [True, True, False]
    assert [row.score for row in rows] == [22.0, 20.0, 20.0]
    # a changed notebook, another seed, or --force: graded again
    notebook(tmp_path / "class" / "s0.ipynb", "fail: gru-step")
    log.unlink()
    rows = _grade(tmp_path, [tmp_path / "class"], REPORT + logging + WRITE)
    assert log.read_text().split() == ["s0"] and rows[0].score == 19.0
    log.unlink()
    _grade(tmp_path, [tmp_path / "class"], REPORT + logging + WRITE, force=True)
    assert log.read_text().split() == ["s0", "s1", "s2"]
    log.unlink()
    options = _options(tmp_path, REPORT + logging + WRITE)
    options.seed = 6
    grade_batch(find_submissions([tmp_path / "class"]), options, SequentialEngine())
    assert len(log.read_text().split()) == 3


def test_a_tampered_resume_record_is_not_trusted(tmp_path):
    path = notebook(tmp_path / "class" / "s.ipynb", "fail: rnn-step")
    _grade(tmp_path, [tmp_path / "class"], REPORT + WRITE)
    state = tmp_path / "out" / batch_rows.STATE_DIR / "s.json"
    record = json.loads(state.read_text())
    record["row"]["report"]["checks"][0]["score"] = 50.0  # more than the check is worth
    state.write_text(json.dumps(record))
    log = tmp_path / "graded.txt"
    rows = _grade(tmp_path, [path], REPORT + f"open({str(log)!r}, 'w').write('x')\n" + WRITE)
    assert log.exists() and rows[0].score == 20.0 and not rows[0].resumed


# -- the class: sandbox, exit codes, files -------------------------------------------------------------

def test_a_class_without_a_sandbox_is_refused_unless_no_sandbox(tmp_path, monkeypatch):
    monkeypatch.setattr(class_grading, "sandbox_available", lambda: (False, "bwrap is not installed"))
    notebook(tmp_path / "class" / "alice" / "lab.ipynb")
    options = _options(tmp_path, REPORT + WRITE)
    options.no_sandbox = False
    with pytest.raises(InputError, match="no sandbox can start here .bwrap is not installed.*--no-sandbox"):
        grade_class([tmp_path / "class"], options, ClassOptions(sequential=True))
    assert not (tmp_path / "out").exists()
    options.no_sandbox = True
    result = grade_class([tmp_path / "class"], options, ClassOptions(sequential=True))
    assert result.exit_code == 0 and result.batch.rows[0].score == 22.0
    # a feedback run with the public course only has nothing private to protect: no refusal
    monkeypatch.setenv("GRADER_PUBLIC_ONLY", "1")
    options.no_sandbox, options.force = False, True
    assert grade_class([tmp_path / "class"], options, ClassOptions(sequential=True)).exit_code == 0


def test_a_public_only_report_is_no_grade_in_a_graded_run(tmp_path):
    path = notebook(tmp_path / "a.ipynb")
    public = REPORT + "report['course'] = 'public'\n" + WRITE
    rows = _grade(tmp_path, [path], public)
    assert rows[0].status == NOT_GRADED and "no private course" in rows[0].message


def test_a_feedback_batch_with_the_public_course_says_which_points_are_pending(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_PUBLIC_ONLY", "1")
    path = notebook(tmp_path / "a.ipynb")
    skip = ("for c in report['checks'][:2]:\n    c.update(status='skipped', score=0.0)\n"
            "report['score'] = sum(c['score'] for c in report['checks']); report['course'] = 'public'\n")
    row = _grade(tmp_path, [path], REPORT + skip + WRITE)[0]
    assert row.status == GRADED and row.score == 17.0 and row.max_score == 22.0
    assert "5 point(s) pending" in row.message


def test_a_worker_without_a_sandbox_grades_nothing():
    task = batch_task.Task("x", "x.ipynb", b"{}", "01-rnn-cells", require_sandbox=True,
                      argv=fake("raise SystemExit('must not run')"))
    original = batch_task.sandbox_available
    try:
        batch_task.sandbox_available = lambda: (False, "no user namespaces")
        result = batch_task.run_task(task)
    finally:
        batch_task.sandbox_available = original
    assert result["outcome"] == NOT_GRADED and "no user namespaces" in result["message"]


def test_grade_class_writes_the_gradebook_and_the_summary(tmp_path):
    for student, failing in (("alice", ""), ("bob", "fail: lstm-step"), ("carol", "fail: lstm-step, gru-step")):
        notebook(tmp_path / "class" / student / "lab01.ipynb", failing)
    (tmp_path / "class" / "dave").mkdir()
    (tmp_path / "class" / "dave" / "lab01.ipynb").write_text("{ not json")
    roster = tmp_path / "roster.csv"
    roster.write_text("identifier,github_username,github_id,name\nA1,alice,1,Alice A\nB2,Bob,2,Bob B\n"
                      "E5,erin,5,Erin E\n")
    script = REPORT + "if not nb['cells']: sys.exit(2)\n" + WRITE
    options = _options(tmp_path, script)
    result = grade_class([tmp_path / "class"], options,
                         ClassOptions(sequential=True, roster=roster, gradebooks=("canvas", "csv")))
    out = tmp_path / "out"
    assert result.exit_code == 1  # dave was not graded
    assert {p.name for p in result.written} == {"grades.csv", "students.csv", "gradebook-canvas.csv",
                                                "gradebook-csv.csv", "summary.md", "summary.html"}
    grades = list(csv.DictReader((out / "grades.csv").open()))
    assert [g["submission"] for g in grades] == ["alice__lab01", "bob__lab01", "carol__lab01", "dave__lab01"]
    assert grades[1]["lstm-step"] == "0" and grades[1]["lstm-step (max)"] == "3" and grades[1]["seed"] == "5"
    assert grades[3]["status"] == NOT_GRADED and grades[3]["score"] == grades[3]["max_score"] == ""
    assert "seconds" not in grades[0]
    students = {s["github_username"]: s for s in csv.DictReader((out / "students.csv").open())}
    assert students["alice"]["score"] == "22" and students["Bob"]["score"] == "19"
    assert students["erin"]["status"] == "no submission" and students["carol"]["on_roster"] == "no"
    canvas = list(csv.reader((out / "gradebook-canvas.csv").open()))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01-rnn-cells"]
    assert canvas[1][0] == "Points Possible" and canvas[1][5] == "22"
    assert ["Alice A", "", "A1", "", "", "22"] in canvas and ["Erin E", "", "E5", "", "", ""] in canvas
    assert "no submission: erin" in result.summary_text and "on no roster line: carol, dave" in result.summary_text
    assert "1 not graded" in (out / "summary.md").read_text()


def test_cli_batch_exit_codes_and_what_the_library_received(tmp_path, monkeypatch):
    seen = {}

    def fake_grade_class(paths, options, how, listener, ready=None):
        seen.update(paths=paths, options=options, how=how)
        ready()
        rows = [batch_rows.Row("a", "a.ipynb", status) for status in seen["statuses"]]
        return class_grading.ClassResult(batch_run.BatchResult(rows, ("01-rnn-cells",), options.seed, 0.0, "0"), [], "")

    monkeypatch.setattr(class_grading, "grade_class", fake_grade_class)
    for statuses, code in (([GRADED], 0), ([GRADED, NOT_GRADED], 1), ([NOT_GRADED, GRADER_ERROR], 3)):
        seen["statuses"] = statuses
        result = CliRunner().invoke(main, ["batch", "subs", "--out", str(tmp_path / "o"), "--lab", "01-rnn-cells",
                                           "--lab", "04-gradient-clipping", "--jobs", "2", "--seed", "9", "--force",
                                           "--no-sandbox", "--gradebook", "csv"])
        assert result.exit_code == code, result.output
        assert "grading 2 at a time, seed 9" in result.output  # said when the library is ready to grade
    assert seen["options"].labs == ("01-rnn-cells", "04-gradient-clipping") and seen["options"].seed == 9
    assert seen["options"].force and seen["options"].no_sandbox and seen["how"].jobs == 2
    assert seen["how"].gradebooks == ("csv",) and seen["how"].scheduler is None


def test_cli_batch_unusable_input_exits_2_with_one_line_before_grading(tmp_path):
    notebook(tmp_path / "class" / "a.ipynb")
    runner = CliRunner()
    for extra, message in ((["--lab", "01-rnn-cell"], "unknown lab"),
                           (["--roster", str(tmp_path / "nope.csv")], "cannot read the roster"),
                           (["--gradebook", "canvas"], "needs --roster")):
        result = runner.invoke(main, ["batch", str(tmp_path / "class"), "--out", str(tmp_path / "o"), "--sequential",
                                      "--no-sandbox", *extra])
        assert result.exit_code == 2, result.output
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and message in errors[0] and "Traceback" not in result.output
        assert not (tmp_path / "o" / "grades.csv").exists()
        assert "at a time" not in result.output  # nothing is announced that is not going to happen
    bad_roster = tmp_path / "roster.csv"
    bad_roster.write_text("name,email\nA,a@x\n")
    result = runner.invoke(main, ["batch", str(tmp_path / "class"), "--out", str(tmp_path / "o"), "--sequential",
                                  "--no-sandbox", "--roster", str(bad_roster)])
    assert result.exit_code == 2 and "not a GitHub Classroom roster" in result.output


def test_a_batch_killed_midway_and_rerun_grades_only_the_rest(tmp_path):
    """The batch process itself is killed while it grades the second submission; the rerun finishes the rest."""
    import subprocess
    import sys

    for i in range(3):
        notebook(tmp_path / "class" / f"s{i}.ipynb", "fail: rnn-step" if i == 2 else "")
    log = tmp_path / "graded.txt"
    logging = f"open({str(log)!r}, 'a').write(notebook.stem + '\\n')\n"
    slow = REPORT + logging + "import time\nif notebook.stem == 's1': time.sleep(120)\n" + WRITE
    driver = (
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from batchfakes import fake\n"
        "from pathlib import Path\n"
        "from grader.batch.engines import SequentialEngine\n"
        "from grader.batch.planning import BatchOptions\n"
        "from grader.batch.rows import find_submissions\n"
        "from grader.batch.run import grade_batch\n"
        f"options = BatchOptions(out_dir=Path({str(tmp_path / 'out')!r}), seed=5, no_sandbox=True, argv=fake(sys.argv[1]))\n"
        f"grade_batch(find_submissions([{str(tmp_path / 'class')!r}]), options, SequentialEngine())\n"
    )
    process = subprocess.Popen([sys.executable, "-c", driver, slow], start_new_session=True)
    state = tmp_path / "out" / batch_rows.STATE_DIR / "s0.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (state.exists() and "s1" in (log.read_text() if log.exists() else "")):
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)  # the batch and the grading it was running
    assert process.wait() == -signal.SIGKILL
    assert log.read_text().split() == ["s0", "s1"]
    log.unlink()
    rows = _grade(tmp_path, [tmp_path / "class"], REPORT + logging + WRITE)
    assert log.read_text().split() == ["s1", "s2"]
    assert [row.resumed for row in rows] == [True, False, False] and [row.score for row in rows] == [22, 22, 20]


def test_a_rerun_without_seed_resumes_with_the_seed_of_the_batch_in_out(tmp_path, monkeypatch):
    seen = []

    def fake_grade_class(paths, options, how, listener, ready=None):
        seen.append(options.seed)
        return class_grading.ClassResult(batch_run.BatchResult([], (), options.seed, 0.0, "0"), [], "")

    monkeypatch.setattr(class_grading, "grade_class", fake_grade_class)
    out = tmp_path / "o"
    (out / batch_rows.STATE_DIR).mkdir(parents=True)
    resume._save_seed(out, 4242)
    runner = CliRunner()
    assert runner.invoke(main, ["batch", "subs", "--out", str(out)]).exit_code == 0
    assert runner.invoke(main, ["batch", "subs", "--out", str(out), "--seed", "5"]).exit_code == 0
    assert runner.invoke(main, ["batch", "subs", "--out", str(tmp_path / "fresh")]).exit_code == 0
    assert seen[:2] == [4242, 5] and isinstance(seen[2], int)
    assert resume.batch_seed(out) == 4242 and resume.batch_seed(tmp_path / "fresh") is None


def test_a_submissions_expected_time_is_its_flavours_else_the_slowest_flavours():
    from grader.course.labs import load_lab

    lab = load_lab("03-windowing-forecast")
    keras, torch = (lab.flavours[name].grading_seconds for name in ("keras", "torch"))
    assert keras > torch > 0
    assert planning.expected_seconds(lab, "torch") == torch and planning.expected_seconds(lab, "keras") == keras
    assert planning.expected_seconds(lab, None) == keras and planning.expected_seconds(lab, "jax") == keras
    for lab_id in ("01-rnn-cells", "02-tracing-vs-passfail", "04-gradient-clipping", "05-improving-rnns",
                   "06-text-classification"):
        assert all(flavour.grading_seconds for flavour in load_lab(lab_id).flavours.values()), lab_id


# -- the class's files read back as tables -------------------------------------------------------------

def _unique_header(path: Path) -> list[str]:
    """The header of a CSV file, after checking that csv.DictReader and pandas read it as written."""
    pandas = pytest.importorskip("pandas")
    with path.open(newline="") as handle:
        raw = next(csv.reader(handle))
    with path.open(newline="") as handle:
        assert csv.DictReader(handle).fieldnames == raw
    assert list(pandas.read_csv(path, dtype=str).columns) == raw  # pandas renames repeats ("rnn-step.1")
    assert len(set(raw)) == len(raw), [column for column in raw if raw.count(column) > 1]
    return raw


@pytest.mark.parametrize("labs, columns", [(("01-rnn-cells",), 31),
                                           (("01-rnn-cells", "04-gradient-clipping"), 45)])
def test_a_class_batch_writes_every_column_once(tmp_path, labs, columns):
    roster = tmp_path / "roster.csv"
    roster.write_text("identifier,github_username,github_id,name\nA1,alice,1,Alice A\nB2,bob,2,Bob B\n")
    for student in ("alice", "bob"):
        for lab in labs:
            notebook(tmp_path / "class" / student / f"{lab}.ipynb", "fail: rnn-step", lab=lab)
    result = grade_class([tmp_path / "class"], _options(tmp_path, REPORT + WRITE, labs=labs),
                         ClassOptions(sequential=True, roster=roster, gradebooks=("canvas", "csv")))
    assert result.exit_code == 0
    out = tmp_path / "out"
    assert len(_unique_header(out / "grades.csv")) == columns
    for name in ("students.csv", "gradebook-canvas.csv", "gradebook-csv.csv"):
        _unique_header(out / name)
    grades = list(csv.DictReader((out / "grades.csv").open()))
    assert grades[0]["rnn-step"] == "0" and grades[0]["rnn-step (max)"] == "2" and grades[0]["score"] == "20"


def test_a_lab_given_twice_is_one_lab(tmp_path):
    notebook(tmp_path / "class" / "alice" / "lab.ipynb")
    result = grade_class([tmp_path / "class"], _options(tmp_path, REPORT + WRITE, labs=("01-rnn-cells",) * 2),
                         ClassOptions(sequential=True, roster=None, gradebooks=("csv",)))
    assert result.batch.labs == ("01-rnn-cells",)
    assert _unique_header(tmp_path / "out" / "gradebook-csv.csv").count("01-rnn-cells") == 1


def test_rows_that_were_not_graded_carry_no_points_and_say_why(tmp_path):
    pandas = pytest.importorskip("pandas")
    labs = ("01-rnn-cells", "04-gradient-clipping")
    notebook(tmp_path / "class" / "alice" / "lab01.ipynb")  # 22
    notebook(tmp_path / "class" / "bob" / "lab01.ipynb", "fail: count-params, gru-step")  # 17
    (tmp_path / "class" / "carol").mkdir()
    (tmp_path / "class" / "carol" / "lab01.ipynb").write_text("")  # an empty file
    notebook(tmp_path / "class" / "dave" / "lab03.ipynb", lab="03-windowing-forecast")  # another lab: refused
    script = REPORT + "if source == 'crash': sys.exit(3)\n" + WRITE
    notebook(tmp_path / "class" / "erin" / "lab01.ipynb", "crash")  # the grader fails on it
    result = grade_class([tmp_path / "class"], _options(tmp_path, script, labs=labs), ClassOptions(sequential=True))
    rows = {row.student: row for row in result.batch.rows}
    assert rows["carol"].status == NOT_GRADED and "not valid JSON" in rows["carol"].message
    assert "does not say which lab" not in rows["carol"].message
    refused = rows["dave"]
    assert refused.status == NOT_GRADED and "names lab 03-windowing-forecast" in refused.message
    assert refused.lab == "" and refused.max_score == 0 and not refused.check_max  # not passed off as lab 01
    grades = pandas.read_csv(tmp_path / "out" / "grades.csv")
    assert grades["score"].mean() == 19.5 and grades["score"].count() == 2  # 9.75 when rows not graded count 0
    graded = grades["status"] == GRADED
    assert grades.loc[~graded, ["score", "max_score", "rnn-step", "rnn-step (max)"]].isna().all().all()
    assert set(grades.loc[~graded, "status"]) == {NOT_GRADED, GRADER_ERROR}
    assert grades.loc[~graded, "message"].notna().all()
    # the class summary's statistics are over the graded rows only
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "19.5" in summary and "9.75" not in summary


def test_a_student_folder_named_directly_is_the_student(tmp_path):
    for student in ("alice", "bob"):
        notebook(tmp_path / "subs" / student / "lab01.ipynb")
    found = find_submissions([tmp_path / "subs" / "alice", tmp_path / "subs" / "bob"])
    assert [s.student for s in found] == ["alice", "bob"]
    assert [s.name for s in found] == ["lab01", "lab01-2"]  # unique still
    # the same as naming the class folder, or each notebook
    assert [s.student for s in find_submissions([tmp_path / "subs"])] == ["alice", "bob"]
    assert [s.student for s in find_submissions(sorted((tmp_path / "subs").rglob("*.ipynb")))] == ["alice", "bob"]
    result = grade_class([tmp_path / "subs" / "alice", tmp_path / "subs" / "bob"],
                         _options(tmp_path, REPORT + WRITE), ClassOptions(sequential=True))
    grades = list(csv.DictReader((tmp_path / "out" / "grades.csv").open()))
    assert [(g["submission"], g["student"]) for g in grades] == [("lab01", "alice"), ("lab01-2", "bob")]
    assert result.exit_code == 0 and json.loads((tmp_path / "out" / "lab01-2.json").read_text())["notebook"].endswith(
        "bob/lab01.ipynb")


def test_loose_notebooks_sharing_a_folder_are_each_their_own_student(tmp_path):
    # an LMS download: one folder, one notebook per student
    for student in ("alice", "bob"):
        notebook(tmp_path / "class" / f"{student}.ipynb")
    assert [s.student for s in find_submissions([tmp_path / "class"])] == ["alice", "bob"]
    assert [s.student for s in find_submissions(sorted((tmp_path / "class").glob("*.ipynb")))] == ["alice", "bob"]
    # a student folder with a single notebook is still that student's
    notebook(tmp_path / "subs" / "carol" / "lab01.ipynb")
    assert [s.student for s in find_submissions([tmp_path / "subs" / "carol"])] == ["carol"]
