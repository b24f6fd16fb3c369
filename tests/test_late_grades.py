"""The late policy applied to a batch's rows from the collect.json of `grader collect --course`."""

from __future__ import annotations

import json

from grader.batch.rows import GRADED, Row
from grader.platforms import late_grades


def _manifest(folder, students):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "collect.json").write_text(json.dumps({
        "org": "course", "prefix": "lab1", "deadline": "2026-11-30T22:59:00Z", "collected_at": "2026-12-10T00:00:00Z",
        "students": {user: {"user": user, "status": "collected", **fields} for user, fields in students.items()}}))


def _row(student, score):
    return Row(name=f"{student}__lab", notebook="lab.ipynb", status=GRADED, lab="01-rnn-cells", framework="torch",
               score=score, max_score=22, student=student)


def test_rows_get_their_penalty_and_a_rerun_does_not_take_it_twice(tmp_path):
    _manifest(tmp_path / "subs", {
        "Ana": {"deadline": "2026-11-30T22:59:00Z", "pushed_at": "2026-11-30T20:00:00Z"},
        "bo": {"deadline": "2026-11-30T22:59:00Z", "pushed_at": "2026-12-01T01:00:00Z", "hours_late": 2.02,
               "penalty_percent": 10, "late_reason": "pushed 2 h 01 min after the deadline: 1 day begun × 10% = 10% off"},
        "old": {"pushed_at": ""}})  # collected without a course file: no late policy
    late = late_grades.records([tmp_path / "subs"])
    assert set(late) == {"ana", "bo"}
    rows = [_row("ana", 22), _row("bo", 19), _row("old", 5)]
    assert late_grades.apply(rows, late) == 2
    assert [(r.raw_score, r.score) for r in rows] == [(22, 22), (19, 17.1), (None, 5)]
    late_grades.apply(rows, late)  # applied again to the same rows: from the raw score, not the final one
    assert rows[1].score == 17.1
    assert late_grades.columns(rows) == late_grades.LATE_COLUMNS
    assert late_grades.cells(rows[1]) == ["2026-12-01T01:00:00Z", "2026-11-30T22:59:00Z", "2.02", "19", "10", "yes"]
    assert late_grades.cells(rows[2]) == [""] * 6
    assert late_grades.columns([_row("x", 1)]) == ()  # a batch without a course file keeps its columns
    assert late_grades.summary_line(rows) == "late policy: 1 on time, 1 late; 1 with a penalty of 10%"
    assert late_grades.feedback_lines(rows[1])[0] == (
        "**Late policy**: pushed 2 h 01 min after the deadline: 1 day begun × 10% = 10% off. "
        "Your score: 19 − 10% = **17.1** of 22.")
    assert late_grades.feedback_lines(rows[0])[0].startswith("**On time**: pushed 2026-11-30T20:00:00Z")
    assert late_grades.feedback_lines(rows[2]) == []


def test_counting_the_best_push_after_each_ones_penalty(tmp_path):
    """hal's late push scores more before its penalty; his earlier, on-time push scores more after it."""
    earlier = {"folder": "earlier/20261130T200000Z-aaaaaaaaaaaa", "commit": "a" * 40,
               "pushed_at": "2026-11-30T20:00:00Z", "hours_late": 0, "penalty_percent": 0, "late_reason": "on time",
               "notebooks": ["lab.ipynb"]}
    _manifest(tmp_path / "subs", {"hal": {
        "deadline": "2026-11-30T22:59:00Z", "cutoff": "2026-12-07T22:59:00Z", "counts": "best", "commit": "b" * 40,
        "pushed_at": "2026-12-02T10:00:00Z", "hours_late": 35.02, "penalty_percent": 20, "late_reason": "late",
        "earlier": [earlier]}})
    late = late_grades.records([tmp_path / "subs"])
    last = _row("hal", 19)
    last.notebook = str(tmp_path / "subs" / "hal" / "lab.ipynb")
    first = _row("hal", 16)
    first.name, first.notebook = "hal__earlier__lab", str(tmp_path / "subs" / "hal" / earlier["folder"] / "lab.ipynb")
    late_grades.apply([last, first], late)
    assert (last.score, last.penalty_percent, last.counted) == (15.2, 20, False)
    assert (first.score, first.penalty_percent, first.pushed_at, first.counted) == (16, 0, "2026-11-30T20:00:00Z", True)
    assert late_grades.counted([last, first]) == [first]
    assert late_grades.export_cells([last, first]) == ["2026-11-30T20:00:00Z", "0", "16", "0"]
    assert late_grades.which_commit(late["hal"], first).startswith(
        "`aaaaaaaaaaaa` pushed 2026-11-30T20:00:00Z, the best of your 2 pushes before the last accepted time")
