"""End to end: real notebooks graded in real kernels with TensorFlow/Keras and PyTorch."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from make_submissions import sample_path
from nbfactory import write_notebook

from grader.cli import main
from grader.judging.grading import grade

pytestmark = pytest.mark.slow

LAB01_POINTS = 22  # in either flavour


@pytest.mark.parametrize("name", ["keras_numpy_correct", "torch_fused_correct"])
def test_correct_notebooks_written_differently_get_full_marks(tmp_path, name):
    report = grade(write_notebook(name, tmp_path), seed=7)
    lost = [f"{c.id}: {c.message}" for c in report.checks if not c.passed]
    assert not lost, "\n".join(lost)
    assert report.score == report.max_score == LAB01_POINTS
    assert not report.cells


@pytest.mark.parametrize("framework, failing, named", [
    ("torch", {"lstm-step", "run-sequence-lstm"}, "lstm_step"),
    ("keras", {"gru-step", "run-sequence-gru"}, "gru_step"),
])
def test_sample_submission_gets_partial_credit_with_reasons(tmp_path, framework, failing, named):
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["check", str(sample_path("01-rnn-cells", framework)), "-q",
                                       "--seed", "3", "--format", "json", "--output", str(out)])
    assert result.exit_code == 1, result.output
    data = json.loads(out.read_text())
    assert (data["lab"], data["framework"], data["seed"]) == ("01-rnn-cells", framework, 3)
    failed = {c["id"]: c for c in data["checks"] if c["status"] != "passed"}
    assert set(failed) == failing
    assert 0 < data["score"] < data["max_score"]
    for check_id, check in failed.items():
        called = "run_sequence(" if check_id.startswith("run-sequence") else f"{named}("
        assert check["score"] == 0 and called in check["message"] and "max abs error" in check["message"]


def test_tampering_inside_the_kernel_does_not_raise_the_score(tmp_path):
    # The notebook patches numpy/torch comparisons, json.dump and the grader's own modules, and
    # returns a layer whose forward is monkey-patched. Only the honestly correct run_sequence('lstm')
    # and count-free checks it truly passes may score.
    report = grade(write_notebook("torch_tamper", tmp_path), seed=11)
    passed = {c.id for c in report.checks if c.passed}
    assert passed == {"run-sequence-lstm"}, passed
    assert report.score == 2


def test_hanging_and_dying_cells_are_reported_not_fatal(tmp_path):
    report = grade(write_notebook("torch_hang_and_die", tmp_path), seed=5, cell_timeout=4)
    statuses = [event.status for event in report.cells]
    assert statuses == ["timeout", "timeout", "kernel-died", "error"], report.cells
    assert any("restarted" in note for note in report.notes)
    passed = {c.id for c in report.checks if c.passed}
    # rnn_step ran before anything went wrong; gru_step was defined before the kernel died
    assert "rnn-step" in passed
    assert not report.internal_errors
    assert report.max_score == LAB01_POINTS and report.score < report.max_score


CLASSIC_BUGS = {  # wrong solution -> the function its failure messages must name
    "lstm_ignores_c_prev": "lstm_step",
    "gru_update_swapped": "gru_step",
    "last_state_from_first_step": "run_sequence",
    "lstm_gate_order_wrong": "to_builtin",
}


@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_classic_bugs_get_partial_credit_naming_the_function(framework):
    from grader.authoring.validate import load_wrong_solutions
    from grader.course.labs import load_lab
    from grader.course.notebook import read_notebook
    from grader.judging.grading import Grading

    lab = load_lab("01-rnn-cells")
    bugs = dict(CLASSIC_BUGS, **({"count_one_bias": "count_params"} if framework == "torch" else {}))
    wrong = {w.name: w for w in load_wrong_solutions(lab.id, framework)}
    with Grading(lab, framework, seed=13) as run:
        run.execute(read_notebook(lab.flavours[framework].reference))
        run.snapshot()
        for name, function in bugs.items():
            assert run.run_extra_cell(wrong[name].source) == "ok"
            checks = run.judge()
            failed = [c for c in checks if not c.passed]
            score = sum(c.score for c in checks)
            assert failed and 0 < score < LAB01_POINTS, name
            for check in failed:
                assert function in check.message, (name, check.message)
            run.restore()


def test_a_cell_past_the_memory_limit_is_stopped_and_the_kernel_replaced(tmp_path):
    from grader.kernel.execute import KernelSession

    with KernelSession(tmp_path, env={}, setup_code="import time", memory_mb=300) as session:
        assert session.run_student_cell("x = 41", timeout=30).status == "ok"
        hog = "chunks = []\nfor _ in range(40):\n    chunks.append(bytearray(50 * 2**20))\n    time.sleep(0.1)"
        outcome = session.run_student_cell(hog, timeout=60)
        assert outcome.status == "memory" and "300 MiB" in outcome.message
        assert session.restarts == 1
        # the replacement kernel replayed the cells that had run fine
        assert session.run_code("assert x == 41", timeout=30).status == "ok"


def test_a_kernel_started_ahead_grades_like_a_fresh_one():
    """grader validate starts the next kernel while the current run is judged: that kernel, started by another
    thread (which it would die with, were the thread to end), grades the reference exactly as a fresh one."""
    import threading

    from grader.course.labs import load_lab
    from grader.course.notebook import read_notebook
    from grader.judging.grading import Grading
    from grader.kernel.notebook_run import Prestart

    lab = load_lab("01-rnn-cells")
    reference = lab.flavours["torch"].reference
    with Grading(lab, "torch", 5) as fresh:
        assert not fresh.execute(read_notebook(reference), reference.name)
        ahead = Prestart(Grading(lab, "torch", 5))
        expected = [(c.id, c.score) for c in fresh.judge()]
    with ahead.take() as run:
        assert any(t.name == "grader-prestart" for t in threading.enumerate())  # the starting thread lives on
        assert not run.execute(read_notebook(reference), reference.name)
        assert [(c.id, c.score) for c in run.judge()] == expected
        assert sum(score for _, score in expected) == 22
    assert run.closed.is_set()
    unused = Prestart(Grading(lab, "torch", 5))
    unused.discard()
    assert unused.run.session is None and unused.run.closed.is_set()
