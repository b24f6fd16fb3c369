"""Without the private course: recorded checks judged, metric checks only ever previews, stale recordings and
unrecorded checks pending (never a score)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from grader.course.labs import load_lab
from grader.judging import public_checks
from grader.judging.checks.base import CheckContext
from grader.judging.public_checks import PublicChecks
from grader.judging.recorded import read_recording
from grader.reports.formats import common, html, markdown, terminal
from grader.reports.formats.common import run_lines
from grader.reports.report import FAILED, PASSED, SKIPPED, CheckResult, Report


class FakeRun:
    """Stands in for a Grading: every check the kernel is asked about passes."""

    def __init__(self) -> None:
        self.judged: list[str] = []

    def context(self, check, seed, hidden_dir):
        return CheckContext("torch", np.random.default_rng(seed), hidden_dir, "lab")

    def run_check(self, check, ctx, make_plan, judging):
        self.judged.append(check.id)
        make_plan(None)
        return CheckResult(check.id, check.title, check.points, check.points, PASSED, "fine",
                           visibility=check.visibility)


def _check(lab, check_id):
    return next(c for c in lab.checks_for("torch") if c.id == check_id)


def test_a_metric_check_is_a_preview_and_a_recorded_check_is_judged():
    lab = load_lab("03-windowing-forecast")
    checks, run = PublicChecks(lab, "torch"), FakeRun()
    forecast = checks.judge(run, _check(lab, "predict-beats-naive"))  # public visibility, hidden labels
    assert forecast.status == SKIPPED and forecast.score == 0.0
    assert forecast.message.startswith("preview on public data, not your grade: it would pass here")
    windows = checks.judge(run, _check(lab, "make-windows"))
    assert windows.status == PASSED and windows.score == windows.max_score
    assert run.judged == ["predict-beats-naive", "make-windows"]


def test_a_stale_recording_and_an_unrecordable_check_await_the_private_run(monkeypatch):
    lab = load_lab("01-rnn-cells")
    run = FakeRun()
    unrecordable = PublicChecks(lab, "torch").judge(run, _check(lab, "to-builtin-rnn"))
    assert unrecordable.status == SKIPPED and unrecordable.message == public_checks.awaiting(
        public_checks.FROM_YOUR_ANSWERS)
    monkeypatch.setattr(public_checks, "fingerprint", lambda lab, framework: "another spec")
    stale = PublicChecks(lab, "torch").judge(run, _check(lab, "rnn-step"))
    assert stale.status == SKIPPED and "out of date" in stale.message and stale.score == 0.0
    assert run.judged == []


# -- what a student reads: `grader --public check` ---------------------------------------------------------
LABS = ["01-rnn-cells", "02-tracing-vs-passfail", "03-windowing-forecast", "04-gradient-clipping",
        "05-improving-rnns", "06-text-classification"]
# the grader's internal modules (grader/judging/numerics/*.py): "rnn.torch_layer_forward" means nothing to a student
INTERNAL = re.compile(r"\b(?:grader\.numerics|architecture|clipping|mooc|regularization|rnn|windowing)\.[a-z_]+")


def _public_report(lab_id: str, framework: str) -> Report:
    """Every check of a lab as a student's install reports it (the recorded checks pass)."""
    lab = load_lab(lab_id)
    checks, run = PublicChecks(lab, framework), FakeRun()
    report = Report(lab_id, framework, f"/home/runner/work/alice/{lab_id}-{framework}.ipynb", seed=3, course="public")
    report.checks = [checks.judge(run, check) for check in lab.checks_for(framework)]
    report.checks[1] = CheckResult(report.checks[1].id, "t", 0, report.checks[1].max_score, FAILED,
                                   "lstm_step(x_t, h_prev, c_prev, p) with batch=1, m=3, n=4: c_t: max abs error "
                                   "0.677 (tolerance 1e-05); at index [0, 3] expected 0.525831, got -0.151248")
    return report


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize("lab_id", LABS)
def test_a_check_left_to_the_graded_run_says_why_in_a_students_words(lab_id, framework):
    lab = load_lab(lab_id)
    _, recorded = read_recording(lab.root, framework)
    for entry in recorded.values():  # every reason a shipped recording gives has its own sentence
        if entry.why_not:
            assert public_checks.student_reason(entry.why_not) != public_checks.NEEDS_PRIVATE, entry.why_not
    report = _public_report(lab_id, framework)
    for check in report.checks:
        if check.status == SKIPPED:
            assert check.message.startswith((public_checks.AWAITS + ": ", public_checks.PREVIEW + ": "))
    shown = terminal.render(report) + markdown.render(report) + html.render(report)
    assert not INTERNAL.search(shown), INTERNAL.search(shown).group()
    assert "was not recorded" not in shown
    assert "pending/" not in shown  # points neither earned nor lost: –/2


def test_the_student_view_says_once_which_checks_await_the_graded_run():
    report = _public_report("01-rnn-cells", "torch")
    waiting = [check.id for check in report.checks if check.status == SKIPPED]
    assert waiting == ["to-builtin-rnn", "to-builtin-lstm", "count-params"]
    text = terminal.render(report, width=400)
    notes = [line for line in text.splitlines() if line.startswith("note:")]
    assert len(notes) == 1, notes  # one note for the feedback run and what awaits the graded run
    assert notes[0].endswith("3 checks (6 of 22 points) await the graded run: " + ", ".join(waiting))
    assert text.count("feedback run") == 1
    for check_id in waiting:
        row = next(line for line in text.splitlines() if line.startswith(f"│ {check_id} "))
        assert "│ pending │" in row and "–/2 │" in row
    assert f"Score: {report.score:g}/22 (6 pending)\n" in text and "/home/runner" not in text


def _words(text: str) -> set[str]:
    return {word for word in re.split(r"[\s│┃┏┓┗┛┡┩━─┳┻╇╈┼└┘┌┐]+", text) if word}


@pytest.mark.parametrize("width", [80, 40])
def test_no_word_is_broken_on_a_narrow_terminal(width):
    report = _public_report("01-rnn-cells", "torch")
    text = terminal.render(report, width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    said = [f"{report.lab} ({report.framework}) — 01-rnn-cells-torch.ipynb", *run_lines(report),
            common.footer(report), f"Score: {report.score:g}/{report.max_score:g} (6 pending)"]
    for check in report.checks:
        said += [check.id, common.status_word(check.status), common.shown_message(check)]
    expected = {word for line in said for word in line.split()}
    missing = expected - _words(text)
    assert not missing, sorted(missing)  # a word cut across two lines is missing whole
