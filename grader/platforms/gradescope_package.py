"""``grader gradescope LAB OUT.zip``: a Gradescope autograder, and what its ``run_autograder`` runs.

The zip holds, at its root, ``setup.sh`` (installs Python, bubblewrap and the grader), ``run_autograder``
and ``private/``: the lab's part of the private course (spec, public and hidden data). A Gradescope
autograder container is a trusted place, so the private course may be there; the student's code still
runs in the sandbox, and where the sandbox cannot start the autograder refuses to grade unless the zip
was built with ``allow_no_sandbox``.

``run_autograder`` calls ``python -m grader.platforms.gradescope_package --root /autograder --lab LAB``:
:func:`run_autograder` picks the submitted notebook in ``/autograder/submission``, grades it and always
writes ``/autograder/results/results.json`` (a submission that cannot be graded gets zero and the reason).
``AUTOGRADER_ROOT`` moves ``/autograder`` (for tests).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from grader.errors import InputError
from grader.reports.report import CheckResult, Report
from grader.version import __version__

CONFIG = "grader-gradescope.json"
# PyTorch's CPU index first, so that the grader's torch extra finds torch installed and pulls no CUDA build
TORCH_CPU_INSTALL = ('"$venv/bin/python" -m pip install --quiet --index-url https://download.pytorch.org/whl/cpu '
                     '"torch==2.13.0"\n')
_SKIP = {".git", ".venv", "__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


@dataclass(frozen=True)
class PackageOptions:
    requirement: str | None = None  # pip requirement of the grader (default: this version with the lab's extras)
    wheel: Path | None = None  # or a wheel of the grader, carried in the zip
    private_root: Path | None = None  # folder holding assignments/<lab>/ (default: the course in use)
    allow_no_sandbox: bool = False
    hidden_checks: str = "after_due_date"  # or "withhold": see grader.reports.formats.gradescope


def _template(name: str) -> str:
    return resources.files("grader.platforms").joinpath("templates", "gradescope", name).read_text(encoding="utf-8")


def _add_tree(archive: zipfile.ZipFile, source: Path, prefix: str) -> int:
    count = 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_file() and not (set(relative.parts) & _SKIP):
            _entry(archive, f"{prefix}/{relative.as_posix()}", path.read_bytes())
            count += 1
    return count


FILE_MODE = 0o100644  # a regular file, rw-r--r--
EXECUTABLE_MODE = 0o100755  # a regular file, rwxr-xr-x


def _entry(archive: zipfile.ZipFile, name: str, data: bytes | str, executable: bool = False) -> None:
    """One zip entry with a Unix mode of its own: never the writer's umask or the checkout's file modes."""
    info = zipfile.ZipInfo(name)  # dated 1980-01-01: the same course gives the same zip
    info.create_system = 3  # Unix, so that unzip applies external_attr
    info.external_attr = (EXECUTABLE_MODE if executable else FILE_MODE) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def _executable(archive: zipfile.ZipFile, name: str, text: str) -> None:
    _entry(archive, name, text, executable=True)


def _default_private_root() -> Path | None:
    """``GRADER_PRIVATE``, or the checkout in use when it is a private course."""
    from grader.course import paths

    finder = getattr(paths, "private_root", None)
    return finder() if finder is not None else None


def build_package(lab_id: str, out: Path, options: PackageOptions | None = None) -> Path:
    """Write the autograder zip for ``lab_id`` to ``out``."""
    from grader.course.labs import load_lab
    from grader.course.paths import course_root
    from grader.platforms.starter import fill

    options = options or PackageOptions()
    root = options.private_root or _default_private_root() or course_root()
    lab = load_lab(lab_id, root / "assignments")
    from grader.reports.formats.gradescope import HIDDEN_CHECKS

    if options.hidden_checks not in HIDDEN_CHECKS:
        raise InputError(f"hidden checks {options.hidden_checks!r}: choose {' or '.join(HIDDEN_CHECKS)}")
    if options.wheel is not None and not options.wheel.is_file():
        raise InputError(f"--wheel {options.wheel}: no such file")
    from grader.platforms.starter import lab_extras

    extras = ",".join([*sorted(lab.flavours), *lab_extras(lab)])  # the frameworks and what the lab imports
    if options.wheel is not None:
        requirement = f"/autograder/source/{options.wheel.name}[{extras}]"
    else:
        requirement = options.requirement or f"rnn-course-grader[{extras}]=={__version__}"
    torch = "torch" in lab.flavours
    config = {"lab": lab.id, "allow_no_sandbox": options.allow_no_sandbox, "grader": requirement,
              "hidden_checks": options.hidden_checks}
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _executable(archive, "setup.sh", fill(_template("setup.sh"), requirement=requirement,
                                              torch_install=TORCH_CPU_INSTALL if torch else ""))
        _executable(archive, "run_autograder", fill(_template("run_autograder"), lab=lab.id))
        _entry(archive, CONFIG, json.dumps(config, indent=2) + "\n")
        if _add_tree(archive, lab.root, f"private/assignments/{lab.id}") == 0:
            raise InputError(f"{lab.root} holds no files")
        # the rest of the private course the lab needs: its reference notebooks and the grader's numerics
        for reference in sorted((root / "reference").glob(f"*/{lab.id}.ipynb")):
            _entry(archive, f"private/{reference.relative_to(root).as_posix()}", reference.read_bytes())
        generator = root / "reference" / "oracle_inputs" / f"{lab.id}.py"  # inputs of the lab's oracle checks
        if generator.is_file():
            _entry(archive, f"private/{generator.relative_to(root).as_posix()}", generator.read_bytes())
        numerics = root / "grader" / "judging" / "numerics"
        if numerics.is_dir():
            for module in sorted(numerics.glob("*.py")):
                _entry(archive, f"private/grader/judging/numerics/{module.name}", module.read_bytes())
        if options.wheel is not None:
            _entry(archive, options.wheel.name, options.wheel.read_bytes())
    out.write_bytes(buffer.getvalue())
    return out


# -- inside the Gradescope container ---------------------------------------------------------------------

def _failure(lab: str, message: str) -> dict:
    from grader.reports.formats import gradescope

    report = Report(lab, "", "")
    report.checks = [CheckResult("submission", "the submission can be graded", 0.0, 0.0, "failed", message)]
    data = gradescope.to_dict(report)
    data["output"] = "Your submission could not be graded:\n\n" + gradescope.fenced(message)
    return data


def pick_notebook(submission: Path, lab) -> Path:
    """The lab's notebook among the submitted files: by its expected name, else the only notebook."""
    notebooks = sorted(p for p in submission.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    expected = {flavour.notebook.name for flavour in lab.flavours.values()}
    named = [p for p in notebooks if p.name in expected]
    if len(named) == 1:
        return named[0]
    if len(notebooks) == 1:
        return notebooks[0]
    if not notebooks:
        raise InputError(f"no notebook (.ipynb) was submitted; submit {' or '.join(sorted(expected))}")
    raise InputError(f"{len(notebooks)} notebooks were submitted ({', '.join(p.name for p in notebooks[:5])}); "
                     f"submit one, named {' or '.join(sorted(expected))}")


def due_date_passed(root: Path, now: datetime | None = None) -> bool | None:
    """Whether the assignment's last due date has passed, from Gradescope's ``submission_metadata.json``.

    The last due date is ``late_due_date`` where late submissions are allowed, else ``due_date``; it is
    compared with the time of this run (not the submission's), so that a regrade after it scores every
    check. ``None`` when the file or the date cannot be read.
    """
    try:
        metadata = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        assignment = metadata["assignment"]
        due = datetime.fromisoformat(assignment.get("late_due_date") or assignment["due_date"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    return (now or datetime.now(UTC)) >= due


def run_autograder(root: Path, lab_id: str, allow_no_sandbox: bool = False,
                   hidden_checks: str = "after_due_date") -> dict:
    """Grade the submission under ``root`` and write ``root/results/results.json``; return what was written.

    ``hidden_checks="withhold"`` leaves hidden checks' points out until the due date has passed (read from
    ``root/submission_metadata.json``; where it cannot be read every check is scored, hidden ones shown
    ``after_due_date``, which hides the total but never withholds a grade).
    """
    from grader.course.labs import load_lab
    from grader.judging.grading import grade
    from grader.kernel import sandbox
    from grader.reports.formats import gradescope

    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    try:
        lab = load_lab(lab_id)
        notebook = pick_notebook(root / "submission", lab)
        use_sandbox = None
        if not sandbox.available()[0] or sandbox.disabled_by_environment():
            if not allow_no_sandbox:
                raise InputError(f"the kernel sandbox cannot start in this container ({sandbox.available()[1]}); "
                                 "the autograder was built to refuse grading without it")
            use_sandbox = False
        report = grade(notebook, lab=lab_id, use_sandbox=use_sandbox)
        passed = due_date_passed(root) if hidden_checks == "withhold" else True
        data = gradescope.to_dict(report, withhold_hidden=passed is False)
        if passed is None:
            data["output"] += ("\n\nThe due date could not be read (submission_metadata.json): every check is "
                               "scored, hidden checks shown after the due date.")
    except InputError as exc:
        data = _failure(lab_id, str(exc))
    except Exception as exc:  # noqa: BLE001 - Gradescope must always get a results.json
        data = _failure(lab_id, f"the grader failed: {type(exc).__name__}: {exc}")
    tmp = results.with_name(".results.json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(results)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.platforms.gradescope_package",
                                     description="Grade /autograder/submission into /autograder/results/results.json.")
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    parser.add_argument("--lab", required=True)
    args = parser.parse_args(argv)
    config_path = args.root / "source" / CONFIG
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    data = run_autograder(args.root, args.lab, bool(config.get("allow_no_sandbox")),
                          config.get("hidden_checks", "after_due_date"))
    print(f"{args.lab}: {data['score']:g} points, results in {args.root / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
