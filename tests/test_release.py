"""Student notebooks are generated from the references: solution regions become stubs."""

from __future__ import annotations

import nbformat
import pytest

from grader.course.labs import lab_ids, load_lab
from grader.course.release import ReleaseError, build_release, strip_solutions, wrap_uses_solution


def test_region_becomes_a_named_stub():
    source = "def f(x):\n    # add one\n    # BEGIN SOLUTION\n    y = x + 1\n    return y\n    # END SOLUTION\n"
    out = strip_solutions(source)
    assert 'raise NotImplementedError("f: your code here")' in out
    assert "x + 1" not in out and "# add one" in out


def test_explicit_stub_lines_replace_the_region():
    source = "# BEGIN SOLUTION\nN_UNITS = 16\n# STUB: N_UNITS = None  # choose\n# END SOLUTION"
    assert strip_solutions(source) == "N_UNITS = None  # choose"


@pytest.mark.parametrize(
    "source, message",
    [
        ("# BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n# END SOLUTION\n", "without '# BEGIN SOLUTION'"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "nested"),
    ],
)
def test_malformed_markers(source, message):
    with pytest.raises(ReleaseError, match=message):
        strip_solutions(source)


def test_uses_solution_cells_are_wrapped(capsys):
    wrapped = wrap_uses_solution("print(f(1))")
    stub = "def f(x):\n    raise NotImplementedError('f: your code here')\n"
    exec(stub + wrapped, {})  # the stubbed exercise does not make the demo cell fail
    assert "Skipped until the exercises above are done: f: your code here" in capsys.readouterr().out
    exec("def f(x):\n    return x + 1\n" + wrapped, {})  # the solved exercise runs the demo
    assert capsys.readouterr().out == "2\n"


def test_committed_student_notebooks_are_up_to_date():
    for lab_id in lab_ids():
        for release in build_release(load_lab(lab_id)):
            assert release.up_to_date, f"{release.path} is stale: run `grader release {lab_id}`"


def test_student_notebooks_hold_no_solution_code():
    for lab_id in lab_ids():
        lab = load_lab(lab_id)
        for release in build_release(lab):
            notebook = nbformat.reads(release.text, as_version=4)
            text = "\n".join(cell.source for cell in notebook.cells)
            assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
            assert "NotImplementedError" in text
            assert notebook.metadata["grader"] == {"lab": lab.id, "framework": release.framework}
            assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def test_sample_submissions_are_up_to_date():
    from make_submissions import SAMPLES, build_sample, sample_path

    for lab, framework, wrong in SAMPLES:
        path = sample_path(lab, framework)
        assert path.read_text(encoding="utf-8") == build_sample(lab, framework, wrong), (
            f"{path} is stale: run `python tests/make_submissions.py`"
        )
