"""Lab 03 end to end: both references score full marks, every wrong solution fails exactly what it declares,
every check is failed by some wrong solution, and the student notebooks run and score 0."""

from __future__ import annotations

import pytest

from grader.validate import load_wrong_solutions, validate_lab

pytestmark = pytest.mark.slow

LAB = "03-windowing-forecast"


def test_validate_lab03():
    result = validate_lab(LAB, seed=0)
    failures = [text for ok, text in result.lines if not ok]
    assert result.ok, "\n".join(failures)
    judged = sum(" wrong solution " in text for _, text in result.lines)
    assert judged == len(load_wrong_solutions(LAB, "keras")) + len(load_wrong_solutions(LAB, "torch")) >= 16
