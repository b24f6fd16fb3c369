"""Every runtime dependency has a tested range: a lower bound that `.ci/floor` installs exactly, an upper bound,
and the README names the versions the suite runs on."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = PYPROJECT["dependencies"] + PYPROJECT["optional-dependencies"]["keras"] + \
    PYPROJECT["optional-dependencies"]["torch"]


def _floor_module():
    spec = importlib.util.spec_from_file_location("floor_pins", ROOT / ".ci" / "floor_pins.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("requirement", RUNTIME)
def test_every_runtime_range_is_closed(requirement):
    assert re.search(r">=\s*\d", requirement), f"{requirement}: no lower bound for the floor environment to test"
    assert re.search(r"<\s*\d", requirement), f"{requirement}: no upper bound (a fresh install would take untested releases)"


def test_floor_pins_are_the_lower_bounds():
    pins = _floor_module().floor_pins(ROOT / "pyproject.toml")
    assert pins["pandas"] == "2.2" and pins["numpy"] == "1.26.4" and pins["keras"] == "3.12"
    names = {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower().replace("_", "-") for r in RUNTIME}
    assert set(pins) == names


def test_floor_script_runs_the_tests_in_ci():
    assert "bash .ci/floor" in (ROOT / ".ci" / "run").read_text()
    floor = (ROOT / ".ci" / "floor").read_text()
    assert "floor_pins.py --verify" in floor and "pytest" in floor


def test_readme_states_the_tested_versions():
    readme = (ROOT / "docs" / "development.md").read_text()
    assert "docs/development.md" in (ROOT / "README.md").read_text()
    section = readme[readme.index("## Tested versions"):]
    for name in ("pandas", "NumPy", "Keras", "TensorFlow", "PyTorch"):
        assert name in section.split("\n## ")[0], f"the tested versions do not name {name}"
