"""Hatch build hook: the wheel carries the public course only.

The engine comes from ``grader/`` (less ``grader/judging/numerics/``, see pyproject.toml); of every lab it carries the
spec, the README, the student notebooks, ``public/`` and the ``recorded/`` expectations, as
``grader/_course/assignments/<lab>/...``. Hidden data, reference notebooks, wrong solutions, data generators
and the grader's numerics are the private course and are never listed here.
"""

from __future__ import annotations

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PUBLIC_FOLDERS = ("public", "recorded")
PUBLIC_FILES = ("assignment.yaml", "README.md")


def public_course_files(root: Path) -> dict[str, str]:
    """Source path -> path inside the wheel, for every public file of every lab."""
    mapping = {}
    for lab in sorted((root / "assignments").iterdir()):
        if not (lab / "assignment.yaml").is_file():
            continue
        files = [lab / name for name in PUBLIC_FILES if (lab / name).is_file()]
        files += sorted(lab.glob("*.ipynb"))
        for folder in PUBLIC_FOLDERS:
            files += sorted(p for p in (lab / folder).rglob("*") if p.is_file())
        for path in files:
            mapping[str(path)] = f"grader/_course/assignments/{lab.name}/{path.relative_to(lab).as_posix()}"
    return mapping


class PublicCourseHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        # an editable install grades from the checkout itself (its own private course): nothing to copy
        if self.target_name == "wheel" and version != "editable":
            build_data["force_include"].update(public_course_files(Path(self.root)))
