"""Lab 02 end to end: references, wrong solutions and student notebooks in real kernels."""

from __future__ import annotations

import pytest

from grader.validate import validate_lab

pytestmark = pytest.mark.slow


def test_validate_lab02():
    result = validate_lab("02-tracing-vs-passfail", seed=0)
    failures = [text for ok, text in result.lines if not ok]
    assert result.ok, "\n".join(failures)
    # every wrong solution of both flavours was judged
    assert sum(" wrong solution " in text and "every check" not in text for _, text in result.lines) == 20
