"""Lab 05 end to end: references, wrong solutions and student notebooks in real kernels."""

from __future__ import annotations

import pytest

from grader.validate import validate_lab

pytestmark = pytest.mark.slow


def test_validate_lab05():
    result = validate_lab("05-improving-rnns", seed=0)
    failures = [text for ok, text in result.lines if not ok]
    assert result.ok, "\n".join(failures)
    judged = [text for _, text in result.lines if " wrong solution " in text and "every check" not in text]
    assert len(judged) == 27  # 14 wrong solutions in PyTorch, 13 in Keras
