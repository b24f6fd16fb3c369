"""Assignment specs: ``assignments/<lab>/assignment.yaml`` read, validated and typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.course import schemas
from grader.course.paths import course_root, private_root
from grader.errors import SpecError

FRAMEWORKS = ("keras", "torch")
SCHEMA = "assignment.schema.json"


@dataclass(frozen=True)
class Limits:
    cell_timeout: float
    notebook_timeout: float
    probe_timeout: float = 60.0
    memory_mb: int | None = None
    threads: int = 2


@dataclass(frozen=True)
class Flavour:
    framework: str
    notebook: Path
    reference: Path
    grading_seconds: float | None = None  # the reference's grading time: grader batch starts the slowest first


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    kind: str
    points: float
    visibility: str = "public"
    flavours: tuple[str, ...] = FRAMEWORKS
    params: dict[str, Any] = field(default_factory=dict)
    calibration: str | None = None


@dataclass(frozen=True)
class Lab:
    id: str
    title: str
    root: Path
    flavours: dict[str, Flavour]
    limits: Limits
    checks: tuple[CheckSpec, ...]
    api: tuple[str, ...] = ()
    description: str = ""
    # hidden file name -> {"from": public file, "first" | "last": rows}: public data laid out like hidden/
    public_standin: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the grader's extras the lab imports beyond the core and the framework (None: the spec does not say: all)
    extras: tuple[str, ...] | None = None

    @property
    def public_dir(self) -> Path:
        return self.root / "public"

    @property
    def hidden_dir(self) -> Path:
        """The lab's hidden data, in the private course (absent from a public install)."""
        private = private_root()
        return private / "assignments" / self.root.name / "hidden" if private else self.root / "hidden"

    def checks_for(self, framework: str) -> list[CheckSpec]:
        return [check for check in self.checks if framework in check.flavours]

    def max_score(self, framework: str) -> float:
        return sum(check.points for check in self.checks_for(framework))


def check_kinds() -> list[str]:
    """The check kinds a spec may name: the schema lists them (and a test holds the list to the registry)."""
    return list(schemas.load(SCHEMA)["$defs"]["check"]["properties"]["kind"]["enum"])


def _reword(error: Any) -> str | None:
    path = list(error.absolute_path)
    if error.validator == "enum" and len(path) == 3 and path[0] == "checks" and path[2] == "kind":
        return None  # named by kind_problems, with the check's id and the kinds there are
    return error.message


def schema_problems(data: Any) -> list[str]:
    """Every place where ``data`` breaks the schema, except check kinds (see :func:`kind_problems`)."""
    return schemas.problems(SCHEMA, data, _reword)


def kind_problems(data: Any) -> list[str]:
    """The checks that name no known check kind."""
    checks = data.get("checks") if isinstance(data, dict) else None
    known = check_kinds()
    return [f"checks/{check.get('id', '?')}: no check kind named {check['kind']!r} (known: {', '.join(known)})"
            for check in checks or [] if isinstance(check, dict) and isinstance(check.get("kind"), str)
            and check["kind"] not in known]


def validate_data(data: Any, path: str) -> None:
    """Raise :class:`SpecError` listing every place where ``data`` breaks the schema."""
    problems = schema_problems(data) + kind_problems(data)
    if problems:
        raise SpecError(path, problems)


def parse_lab(data: dict[str, Any], lab_dir: Path) -> Lab:
    """Build a :class:`Lab` from already parsed YAML, checking what the schema cannot."""
    path = str(lab_dir / "assignment.yaml")
    problems = schema_problems(data)
    if problems:
        raise SpecError(path, problems)
    problems = kind_problems(data)
    if data["lab"] != lab_dir.name:
        problems.append(f"lab: {data['lab']!r} differs from its folder name {lab_dir.name!r}")
    for flavour in data["flavours"]:
        ids = [check["id"] for check in data["checks"] if flavour in check.get("flavours", FRAMEWORKS)]
        duplicates = sorted({check_id for check_id in ids if ids.count(check_id) > 1})
        if duplicates:
            problems.append(f"checks: duplicate ids in the {flavour} flavour: {', '.join(duplicates)}")
    if problems:
        raise SpecError(path, problems)

    root = private_root() or course_root()  # reference notebooks are private
    flavours = {
        name: Flavour(name, lab_dir / entry["notebook"], root / entry["reference"], entry.get("grading_seconds"))
        for name, entry in data["flavours"].items()
    }
    checks = tuple(
        CheckSpec(
            id=check["id"],
            title=check["title"],
            kind=check["kind"],
            points=float(check["points"]),
            visibility=check.get("visibility", "public"),
            flavours=tuple(f for f in check.get("flavours", FRAMEWORKS) if f in flavours),
            params=dict(check.get("params", {})),
            calibration=check.get("calibration"),
        )
        for check in data["checks"]
    )
    return Lab(
        id=data["lab"],
        title=data["title"],
        root=lab_dir,
        flavours=flavours,
        limits=Limits(**data["limits"]),
        checks=checks,
        api=tuple(data.get("api", ())),
        description=data.get("description", ""),
        public_standin=dict(data.get("public_standin", {})),
        extras=tuple(data["extras"]) if "extras" in data else None,
    )


def read_lab(lab_dir: Path) -> Lab:
    path = lab_dir / "assignment.yaml"
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise SpecError(str(path), ["file not found"]) from None
    except yaml.YAMLError as exc:
        raise SpecError(str(path), [f"not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise SpecError(str(path), ["the spec must be a mapping"])
    return parse_lab(data, lab_dir)
