"""``grader gradescope LAB OUT.zip``: a Gradescope autograder, and what its ``run_autograder`` runs.

The zip holds, at its root, ``setup.sh`` (installs Python, bubblewrap and the grader), ``run_autograder``
and ``private/``: the lab's part of the private course (spec, public and hidden data). A Gradescope
autograder container is a trusted place, so the private course may be there; the student's code still
runs in the sandbox, and where the sandbox cannot start the autograder refuses to grade unless the zip
was built with ``allow_no_sandbox``.

``run_autograder`` calls ``python -m grader.gradescope_package --root /autograder --lab LAB``:
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
from importlib import resources
from pathlib import Path

from grader import __version__
from grader.errors import InputError
from grader.report import CheckResult, Report

CONFIG = "grader-gradescope.json"
_SKIP = {".git", ".venv", "__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


@dataclass(frozen=True)
class PackageOptions:
    requirement: str | None = None  # pip requirement of the grader (default: this version with the lab's extras)
    wheel: Path | None = None  # or a wheel of the grader, carried in the zip
    private_root: Path | None = None  # folder holding assignments/<lab>/ (default: the course in use)
    allow_no_sandbox: bool = False


def _template(name: str) -> str:
    return resources.files("grader").joinpath("templates", "gradescope", name).read_text(encoding="utf-8")


def _add_tree(archive: zipfile.ZipFile, source: Path, prefix: str) -> int:
    count = 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_file() and not (set(relative.parts) & _SKIP):
            archive.write(path, f"{prefix}/{relative.as_posix()}")
            count += 1
    return count


def _executable(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o100755 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def _default_private_root() -> Path | None:
    """``GRADER_PRIVATE``, or the checkout in use when it is a private course."""
    from grader import paths

    finder = getattr(paths, "private_root", None)
    return finder() if finder is not None else None


def build_package(lab_id: str, out: Path, options: PackageOptions | None = None) -> Path:
    """Write the autograder zip for ``lab_id`` to ``out``."""
    from grader.course import load_lab
    from grader.paths import course_root
    from grader.starter import fill

    options = options or PackageOptions()
    root = options.private_root or _default_private_root() or course_root()
    lab = load_lab(lab_id, root / "assignments")
    if options.wheel is not None and not options.wheel.is_file():
        raise InputError(f"--wheel {options.wheel}: no such file")
    extras = ",".join(sorted(lab.flavours))
    if options.wheel is not None:
        requirement = f"/autograder/source/{options.wheel.name}[{extras}]"
    else:
        requirement = options.requirement or f"rnn-course-grader[{extras}]=={__version__}"
    torch = "torch" in lab.flavours
    config = {"lab": lab.id, "allow_no_sandbox": options.allow_no_sandbox, "grader": requirement}
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _executable(archive, "setup.sh", fill(_template("setup.sh"), requirement=requirement,
                                              torch="1" if torch else ""))
        _executable(archive, "run_autograder", fill(_template("run_autograder"), lab=lab.id))
        archive.writestr(CONFIG, json.dumps(config, indent=2) + "\n")
        if _add_tree(archive, lab.root, f"private/assignments/{lab.id}") == 0:
            raise InputError(f"{lab.root} holds no files")
        # the rest of the private course the lab needs: its reference notebooks and the grader's numerics
        for reference in sorted((root / "reference").glob(f"*/{lab.id}.ipynb")):
            archive.write(reference, f"private/{reference.relative_to(root).as_posix()}")
        numerics = root / "grader" / "numerics"
        if numerics.is_dir():
            for module in sorted(numerics.glob("*.py")):
                archive.write(module, f"private/grader/numerics/{module.name}")
        if options.wheel is not None:
            archive.write(options.wheel, options.wheel.name)
    out.write_bytes(buffer.getvalue())
    return out


# -- inside the Gradescope container ---------------------------------------------------------------------

def _failure(lab: str, message: str) -> dict:
    from grader.formats import gradescope

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


def run_autograder(root: Path, lab_id: str, allow_no_sandbox: bool = False) -> dict:
    """Grade the submission under ``root`` and write ``root/results/results.json``; return what was written."""
    from grader import sandbox
    from grader.course import load_lab
    from grader.formats import gradescope
    from grader.grading import grade

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
        data = gradescope.to_dict(grade(notebook, lab=lab_id, use_sandbox=use_sandbox))
    except InputError as exc:
        data = _failure(lab_id, str(exc))
    except Exception as exc:  # noqa: BLE001 - Gradescope must always get a results.json
        data = _failure(lab_id, f"the grader failed: {type(exc).__name__}: {exc}")
    tmp = results.with_name(".results.json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(results)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.gradescope_package",
                                     description="Grade /autograder/submission into /autograder/results/results.json.")
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    parser.add_argument("--lab", required=True)
    args = parser.parse_args(argv)
    config_path = args.root / "source" / CONFIG
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    data = run_autograder(args.root, args.lab, bool(config.get("allow_no_sandbox")))
    print(f"{args.lab}: {data['score']:g} points, results in {args.root / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
