"""Every runtime dependency has a tested range: a lower bound that `.ci/floor` installs exactly, an upper bound,
and the README names the versions the suite runs on."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

from grader.course.lab_extras import IMPORT_EXTRA as LAB_IMPORT_EXTRA
from grader.course.lab_extras import imported_modules, imports_in

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PYPROJECT["optional-dependencies"]
RUNTIME = PYPROJECT["dependencies"] + [r for name, reqs in EXTRAS.items() if name != "dev" for r in reqs]


def _name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower().replace("_", "-")


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
    names = {_name(r) for r in RUNTIME}
    assert set(pins) == names
    assert {"distributed", "scikit-learn", "torch", "tensorflow-cpu"} <= set(pins)  # the extras' floors too


def test_ci_installs_every_extra():
    """CI and the README's quick start install all of it: the frameworks, every lab's extras and the staff's."""
    wanted = sorted(name for name in EXTRAS if name != "dev")
    for path in (ROOT / ".ci" / "run", ROOT / ".ci" / "floor", ROOT / "README.md"):
        installs = re.findall(r'-e "\.\[([a-z,]+)\]"', path.read_text())
        assert installs, path
        for extras in installs:
            assert sorted(set(extras.split(",")) - {"dev"}) == wanted, (path.name, extras)


# -- a student's install: the core, one framework, the lab's extras; never the staff's ------------------------

STAFF_ONLY = {"distributed", "dask"}
HEAVY = {"pandas", "scikit-learn", "scipy", "matplotlib"}
# which extra installs a module: the frameworks', and the ones a lab may declare (grader.course.lab_extras)
IMPORT_EXTRA = {"torch": "torch", "keras": "keras", "tensorflow": "keras", **LAB_IMPORT_EXTRA}


def test_the_core_and_the_framework_extras_are_slim():
    core = {_name(r) for r in PYPROJECT["dependencies"]}
    assert not core & (STAFF_ONLY | HEAVY), core & (STAFF_ONLY | HEAVY)
    for framework in ("keras", "torch"):
        names = {_name(r) for r in EXTRAS[framework]}
        assert not names & (STAFF_ONLY | HEAVY), (framework, names)
    assert {_name(r) for r in EXTRAS["staff"]} == {"distributed", "matplotlib"}  # the class summary's charts


def _notebook_imports(path: Path) -> set[str]:
    from grader.course.notebook import read_notebook

    return imported_modules(read_notebook(path))


def _check_kind_imports(lab) -> set[str]:
    """The modules the lab's check kinds import in the grader's process (their module's source, read)."""
    import inspect

    from grader.judging.checks import registry

    found = set()
    for check in lab.checks:
        source = inspect.getsource(inspect.getmodule(type(registry.get(check.kind))))
        found |= imports_in(source)
    return found


def _undeclared(lab) -> dict[str, set[str]]:
    """Per flavour, the extras the lab's notebooks (student and reference) and check kinds import but a student's
    install of that lab would not take."""
    from grader.platforms.starter import student_extras

    checks = _check_kind_imports(lab)
    missing = {}
    for framework, flavour in lab.flavours.items():
        installed = set(student_extras(lab, framework))
        notebooks = [flavour.notebook]
        if flavour.reference is not None and flavour.reference.is_file():
            notebooks.append(flavour.reference)
        imports = set().union(*map(_notebook_imports, notebooks)) | checks
        needed = {IMPORT_EXTRA[m] for m in imports if m in IMPORT_EXTRA} - {"keras", "torch"} | {framework}
        missing[framework] = needed - installed
    return missing


def test_every_lab_declares_what_its_notebooks_and_checks_import():
    """Each lab's spec says which extras it takes (``extras``), and a student's install of it holds every module
    its notebooks and checks import."""
    from grader.course.labs import lab_ids, load_lab

    for lab_id in lab_ids():
        lab = load_lab(lab_id)
        assert lab.extras is not None, f"{lab_id}: its spec does not declare its extras (it would take them all)"
        assert set(lab.extras) <= set(EXTRAS) - {"keras", "torch", "dev", "staff"}
        assert _undeclared(lab) == {framework: set() for framework in lab.flavours}, lab_id


def test_a_lab_declaring_too_few_extras_is_caught():
    from dataclasses import replace

    from grader.course.labs import load_lab

    lab = replace(load_lab("02-tracing-vs-passfail"), extras=())
    assert _undeclared(lab) == {"keras": {"pandas", "sklearn", "plots"}, "torch": {"pandas", "sklearn", "plots"}}


def test_the_extras_a_lab_may_declare_are_pyprojects_and_the_schemas():
    from grader.course import lab_extras
    from grader.course.schemas import load as load_schema

    declarable = set(EXTRAS) - {"keras", "torch", "dev", "staff"}
    assert set(lab_extras.LAB_EXTRAS) == declarable
    enum = load_schema("assignment.schema.json")["properties"]["extras"]["items"]["enum"]
    assert set(enum) == declarable
    assert set(lab_extras.IMPORT_EXTRA.values()) == declarable


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
