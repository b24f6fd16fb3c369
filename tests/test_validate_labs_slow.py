"""Every lab end to end (``grader validate``): both references score full marks, every wrong solution fails
exactly the checks it declares, every check is failed by some wrong solution, the student notebooks run
without error and score 0, and judged from the recordings alone (a public install) the references pass every
recorded check and no wrong solution passes one it fails. Real notebooks in real kernels."""

from __future__ import annotations

import pytest

from grader.authoring.validate import validate_lab
from grader.course.labs import lab_ids

pytestmark = pytest.mark.slow

# Wrong solutions judged per lab (both flavours): a wrong solution that silently stops being judged fails here.
WRONG_SOLUTIONS = {
    "01-rnn-cells": 16,
    "02-tracing-vs-passfail": 28,
    "03-windowing-forecast": 19,
    "04-gradient-clipping": 22,
    "05-improving-rnns": 28,
    "06-text-classification": 24,
}


def test_every_lab_is_validated():
    assert set(WRONG_SOLUTIONS) == set(lab_ids())


@pytest.mark.parametrize("lab_id", sorted(WRONG_SOLUTIONS))
def test_the_counts_are_the_wrong_solutions_on_disk(lab_id, root):
    # a wrong solution added without raising its count here would fail test_validate after a full run
    assert len(list((root / "tests" / "wrong_solutions" / lab_id).glob("*/*.py"))) == WRONG_SOLUTIONS[lab_id]


@pytest.mark.parametrize("lab_id", sorted(WRONG_SOLUTIONS))
def test_validate(lab_id):
    result = validate_lab(lab_id, seed=0)
    failures = [text for ok, text in result.lines if not ok]
    assert result.ok, "\n".join(failures)
    judged = [text for _, text in result.lines if " wrong solution " in text and "every check" not in text
              and "public checks only" not in text]
    assert len(judged) == WRONG_SOLUTIONS[lab_id]
    # judged again as a public install judges them: the reference and every wrong solution
    public = [text for _, text in result.lines if "public checks only" in text]
    assert len(public) == WRONG_SOLUTIONS[lab_id] + 2
