"""Each lab's README and the benchmark notes say what the specs say; the README says what an install downloads."""

from __future__ import annotations

import re

import pytest

from grader.course.labs import lab_ids, load_lab


def _max_score(lab, framework):
    return sum(check.points for check in lab.checks_for(framework))


@pytest.mark.parametrize("lab_id", lab_ids())
def test_every_lab_has_its_readme(lab_id):
    """The README says every lab has one (labs 01 and 04 had none)."""
    lab = load_lab(lab_id)
    readme = lab.root / "README.md"
    assert readme.is_file(), f"{readme} is missing"
    assert readme.read_text(encoding="utf-8").startswith(f"# Lab {lab_id[:2]} ")


def _checks_table(text):
    section = text.split("\n## Checks\n", 1)[1].split("\n## ", 1)[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.startswith("|")]
    return (rows[0], rows[2:]) if rows else ([], [])


@pytest.mark.parametrize("lab_id", lab_ids())
def test_a_readmes_checks_and_points_are_the_specs(lab_id):
    lab = load_lab(lab_id)
    text = (lab.root / "README.md").read_text(encoding="utf-8")
    if "\n## Checks\n" not in text or "points" not in _checks_table(text)[0]:
        pytest.skip("no table of points in this lab's README")
    header, body = _checks_table(text)
    points_at = header.index("points")
    flavour_at = header.index("flavour") if "flavour" in header else None
    listed = {}
    for row in body:
        check_id = row[0].strip("`")
        flavours = {"both": tuple(lab.flavours), "Keras": ("keras",), "PyTorch": ("torch",)}[row[flavour_at]] \
            if flavour_at is not None else tuple(lab.flavours)
        for framework in flavours:
            listed[(framework, check_id)] = float(row[points_at])
    in_spec = {(framework, check.id): check.points for framework in lab.flavours for check in lab.checks_for(framework)}
    assert listed == in_spec
    for framework in lab.flavours:
        assert f"{_max_score(lab, framework):g} points in each flavour" in text
    for function in lab.api:
        assert f"`{function}(" in text, function
    for check in (c for framework in lab.flavours for c in lab.checks_for(framework) if c.visibility == "hidden"):
        assert re.search(rf"`{check.id}` \|[^\n]*\*\*hidden\*\*", text), check.id


def test_timing_table_scores_are_the_labs_or_say_when_they_were_measured(root):
    """Lab 02 is out of 24; the table measured it out of 23 and must say so, not pass it off as today's."""
    text = (root / "benchmarks" / "results" / "time_notebooks.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d\d-[\w-]+) \| (keras|torch) \|.*\| (\d+)/(\d+) \|$", text, re.M)
    assert len(rows) >= 8
    for lab_id, framework, _, maximum in rows:
        now = _max_score(load_lab(lab_id), framework)
        if float(maximum) != now:
            assert f"Lab {lab_id[:2]} had {maximum} points when its rows were measured" in text, (lab_id, maximum)
            assert f"now has {now:g} points" in text


def test_the_readme_says_what_installing_torch_downloads(root):
    text = (root / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "satisfied by the CPU build" not in quick  # what a plain `pip install torch` from PyPI is not, on Linux
    assert "**CUDA build**" in quick and "nvidia-" in quick
    assert 'pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"' in quick
