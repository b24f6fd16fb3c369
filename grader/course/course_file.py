"""The course file (``course.yaml``): the organisation, each lab's flavour and deadline, the late policy,
per-student extensions and which submission counts; read, validated against ``course.schema.json`` and typed.

Example::

    organisation: rnn-course-2026
    roster: roster.csv                  # grader roster import writes it
    counts: last                        # the last push before the cut-off (or: best)
    late_policy: {grace_minutes: 15, penalty_percent: 10, per: day, cap_percent: 50}
    labs:
      - id: 01-rnn-cells
        flavour: keras
        prefix: lab1                    # repositories lab1-<login or team>
        deadline: 2026-11-30T23:59[Europe/Berlin]
        last_accepted: 2026-12-07T23:59[Europe/Berlin]
    extensions:
      - {student: carol, lab: 01-rnn-cells, days: 2, reason: medical}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from grader.course import schemas
from grader.course.late_policy import LatePolicy, Window, extend, parse_time, utc_stamp, window
from grader.errors import InputError


class CourseFileError(InputError):
    """The course file is missing, not YAML, or breaks the schema; ``problems`` lists every place."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"invalid course file {path}: {'; '.join(problems)}")


@dataclass(frozen=True)
class Extension:
    student: str
    lab: str | None
    days: float = 0
    hours: float = 0
    until: datetime | None = None
    reason: str = ""

    def describe(self) -> str:
        if self.until is not None:
            moved = f"extended to {utc_stamp(self.until)}"
        else:
            amounts = [f"{v:g} {unit}{'s' * (v != 1)}" for v, unit in ((self.days, "day"), (self.hours, "hour")) if v]
            moved = f"extended by {' and '.join(amounts)}"
        return moved + (f": {self.reason}" if self.reason else "")


@dataclass(frozen=True)
class CourseLab:
    id: str
    flavour: str
    prefix: str
    deadline: datetime
    policy: LatePolicy
    counts: str = "last"
    last_accepted: datetime | None = None


@dataclass
class Course:
    path: Path
    organisation: str
    labs: dict[str, CourseLab]
    extensions: list[Extension] = field(default_factory=list)
    roster: Path | None = None

    def lab(self, lab_id: str) -> CourseLab:
        if lab_id not in self.labs:
            raise InputError(f"{self.path}: no lab {lab_id!r} (the course has {', '.join(self.labs)})")
        return self.labs[lab_id]

    def lab_by_prefix(self, prefix: str) -> CourseLab:
        for lab in self.labs.values():
            if lab.prefix == prefix:
                return lab
        raise InputError(f"{self.path}: no lab with the prefix {prefix!r}")

    def extension_for(self, lab_id: str, names: list[str]) -> Extension | None:
        """The extension of the student known by any of ``names`` (identifier, login; case-insensitive)."""
        wanted = {name.lower() for name in names if name}
        found = [e for e in self.extensions if e.student.lower() in wanted and e.lab in (None, lab_id)]
        # one for this lab beats one for every lab
        found.sort(key=lambda e: e.lab is None)
        return found[0] if found else None

    def window(self, lab_id: str, names: list[str]) -> Window:
        """The deadline and cut-off of the student known by ``names`` (a team: every member's names)."""
        lab = self.lab(lab_id)
        extended, what = None, []
        for name in names or [""]:
            ext = self.extension_for(lab_id, [name])
            if ext is None:
                continue
            moved = ext.until if ext.until is not None else extend(lab.deadline, ext.days, ext.hours)
            if extended is None or moved > extended:  # a team takes its latest member's extension
                extended, what = moved, [ext.describe()]
        return window(lab.deadline, lab.policy, lab.last_accepted, extended, "; ".join(what))


def _reword(error: Any) -> str:
    if error.validator == "oneOf" and "extensions" in error.absolute_path:
        return "give either until, or days and/or hours"
    return error.message


def _schema_problems(data: Any) -> list[str]:
    return schemas.problems("course.schema.json", data, _reword)


def _as_text(data: Any) -> Any:
    """YAML reads an unquoted ``2026-11-30T23:59:00+01:00`` as a datetime: back to its ISO text, zone or not."""
    if isinstance(data, dict):
        return {key: _as_text(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_as_text(value) for value in data]
    if isinstance(data, date):
        return data.isoformat()
    return data


def parse_course(data: Any, path: Path, known_labs: list[str] | None = None) -> Course:
    """A :class:`Course` from parsed YAML; every problem found is listed in one :class:`CourseFileError`."""
    shown = str(path)
    data = _as_text(data)
    if not isinstance(data, dict):
        raise CourseFileError(shown, ["the course file must be a mapping (organisation:, labs:, ...)"])
    problems = _schema_problems(data)
    if problems:
        raise CourseFileError(shown, problems)

    def when(text: str, where: str) -> datetime | None:
        try:
            return parse_time(text, where)
        except InputError as exc:
            problems.append(str(exc))
            return None

    default_policy = data.get("late_policy", {})
    labs: dict[str, CourseLab] = {}
    prefixes: dict[str, str] = {}
    for index, entry in enumerate(data["labs"]):
        where = f"labs/{index}"
        if entry["id"] in labs:
            problems.append(f"{where}/id: {entry['id']} appears twice")
        if known_labs is not None and entry["id"] not in known_labs:
            problems.append(f"{where}/id: no lab {entry['id']!r} (known: {', '.join(known_labs) or 'none'})")
        prefix = entry.get("prefix", entry["id"])
        if prefix.lower() in prefixes:
            problems.append(f"{where}/prefix: {prefix!r} is also {prefixes[prefix.lower()]}'s")
        prefixes[prefix.lower()] = entry["id"]
        deadline = when(entry["deadline"], f"{where}/deadline:")
        last = when(entry["last_accepted"], f"{where}/last_accepted:") if "last_accepted" in entry else None
        if deadline is not None and last is not None and last < deadline:
            problems.append(f"{where}/last_accepted: {entry['last_accepted']} is before the deadline")
        policy = LatePolicy(**{**default_policy, **entry.get("late_policy", {})})
        if deadline is not None:
            labs[entry["id"]] = CourseLab(entry["id"], entry["flavour"], prefix, deadline, policy,
                                          entry.get("counts", data.get("counts", "last")), last)
    extensions = []
    for index, entry in enumerate(data.get("extensions", [])):
        where = f"extensions/{index}"
        if entry.get("lab") is not None and entry["lab"] not in labs:
            problems.append(f"{where}/lab: {entry['lab']!r} is not a lab of this course")
        until = when(entry["until"], f"{where}/until:") if "until" in entry else None
        extensions.append(Extension(entry["student"], entry.get("lab"), entry.get("days", 0), entry.get("hours", 0),
                                    until, entry.get("reason", "")))
    keys = [(e.student.lower(), e.lab) for e in extensions]
    for key in sorted({k for k in keys if keys.count(k) > 1}, key=str):
        problems.append(f"extensions: {key[0]} has two extensions for {key[1] or 'every lab'}")
    if problems:
        raise CourseFileError(shown, problems)
    roster = (path.parent / data["roster"]) if data.get("roster") else None
    return Course(path, data["organisation"], labs, extensions, roster)


def read_course(path: Path, known_labs: list[str] | None = None) -> Course:
    """Read and validate ``course.yaml`` (``known_labs``: the lab ids a lab entry may name)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseFileError(str(path), ["file not found"]) from None
    except OSError as exc:
        raise CourseFileError(str(path), [f"cannot read it: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:
        raise CourseFileError(str(path), [f"not valid YAML: {exc}".replace("\n", " ")]) from None
    return parse_course(data, path, known_labs)
