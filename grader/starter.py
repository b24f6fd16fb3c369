"""``grader starter``: the template repository an instructor pushes for GitHub Classroom.

It holds the student notebook, the lab's public data, a README for students and the autograding
workflow. Hidden test data never goes there: the workflow installs the grader, hidden data included,
from the course's private repository with a token secret.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from grader import frameworks
from grader.errors import InputError
from grader.release import build_release
from grader.spec import Lab

EXTRAS = {"keras": "keras", "torch": "torch"}


@dataclass(frozen=True)
class StarterOptions:
    grader_repo: str = "your-org/rnn-course-grader"
    grader_ref: str = "main"
    token_secret: str = "GRADER_REPO_TOKEN"


def _template(name: str) -> str:
    return resources.files("grader").joinpath("templates", name).read_text(encoding="utf-8")


def workflow(lab: Lab, framework: str, options: StarterOptions) -> str:
    notebook = lab.flavours[framework].notebook.name
    minutes = int(lab.limits.notebook_timeout // 60) + 15
    return _template("classroom.yml").format(
        timeout_minutes=minutes, token_secret=options.token_secret, extra=EXTRAS[framework],
        grader_repo=options.grader_repo, grader_ref=options.grader_ref, notebook=notebook, lab=lab.id,
        framework=framework, executed=notebook.replace(".ipynb", "-executed.ipynb"),
    )


def student_readme(lab: Lab, framework: str) -> str:
    rows = "\n".join(f"| {check.title} | {check.points:g} |" for check in lab.checks_for(framework))
    return _template("student_readme.md").format(
        title=lab.title, framework_title=frameworks.get(framework).title, notebook=lab.flavours[framework].notebook.name,
        cell_timeout=lab.limits.cell_timeout, notebook_timeout=lab.limits.notebook_timeout,
        api=", ".join(f"`{name}`" for name in lab.api) or "the notebook's functions", extra=EXTRAS[framework],
        check_rows=rows,
    )


def write_starter(lab: Lab, framework: str, directory: Path, options: StarterOptions | None = None) -> list[Path]:
    """Write the template repository into ``directory`` (created; must be empty if it exists)."""
    options = options or StarterOptions()
    if framework not in lab.flavours:
        raise InputError(f"lab {lab.id} has no {framework!r} flavour (it has: {', '.join(lab.flavours)})")
    if directory.exists() and any(directory.iterdir()):
        raise InputError(f"{directory} is not empty; give a new or empty directory")
    release = next(r for r in build_release(lab) if r.framework == framework)
    directory.mkdir(parents=True, exist_ok=True)
    written = []

    def put(relative: str, text: str) -> None:
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    put(lab.flavours[framework].notebook.name, release.text)
    put("README.md", student_readme(lab, framework))
    put(".github/workflows/classroom.yml", workflow(lab, framework, options))
    put(".gitignore", ".venv/\n.ipynb_checkpoints/\n__pycache__/\ngrading/\n")
    if lab.public_dir.is_dir():
        for item in sorted(lab.public_dir.iterdir()):
            if item.is_file():
                target = directory / ("DATA.md" if item.name == "README.md" else item.name)
                shutil.copy2(item, target)
                written.append(target)
    return written
