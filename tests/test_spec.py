"""The assignment spec: the committed labs load, and broken specs give every problem at once."""

from __future__ import annotations

import copy

import pytest
import yaml

from grader.course.labs import lab_ids, list_labs, load_lab
from grader.course.spec import parse_lab, read_lab
from grader.errors import InputError, SpecError
from grader.judging.checks import registry


def _lab01_data(root):
    return yaml.safe_load((root / "assignments" / "01-rnn-cells" / "assignment.yaml").read_text())


def test_every_committed_lab_loads():
    labs = list_labs()
    assert "01-rnn-cells" in [lab.id for lab in labs]
    for lab in labs:
        assert set(lab.flavours) == {"keras", "torch"}
        for name, flavour in lab.flavours.items():
            assert flavour.reference.is_file(), flavour.reference
            assert lab.max_score(name) > 0


def test_lab01_matches_the_contract():
    lab = load_lab("01-rnn-cells")
    assert lab.api == ("rnn_step", "lstm_step", "gru_step", "run_sequence", "to_builtin", "count_params")
    assert lab.limits.cell_timeout > 0 and lab.limits.notebook_timeout >= lab.limits.cell_timeout
    kinds = {check.kind for check in lab.checks}
    assert kinds <= set(registry.names())
    assert lab.max_score("keras") == lab.max_score("torch")


def test_unknown_lab_is_an_input_error():
    with pytest.raises(InputError, match="unknown lab 'no-such-lab'"):
        load_lab("no-such-lab")
    assert "no-such-lab" not in lab_ids()


def test_schema_errors_are_all_listed(root, tmp_path):
    data = _lab01_data(root)
    broken = copy.deepcopy(data)
    del broken["title"]
    broken["checks"][0]["points"] = -1
    broken["checks"][1]["visibility"] = "secret"
    folder = tmp_path / "01-rnn-cells"
    folder.mkdir()
    with pytest.raises(SpecError) as info:
        parse_lab(broken, folder)
    text = str(info.value)
    assert "'title' is a required property" in text
    assert "checks/0/points" in text
    assert "checks/1/visibility" in text


def test_duplicate_ids_unknown_kinds_and_folder_name(root, tmp_path):
    data = _lab01_data(root)
    data["checks"][1]["id"] = data["checks"][0]["id"]
    data["checks"][2]["kind"] = "no_such_kind"
    folder = tmp_path / "other-name"
    folder.mkdir()
    with pytest.raises(SpecError) as info:
        parse_lab(data, folder)
    text = str(info.value)
    assert "duplicate ids" in text and data["checks"][0]["id"] in text
    assert "no check kind named 'no_such_kind'" in text
    assert "differs from its folder name" in text


def test_unreadable_yaml(tmp_path):
    folder = tmp_path / "lab"
    folder.mkdir()
    with pytest.raises(SpecError, match="file not found"):
        read_lab(folder)
    (folder / "assignment.yaml").write_text("checks: [unclosed")
    with pytest.raises(SpecError, match="not valid YAML"):
        read_lab(folder)
    (folder / "assignment.yaml").write_text("- a list\n")
    with pytest.raises(SpecError, match="must be a mapping"):
        read_lab(folder)


def test_the_schema_names_every_registered_check_kind_and_no_other():
    """The spec language (the schema, read by editors and by grader.course) and the judging registry agree."""
    from grader.course.spec import check_kinds

    assert check_kinds() == registry.names()
