"""``grader new`` scaffolds a lab from a solved notebook (no kernel): one oracle check per solution function,
inputs from hints or the signature, what it cannot infer left as TODO and reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from grader.judging import oracle_inputs

NOTEBOOK = Path(__file__).resolve().parent / "notebooks" / "numpy_tiny_lab.ipynb"

@pytest.fixture
def course(tmp_path, monkeypatch):
    (tmp_path / "assignments").mkdir()
    monkeypatch.setenv("GRADER_COURSE", str(tmp_path))
    monkeypatch.setenv("GRADER_PRIVATE", str(tmp_path))
    return tmp_path


def test_grader_new_scaffolds_one_oracle_check_per_solution_function(course):
    from grader.authoring.scaffold import new_lab
    from grader.course.labs import load_lab
    from grader.course.notebook import read_notebook

    made = new_lab("90-tiny-numpy", NOTEBOOK)
    lab = load_lab("90-tiny-numpy")
    assert [(c.id, c.kind, c.points) for c in lab.checks] == [
        ("moving-average", "oracle", 1.0), ("softmax", "oracle", 1.0), ("count-params-dense", "oracle", 1.0),
        ("summary", "oracle", 1.0)]
    params = {c.id: c.params for c in lab.checks}
    assert params["moving-average"]["dims"] == {"n": [3, 12]}  # from its `# grader:` hint
    assert params["count-params-dense"]["args"] == [{"int": [1, 6]}, {"int": [1, 6]}]  # from the names
    assert params["softmax"]["args"][0]["array"]["shape"] == [[2, 6], [2, 6]]  # from the annotation
    assert all(not oracle_inputs.spec_problems(p) for p in params.values())
    assert lab.flavours["torch"].reference == course / "reference" / "torch" / "90-tiny-numpy.ipynb"
    student = "\n".join(c.source for c in read_notebook(lab.flavours["torch"].notebook).cells if c.cell_type == "code")
    assert student.count("raise NotImplementedError(") == 4 and "cumsum" not in student
    assert (course / "assignments" / "90-tiny-numpy" / "README.md") in made.written
    assert lab.extras == ()  # NumPy only: a student's install of it takes no extra
    with pytest.raises(Exception, match="exists already"):
        new_lab("90-tiny-numpy", NOTEBOOK)


def test_grader_new_leaves_what_it_cannot_infer_as_todo(course, tmp_path):
    import nbformat

    from grader.authoring.scaffold import new_lab
    from grader.course.labs import load_lab

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "def tokenize(text, vocabulary=None):\n    # BEGIN SOLUTION\n    return text.split()\n    # END SOLUTION\n\n"
        "def helper(q):\n    return q\n"))
    path = tmp_path / "solved.ipynb"
    nbformat.write(nb, path)
    made = new_lab("91-todo", path, "torch")
    assert [f.todo for f in made.functions] == [["text"]]  # helper has no solution region: not a check
    spec_text = (course / "assignments" / "91-todo" / "assignment.yaml").read_text()
    assert "# TODO: declare how to draw these inputs" in spec_text and "#   tokenize: text" in spec_text
    check = load_lab("91-todo").checks[0]
    assert oracle_inputs.spec_problems(check.params) == ["inputs still marked TODO: declare how to draw them"]
    assert yaml.safe_load(spec_text)["checks"][0]["params"]["args"][0].startswith("TODO text")


def test_grader_new_on_the_command_line(course):
    from click.testing import CliRunner

    from grader.cli import main

    (course / "reference").mkdir()
    (course / "grader" / "judging" / "numerics").mkdir(parents=True)
    (course / "grader" / "judging" / "numerics" / "rnn.py").write_text("")
    result = CliRunner().invoke(main, ["new", "90-tiny-numpy", "--from", str(NOTEBOOK)])
    assert result.exit_code == 0, result.output
    assert "check moving_average: oracle, 1 point (inputs declared)" in result.output
    bad = CliRunner().invoke(main, ["new", "tiny", "--from", str(NOTEBOOK)])
    assert bad.exit_code == 2 and "a lab id is two digits" in bad.output


def test_grader_new_adds_a_second_flavour_to_a_lab(course, tmp_path):
    import nbformat

    from grader.authoring.scaffold import new_lab
    from grader.course.labs import load_lab
    from grader.course.notebook import read_notebook

    new_lab("90-tiny-numpy", NOTEBOOK, "torch")
    nb = read_notebook(NOTEBOOK)
    nb.cells = [cell for cell in nb.cells if "def summary" not in cell.source]
    nb.cells.append(nbformat.v4.new_code_cell(
        "def clip(x, limit: float):\n    # BEGIN SOLUTION\n    return np.clip(x, -limit, limit)\n    # END SOLUTION"))
    nb.cells.append(nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nfrom pandas import DataFrame"))
    keras_reference = tmp_path / "keras_version.ipynb"
    nbformat.write(nb, keras_reference)
    made = new_lab("90-tiny-numpy", keras_reference, "keras")
    assert made.notes and "added the keras flavour" in made.notes[0]
    lab = load_lab("90-tiny-numpy")
    assert set(lab.flavours) == {"torch", "keras"}
    assert [c.id for c in lab.checks_for("torch")] == ["moving-average", "softmax", "count-params-dense", "summary"]
    assert [c.id for c in lab.checks_for("keras")] == ["moving-average", "softmax", "count-params-dense", "clip"]
    assert lab.checks[-1].params["args"] == [{"array": {"shape": [[2, 6], [2, 6]], "dtype": "float32"}},
                                             {"float": [-2.0, 2.0]}]
    assert lab.flavours["keras"].notebook.is_file() and lab.flavours["keras"].reference.is_file()
    assert lab.extras == ("pandas", "plots")  # what the new flavour's notebook imports: its students' install takes them
    with pytest.raises(Exception, match="exists already with a keras flavour"):
        new_lab("90-tiny-numpy", keras_reference, "keras")


def test_a_hint_the_spec_does_not_take_is_refused_before_anything_is_written(course, tmp_path):
    import nbformat

    from grader.authoring.scaffold import new_lab

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "def f(x):\n    # grader: {args: [{int: 3}], tolerance: 0.1}\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION"))
    path = tmp_path / "solved.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(Exception, match="tolerance"):
        new_lab("93-hint", path, "torch")
    assert not (course / "assignments" / "93-hint").exists() and not (course / "reference").exists()
