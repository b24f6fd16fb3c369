"""The wheel students install is the public course: no private byte inside, and alone it still grades."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRIVATE_FOLDERS = ("reference", "tests/wrong_solutions", "grader/judging/numerics")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (built,) = out.glob("rnn_course_grader-*.whl")
    return built


def _private_files() -> list[Path]:
    files = [p for folder in PRIVATE_FOLDERS for p in (ROOT / folder).rglob("*") if p.is_file()]
    files = [p for p in files if p != ROOT / "grader" / "judging" / "numerics" / "__init__.py" and "__pycache__" not in p.parts]
    files += [p for p in (ROOT / "assignments").glob("*/hidden/*") if p.is_file()]
    files += list((ROOT / "assignments").glob("*/generate_data.py")) + list((ROOT / "assignments").glob("*/prepare_data.py"))
    return files


def _statement_lines(source: str) -> list[str]:
    lines = [line.strip() for line in source.splitlines()]
    return [line for line in lines if len(line) > 30 and not line.startswith(("def ", "class ", "#", '"', "import ",
                                                                              "from ", "return ", "raise "))]


def _private_lines(private: list[Path]) -> list[tuple[Path, str]]:
    found = []
    for path in private:
        if path.suffix == ".py":
            found += [(path, line) for line in _statement_lines(path.read_text())]
        elif path.suffix == ".ipynb":
            for cell in json.loads(path.read_text())["cells"]:
                source = "".join(cell["source"])
                for block in source.split("# BEGIN SOLUTION")[1:]:
                    found += [(path, line) for line in _statement_lines(block.split("# END SOLUTION")[0])]
    assert len(found) > 200
    return found


def _public_sources() -> list[Path]:
    engine = [p for p in (ROOT / "grader").rglob("*.py") if "numerics" not in p.parts or p.name == "__init__.py"]
    docs = sorted((ROOT / "assignments").glob("*/README.md")) + sorted((ROOT / "assignments").glob("*/public/README.md"))
    return engine + docs + sorted((ROOT / "assignments").glob("*/*.ipynb"))


def test_the_wheel_holds_no_private_file(wheel):
    private = _private_files()
    assert len(private) > 50  # reference notebooks, hidden data, wrong solutions, numerics
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        contents = {name: archive.read(name) for name in names}
    assert not [n for n in names if "/hidden/" in n or "reference/" in n or "wrong_solutions" in n]
    assert [n for n in names if n.startswith("grader/judging/numerics/")] == ["grader/judging/numerics/__init__.py"]
    digests = {hashlib.sha256(data).hexdigest() for data in contents.values()}
    leaked = [str(p.relative_to(ROOT)) for p in private if hashlib.sha256(p.read_bytes()).hexdigest() in digests]
    assert not leaked
    # no private source text inside any file either: a line of the grader's numerics, of a reference's
    # solution, or of a wrong solution's body (the stubs' signatures are public and are not looked for)
    text = b"\n".join(contents.values())
    public = b"\n".join(p.read_bytes() for p in _public_sources())
    for path, line in _private_lines(private):
        if line.encode() not in public:  # a line the public engine also has (framework idiom) is no leak
            assert line.encode() not in text, f"{path.relative_to(ROOT)}: {line}"
    # what a public install needs is there: every lab's spec, public data, student notebooks and recordings
    for lab in sorted(p.parent.name for p in (ROOT / "assignments").glob("*/assignment.yaml")):
        prefix = f"grader/_course/assignments/{lab}/"
        assert f"{prefix}assignment.yaml" in names
        assert any(n.startswith(f"{prefix}recorded/") for n in names), f"{lab} has no recordings"
        assert any(n.startswith(prefix) and n.endswith(".ipynb") for n in names)


def _public_install(wheel: Path, where: Path) -> dict[str, str]:
    """The wheel unpacked as site-packages would hold it, first on the path, with no private course."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(where)
    env = {k: v for k, v in os.environ.items() if k not in ("GRADER_PRIVATE", "GRADER_PUBLIC_ONLY")}
    env["PYTHONPATH"] = str(where)
    return env


def test_the_public_wheel_has_no_numerics(wheel, tmp_path):
    env = _public_install(wheel, tmp_path / "site")
    code = ("import grader, grader.course.paths, grader.judging.numerics as n; print(grader.__file__); "
            "print(grader.course.paths.private_root()); print(type(n.rnn).__name__)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=tmp_path).stdout.split()
    assert out[0].startswith(str(tmp_path / "site"))
    assert out[1:] == ["None", "Replayer"]
    control = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             cwd=tmp_path).stdout.split()
    assert control[1:] == [str(ROOT), "module"]  # the checkout is its own private course


# A student's install of lab 01 (core + framework): none of the staff's packages nor the other labs' extras.
# The grader runs with them made unimportable, as in an environment that never installed them.
NOT_IN_A_STUDENT_INSTALL = ("dask", "distributed", "pandas", "sklearn", "scipy", "matplotlib")
WITHOUT = f"""
import sys
class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {NOT_IN_A_STUDENT_INSTALL!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, _NotInstalled())
from grader.cli import main
sys.argv[0] = "grader"
main()
"""


def _requires(wheel: Path) -> dict[str | None, set[str]]:
    """The wheel's Requires-Dist, by extra (None: the core)."""
    import re

    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    found: dict[str | None, set[str]] = {}
    for line in metadata.splitlines():
        if line.startswith("Requires-Dist: "):
            extra = re.search(r"extra == ['\"]([\w-]+)['\"]", line)
            name = re.match(r"[A-Za-z0-9_.-]+", line.removeprefix("Requires-Dist: ")).group(0).lower()
            found.setdefault(extra.group(1) if extra else None, set()).add(name)
    return found


def test_the_wheel_asks_a_student_only_for_the_core_and_their_extras(wheel):
    requires = _requires(wheel)
    staff_or_heavy = {"distributed", "dask", "pandas", "scikit-learn", "scipy", "matplotlib"}
    assert "numpy" in requires[None] and not requires[None] & staff_or_heavy
    assert requires["torch"] == {"torch"} and requires["keras"] == {"tensorflow-cpu", "keras"}
    assert requires["staff"] == {"distributed", "matplotlib"} and requires["plots"] == {"matplotlib"}
    assert requires["pandas"] == {"pandas"} and requires["sklearn"] == {"scikit-learn"}


def test_grader_batch_without_the_staff_extra_says_how_to_install_it(wheel, tmp_path):
    env = _public_install(wheel, tmp_path / "site")
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(ROOT / "tests" / "submissions" / "01-rnn-cells-torch-sample.ipynb", submissions)
    run = subprocess.run([sys.executable, "-c", WITHOUT, "batch", str(submissions), "--lab", "01-rnn-cells", "--out",
                          str(tmp_path / "out")], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.strip().splitlines()[-1] == (
        "error: grader batch needs the staff extra: pip install 'rnn-course-grader[staff]' "
        "(or grade one at a time with --sequential)")
    assert "Traceback" not in run.stderr and "ModuleNotFoundError" not in run.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


@pytest.mark.slow
def test_the_public_wheel_alone_grades_the_public_checks(wheel, tmp_path):
    """A student's install of lab 01 (no staff extra, no pandas, no scikit-learn) runs `grader --public check`."""
    env = _public_install(wheel, tmp_path / "site")
    sample = ROOT / "tests" / "submissions" / "01-rnn-cells-torch-sample.ipynb"
    report_path = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-c", WITHOUT, "--public", "check", str(sample), "--seed", "3", "--quiet",
                          "--format", "json", "--output", str(report_path),
                          "--format", "html", "--output", str(tmp_path / "report.html")],
                         env=env, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert run.returncode == 1, run.stderr  # the sample's classic bug is found without the private course
    page = (tmp_path / "report.html").read_text()  # without matplotlib (the plots extra): the page says so
    assert "lstm-step" in page and "needs matplotlib" in page and "data:image/png" not in page
    report = json.loads(report_path.read_text())
    status = {c["id"]: c["status"] for c in report["checks"]}
    assert report["course"] == "public"
    assert status["rnn-step"] == status["gru-step"] == status["run-sequence-rnn"] == "passed"
    assert status["lstm-step"] == "failed"  # c_prev forgotten: the recorded expectations catch it
    assert "c_t: max abs error" in next(c["message"] for c in report["checks"] if c["id"] == "lstm-step")
    assert status["to-builtin-rnn"] == "skipped"  # its judgement recomputes the student's layer: private
    preview = next(c for c in report["checks"] if c["id"] == "count-params")
    assert preview["status"] == "skipped" and preview["message"].startswith("preview on public data")
    assert report["score"] < report["max_score"]
    assert next(c for c in report["checks"] if c["id"] == "to-builtin-rnn")["message"].startswith(
        "awaits the graded run: ")  # why, in a student's words (the run's lines say which, once)
