"""The forecast labs' lookup attacks, graded for real: a notebook with no model at all, whose ``predict`` reads
its targets off what the kernel was sent or off the public 2013 weather (``adversarial/forecast_lookup.py``).

Each attack is graded twice in a real (sandboxed) kernel: with the check as it is, and, as the control, with the
check's windows put back the way they were before the defence: every overlapping window of the former hidden
period (the real weeks of 2013 after the public file), in one call. The attack must pass the control (proof that
it works) and fail the check, scoring exactly the naive forecast's MAE.
"""

from __future__ import annotations

import time

import nbformat
import numpy as np
import pytest
from adversarial import forecast_lookup

from grader.course.labs import load_lab
from grader.judging.checks import windowing as windowing_checks
from grader.judging.grading import Grading
from grader.judging.numerics import windowing

pytestmark = pytest.mark.slow

LAB = "03-windowing-forecast"
CHECK = "predict-beats-naive"


def _notebook(attack: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["grader"] = {"lab": LAB, "framework": "torch"}
    nb.cells.append(nbformat.v4.new_code_cell(forecast_lookup.cell(attack)))
    return nb


def _graded(attack: str) -> dict:
    """The predict check's result when the attacking notebook is graded with every check of the lab."""
    lab = load_lab(LAB)
    with Grading(lab, "torch", seed=5, deadline=time.monotonic() + 300) as run:
        events = run.execute(_notebook(attack))
        assert all(event.status == "ok" for event in events), [event.message for event in events]
        results = {result.id: result for result in run.judge()}
    return results[CHECK]


def _before_the_defence(monkeypatch, path):
    """The check's windows as they were: every overlapping window of ``path``, sent in one call."""
    def every_window(params, ctx):
        return windowing.make_windows(windowing.read_weather(path), int(params.get("seq_len", 24)),
                                      int(params.get("target_shift", 1)))
    monkeypatch.setattr(windowing_checks, "hidden_windows", every_window)


@pytest.mark.parametrize("attack", ["remembered", "pasted"])
def test_a_lookup_instead_of_a_model_passed_before_the_defence_and_fails_now(attack, monkeypatch):
    defended = _graded(attack)
    assert not defended.passed, defended.message
    assert defended.details["mae"] == pytest.approx(defended.details["naive_mae"])  # found nothing: the naive MAE

    _before_the_defence(monkeypatch, forecast_lookup.REAL_OCT_DEC)
    control = _graded(attack)
    assert control.passed and control.details["mae"] < 0.01, control.message
    assert control.score > defended.score == 0
    assert np.isfinite(defended.details["naive_mae"])
