"""The course roster: one CSV (identifier, GitHub username, name, email, section, team), read and checked,
and imported from the retired GitHub Classroom's roster export or from a Canvas gradebook export.

The roster's columns are a superset of a Classroom roster's (``identifier``, ``github_username``), so
``grader batch --roster`` and ``grader collect --roster`` read it as they read a Classroom export.

Problems are listed all at once (:class:`RosterError`): a duplicate identifier or GitHub username, a
missing name, a GitHub username that is not a GitHub login or that GitHub does not know
(``GET /users/{username}``, with ``check_logins``), a GitHub-username mapping row naming a student the
export does not have. A student with no GitHub username yet is kept (``grader provision`` skips them and
says so).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from grader.errors import InputError

COLUMNS = ("identifier", "github_username", "name", "email", "section", "team")
CLASSROOM_COLUMNS = ("identifier", "github_username", "github_id", "name")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_TEAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,60}$")


class RosterError(InputError):
    """A roster (or an export to import) with problems; ``problems`` lists every one."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        super().__init__(f"roster {path}: {shown}")


@dataclass(frozen=True)
class RosterEntry:
    identifier: str
    github_username: str
    name: str
    email: str = ""
    section: str = ""
    team: str = ""

    @property
    def names(self) -> list[str]:
        """What a course file's extension may call this student."""
        return [name for name in (self.identifier, self.github_username) if name]


def _records(path: Path, required: Iterable[str], what: str) -> list[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of a CSV with ``required`` columns; unreadable or wrong is a one-line error."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [(column or "").strip() for column in (reader.fieldnames or [])]
        missing = [column for column in required if column not in header]
        if missing:
            raise InputError(f"{path} is not {what}: no column {', '.join(missing)} "
                             f"(it has: {', '.join(header) or 'nothing'})")
        rows = []
        for record in reader:
            rows.append((reader.line_num, {(k or "").strip(): (v or "").strip() for k, v in record.items()
                                           if isinstance(v, str)}))
        return rows
    except csv.Error as exc:
        raise InputError(f"{path} is not valid CSV: {exc}") from None


def check_entries(entries: list[RosterEntry], lines: list[int] | None = None) -> list[str]:
    """Every problem of a roster: duplicates, missing names and identifiers, impossible logins and teams."""
    problems = []
    lines = lines or [index + 2 for index in range(len(entries))]
    seen_ids: dict[str, int] = {}
    seen_logins: dict[str, int] = {}
    for line, entry in zip(lines, entries, strict=True):
        where = f"line {line}"
        if not entry.identifier:
            problems.append(f"{where}: no identifier")
        elif entry.identifier.lower() in seen_ids:
            problems.append(f"{where}: identifier {entry.identifier!r} is also on line {seen_ids[entry.identifier.lower()]}")
        else:
            seen_ids[entry.identifier.lower()] = line
        if not entry.name:
            problems.append(f"{where}: {entry.identifier or entry.github_username or 'a student'} has no name")
        login = entry.github_username
        if login and not _LOGIN.match(login):
            problems.append(f"{where}: {login!r} is not a GitHub username")
        elif login and login.lower() in seen_logins:
            problems.append(f"{where}: GitHub username {login!r} is also on line {seen_logins[login.lower()]}")
        elif login:
            seen_logins[login.lower()] = line
        if entry.team and not _TEAM.match(entry.team):
            problems.append(f"{where}: team {entry.team!r} cannot name a repository (letters, digits, . _ -)")
    return problems


def read_roster(path: Path) -> list[RosterEntry]:
    """The course roster CSV (``COLUMNS``; ``email``, ``section`` and ``team`` may be absent)."""
    rows = _records(path, ("identifier", "github_username", "name"), "a course roster")
    entries = [RosterEntry(*(row.get(column, "") for column in COLUMNS)) for _, row in rows
               if any(row.get(column) for column in COLUMNS)]
    lines = [line for line, row in rows if any(row.get(column) for column in COLUMNS)]
    problems = check_entries(entries, lines)
    if problems:
        raise RosterError(str(path), problems)
    return entries


def write_roster(entries: list[RosterEntry], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(RosterEntry)])
        writer.writeheader()
        for entry in entries:
            writer.writerow(asdict(entry))


def import_classroom(path: Path) -> list[RosterEntry]:
    """The retired GitHub Classroom's roster export (``identifier, github_username, github_id, name``).

    Classroom's identifier is often the only name it holds (an e-mail or a student number): a row without a
    ``name`` takes it as its name rather than failing, and an identifier that looks like an e-mail is the e-mail.
    """
    rows = _records(path, ("identifier", "github_username"), "a GitHub Classroom roster export")
    entries, lines = [], []
    for line, row in rows:
        if not (row.get("identifier") or row.get("github_username")):
            continue
        identifier = row.get("identifier", "")
        entries.append(RosterEntry(identifier, row.get("github_username", ""), row.get("name") or identifier,
                                   identifier if "@" in identifier else ""))
        lines.append(line)
    return _checked(entries, lines, path)


def _canvas_name(student: str) -> str:
    """Canvas writes ``Last, First``; the roster keeps ``First Last``."""
    last, comma, first = student.partition(",")
    return f"{first.strip()} {last.strip()}".strip() if comma else student.strip()


def import_canvas(path: Path, logins: Path | None = None) -> list[RosterEntry]:
    """A Canvas gradebook export (``Student, ID, SIS User ID, SIS Login ID, Section``) as a roster.

    The identifier is the SIS User ID (what ``grader batch --gradebook canvas`` matches on), else the SIS
    Login ID, else Canvas's ID. Canvas knows no GitHub usernames: ``logins`` is a CSV with a
    ``github_username`` column and one of ``identifier``, ``SIS User ID``, ``SIS Login ID`` or ``email``
    (and optionally ``team``), e.g. a survey's answers. Canvas's "Points Possible" and test-student rows are
    left out.
    """
    rows = _records(path, CANVAS_COLUMNS, "a Canvas gradebook export")
    entries, lines = [], []
    for line, row in rows:
        student = row.get("Student", "")
        if student in ("Points Possible", "Student, Test", "Test Student") or student.startswith("    "):
            continue
        if not any(row.get(column) for column in CANVAS_COLUMNS):
            continue
        login = row.get("SIS Login ID", "")
        identifier = row.get("SIS User ID") or login or row.get("ID", "")
        entries.append(RosterEntry(identifier, "", _canvas_name(student), login if "@" in login else "",
                                   row.get("Section", "")))
        lines.append(line)
    if logins is not None:
        entries = _join_logins(entries, logins)
    return _checked(entries, lines, path)


def _join_logins(entries: list[RosterEntry], path: Path) -> list[RosterEntry]:
    rows = _records(path, ("github_username",), "a GitHub username list")
    keys = [k for k in ("identifier", "SIS User ID", "SIS Login ID", "email") if rows and k in rows[0][1]]
    if not keys:
        raise InputError(f"{path}: needs a column identifier, SIS User ID, SIS Login ID or email next to "
                         "github_username")
    index: dict[str, int] = {}
    for number, entry in enumerate(entries):
        for name in (entry.identifier, entry.email):
            if name:
                index.setdefault(name.lower(), number)
    problems = []
    found: dict[int, dict[str, str]] = {}
    for line, row in rows:
        given = [row.get(key, "") for key in keys if row.get(key)]
        number = next((index[g.lower()] for g in given if g.lower() in index), None)
        if number is None:
            problems.append(f"{path} line {line}: {', '.join(given) or '(empty)'} is not a student of the export "
                            "(unknown user)")
        elif number in found:
            problems.append(f"{path} line {line}: a second GitHub username for {entries[number].identifier}")
        else:
            found[number] = row
    if problems:
        raise RosterError(str(path), problems)
    return [RosterEntry(e.identifier, found.get(n, {}).get("github_username", ""), e.name, e.email, e.section,
                        found.get(n, {}).get("team", "")) for n, e in enumerate(entries)]


def _checked(entries: list[RosterEntry], lines: list[int], path: Path) -> list[RosterEntry]:
    problems = check_entries(entries, lines)
    if problems:
        raise RosterError(str(path), problems)
    return entries




def teams(entries: list[RosterEntry]) -> dict[str, list[RosterEntry]]:
    """Repository owner name -> its students: a team's name, or a student's GitHub username alone."""
    groups: dict[str, list[RosterEntry]] = {}
    for entry in entries:
        if not entry.github_username:
            continue
        groups.setdefault(entry.team or entry.github_username, []).append(entry)
    return groups
