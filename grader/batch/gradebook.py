"""The gradebook of a batch: ``grades.csv``, the roster mapping, and exports an LMS imports.

``grades.csv`` has one row per submission with every check's points and maximum, the seed and the grader
version. A GitHub Classroom roster (``identifier, github_username, github_id, name``) maps submissions to
students by the folder they are in (``submissions/<github username>/lab.ipynb``, as ``grader collect`` lays
them out); ``students.csv`` totals each student's notebooks and lists the students with no submission.
``--gradebook canvas`` writes a CSV for Canvas's gradebook import, ``--gradebook csv`` a generic one.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.batch.rows import GRADED, Row
from grader.errors import InputError
from grader.platforms import late_grades

ROSTER_COLUMNS = ("identifier", "github_username", "github_id", "name")
GRADEBOOK_FORMATS = ("csv", "canvas")
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def _points(value: float) -> str:
    return f"{value:g}"


def text_cell(value: object) -> str:
    """A text cell a spreadsheet will not run: student-written text starting with = + - @ is quoted."""
    text = " ".join(str(value).split())
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


GRADES_IDENTITY = ("submission", "student", "notebook", "status", "lab", "framework", "score", "max_score")
GRADES_TRAILER = ("seed", "grader_version", "message")


def check_columns(rows: Sequence[Row]) -> list[str]:
    """Every check id once, in first-seen order (labs may share a check id; each row carries its own maximum)."""
    ids: dict[str, None] = {}
    for row in rows:
        ids.update(dict.fromkeys([*row.check_max, *row.checks]))
    return list(ids)


def _check_headers(ids: Sequence[str]) -> list[tuple[str, str]]:
    """The two column names of each check, none of them equal to another column of grades.csv."""
    taken = {*GRADES_IDENTITY, *GRADES_TRAILER}
    headers = []
    for check_id in ids:
        name = check_id if check_id not in taken and f"{check_id} (max)" not in taken else f"check {check_id}"
        headers.append((name, f"{name} (max)"))
        taken.update(headers[-1])
    return headers


def write_grades_csv(rows: Sequence[Row], path: Path) -> None:
    """``grades.csv``: one row per submission; for every check its points and its maximum.

    Every column name appears once. A submission that was not graded has its score, maximum and check cells
    left empty (its status and message say why), so that a column's mean is over graded submissions only.
    No timing goes in (it is in the summary): the same seed gives the same file whatever engine graded it.
    """
    ids = check_columns(rows)
    late = late_grades.columns(rows)  # the late policy's columns, when the collection applied one
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*GRADES_IDENTITY, *late, *(column for pair in _check_headers(ids) for column in pair),
                         *GRADES_TRAILER])
        for row in rows:
            graded = row.status == GRADED
            cells = []
            for check_id in ids:
                cells.append(_points(row.checks[check_id]) if graded and check_id in row.checks else "")
                cells.append(_points(row.check_max[check_id]) if graded and check_id in row.check_max else "")
            writer.writerow([text_cell(row.name), text_cell(row.student), text_cell(row.notebook), row.status,
                             row.lab, row.framework, _points(row.score) if graded else "",
                             _points(row.max_score) if graded else "",
                             *(late_grades.cells(row, graded) if late else []), *cells,
                             "" if row.seed is None else row.seed, row.grader_version, text_cell(row.message)])


# -- the roster --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Student:
    identifier: str
    github_username: str
    github_id: str = ""
    name: str = ""


def read_roster(path: Path) -> list[Student]:
    """A GitHub Classroom roster CSV; anything unreadable is an :class:`InputError` (one line)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the roster {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        reader = csv.DictReader(text.splitlines())
        header = [column.strip() for column in (reader.fieldnames or [])]
        missing = [column for column in ("identifier", "github_username") if column not in header]
        if missing:
            raise InputError(f"the roster {path} is not a GitHub Classroom roster: no column "
                             f"{', '.join(missing)} (it has: {', '.join(header) or 'nothing'})")
        students = []
        for record in reader:
            record = {(k or "").strip(): (v or "").strip() for k, v in record.items() if isinstance(v, str)}
            if not record.get("identifier") and not record.get("github_username"):
                continue
            students.append(Student(record.get("identifier", ""), record.get("github_username", ""),
                                    record.get("github_id", ""), record.get("name", "")))
    except csv.Error as exc:
        raise InputError(f"the roster {path} is not valid CSV: {exc}") from None
    return students


@dataclass
class StudentTotal:
    student: Student | None  # None: a submission folder that is on no roster line
    key: str  # the GitHub username (or folder name)
    rows: list[Row] = field(default_factory=list)

    def total(self, labs: Sequence[str]) -> float:
        """Points over the batch's labs: the best graded submission of each lab counts once."""
        return round(sum(score for score in (self.lab_score(lab) for lab in labs) if score is not None), 4)

    def lab_score(self, lab: str) -> float | None:
        """The student's points on one lab (their best submission of it), or None when none was graded."""
        scores = [row.score for row in self.rows if row.lab == lab and row.status == GRADED]
        return max(scores) if scores else None


@dataclass
class Gradebook:
    students: list[StudentTotal]  # roster order, then submissions on no roster line
    missing: list[Student]  # roster students with no submission at all

    @property
    def unmatched(self) -> list[StudentTotal]:
        return [total for total in self.students if total.student is None]


def build_gradebook(rows: Sequence[Row], roster: Sequence[Student] | None) -> Gradebook:
    """Group the rows by student: by roster GitHub username (case-insensitive) or by folder name."""
    totals: dict[str, StudentTotal] = {}
    if roster:
        for student in roster:
            key = (student.github_username or student.identifier).lower()
            totals.setdefault(key, StudentTotal(student, student.github_username or student.identifier))
    extra: dict[str, StudentTotal] = {}
    for row in rows:
        key = (row.student or row.name).lower()
        if key in totals:
            totals[key].rows.append(row)
        else:
            extra.setdefault(key, StudentTotal(None, row.student or row.name)).rows.append(row)
    missing = [total.student for total in totals.values() if not total.rows and total.student is not None]
    return Gradebook([*totals.values(), *extra.values()], missing)


def write_students_csv(book: Gradebook, labs: Sequence[str], path: Path) -> None:
    """``students.csv``: each student's total over their notebooks, per lab, and who submitted nothing."""
    possible = sum(lab_points([row for total in book.students for row in total.rows], lab) for lab in labs)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["identifier", "github_username", "name", "on_roster", "submissions", "graded",
                         *labs, "score", "max_score", "status"])
        for total in book.students:
            student = total.student
            graded = sum(row.status == GRADED for row in total.rows)
            status = ("no submission" if not total.rows else
                      "graded" if graded == len(total.rows) else f"{len(total.rows) - graded} not graded")
            lab_scores = [total.lab_score(lab) for lab in labs]
            writer.writerow([student.identifier if student else "", student.github_username if student else text_cell(total.key),
                             student.name if student else "", "yes" if student else "no", len(total.rows), graded,
                             *("" if s is None else _points(s) for s in lab_scores),
                             _points(total.total(labs)), _points(possible), status])


def lab_points(rows: Sequence[Row], lab: str) -> float:
    """What one lab is worth (the largest maximum any of its rows shows)."""
    return max((row.max_score for row in rows if row.lab == lab), default=0.0)


def write_export(book: Gradebook, rows: Sequence[Row], labs: Sequence[str], kind: str, path: Path,
                 assignment: str | None = None) -> None:
    """Write the ``csv`` (generic) or ``canvas`` gradebook export of ``book``.

    Canvas: the columns Student, ID, SIS User ID, SIS Login ID, Section, then one column per lab named
    "Name (ID)" when ``assignment`` gives one (a single lab), else the lab id; a "Points Possible" row comes
    first. Students are matched on SIS User ID, which holds the roster's identifier. A student with no graded
    submission of a lab gets an empty cell (left for the instructor), not a zero.
    """
    if kind not in GRADEBOOK_FORMATS:
        raise InputError(f"unknown gradebook {kind!r}; choose from {', '.join(GRADEBOOK_FORMATS)}")
    columns = [assignment] if assignment and len(labs) == 1 else list(labs)
    possible = [_points(lab_points(rows, lab)) for lab in labs]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if kind == "canvas":
            writer.writerow([*CANVAS_IDENTITY, *columns])
            writer.writerow(["Points Possible", "", "", "", "", *possible])
            for total in book.students:
                if total.student is None:
                    continue  # Canvas cannot match a student that is on no roster line
                scores = [total.lab_score(lab) for lab in labs]
                writer.writerow([total.student.name or total.student.github_username, "", total.student.identifier,
                                 "", "", *("" if s is None else _points(s) for s in scores)])
        else:
            late = late_grades.export_columns(rows, labs)
            writer.writerow(["identifier", "github_username", "name", *columns, "total", "max_total", *late])
            writer.writerow(["", "", "points possible", *possible,
                             _points(sum(lab_points(rows, lab) for lab in labs)), "", *[""] * len(late)])
            for total in book.students:
                student = total.student
                scores = [total.lab_score(lab) for lab in labs]
                writer.writerow([student.identifier if student else "", student.github_username if student else text_cell(total.key),
                                 student.name if student else "", *("" if s is None else _points(s) for s in scores),
                                 _points(total.total(labs)),
                                 _points(sum(lab_points(rows, lab) for lab in labs)),
                                 *(late_grades.export_cells([r for r in total.rows if r.status == GRADED])
                                   if late else [])])
