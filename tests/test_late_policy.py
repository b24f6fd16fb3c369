"""The late policy at its boundaries, and the course file (course.yaml) with its schema's messages."""

from __future__ import annotations

import pytest

from grader.course.course_file import CourseFileError, parse_course, read_course
from grader.course.late_policy import (
    LatePolicy,
    assess,
    elapsed_seconds,
    extend,
    parse_time,
    utc_stamp,
    window,
)
from grader.errors import InputError

POLICY = LatePolicy(grace_minutes=15, penalty_percent=10, per="day", cap_percent=30)
DEADLINE = parse_time("2026-11-30T23:59:00Z")


def _at(text):
    return parse_time(text)


@pytest.mark.parametrize(("pushed", "accepted", "penalty", "hours"), [
    ("2026-11-30T23:59:00Z", True, 0, 0),            # exactly on time
    ("2026-11-30T23:58:59Z", True, 0, 0),
    ("2026-12-01T00:14:00Z", True, 0, 0.25),         # within the grace: late, but no penalty
    ("2026-12-01T00:14:01Z", True, 10, 0.25),        # one second past the grace: a day begun
    ("2026-12-01T00:59:00Z", True, 10, 1),           # one hour past
    ("2026-12-01T23:59:00Z", True, 10, 24),          # exactly one day: one day begun
    ("2026-12-01T23:59:01Z", True, 20, 24),          # a second more: two days begun
    ("2026-12-05T12:00:00Z", True, 30, 108.02),      # five days begun: the cap
])
def test_assessment_at_the_boundaries(pushed, accepted, penalty, hours):
    result = assess(window(DEADLINE, POLICY), _at(pushed), POLICY)
    assert (result.accepted, result.penalty_percent, result.hours_late) == (accepted, penalty, hours)
    assert result.final_score(20) == pytest.approx(20 * (1 - penalty / 100))


def test_the_reason_says_what_the_penalty_is_and_the_cap():
    late = assess(window(DEADLINE, POLICY), _at("2026-12-01T00:59:00Z"), POLICY)
    assert "1 day begun × 10% = 10% off" in late.reason and "1 h after the deadline" in late.reason
    capped = assess(window(DEADLINE, POLICY), _at("2026-12-05T12:00:00Z"), POLICY)
    assert "capped at 30% off" in capped.reason
    assert "within the 15 minutes' grace" in assess(window(DEADLINE, POLICY), _at("2026-12-01T00:10:00Z"),
                                                    POLICY).reason


def test_past_the_last_accepted_time_nothing_counts():
    last = _at("2026-12-03T23:59:00Z")
    student = window(DEADLINE, POLICY, last)
    assert assess(student, _at("2026-12-03T23:59:00Z"), POLICY).accepted
    refused = assess(student, _at("2026-12-03T23:59:01Z"), POLICY)
    assert not refused.accepted and refused.final_score(20) == 0 and "last accepted time" in refused.reason
    # max_late_hours cuts off too, counted from the student's own deadline
    hours = LatePolicy(penalty_percent=5, per="hour", max_late_hours=2)
    assert assess(window(DEADLINE, hours), _at("2026-12-01T01:59:00Z"), hours).penalty_percent == 10
    assert not assess(window(DEADLINE, hours), _at("2026-12-01T01:59:01Z"), hours).accepted


def test_an_extension_moves_the_cut_off_by_as_much():
    last = _at("2026-12-03T23:59:00Z")
    extended = extend(DEADLINE, days=2)
    student = window(DEADLINE, POLICY, last, extended, "extended by 2 days")
    assert utc_stamp(student.cutoff) == "2026-12-05T23:59:00Z"
    assert assess(student, _at("2026-12-02T23:59:00Z"), POLICY).penalty_percent == 0
    assert "extended by 2 days" in assess(student, _at("2026-12-03T01:00:00Z"), POLICY).reason


def test_a_deadline_across_the_daylight_saving_change():
    """Berlin leaves summer time on 25 October 2026: a day of the calendar is 25 hours long."""
    deadline = parse_time("2026-10-24T23:59[Europe/Berlin]")
    assert deadline.utcoffset().total_seconds() == 7200
    moved = extend(deadline, days=1)
    assert moved.isoformat() == "2026-10-25T23:59:00+01:00"  # the wall clock stays at 23:59
    assert elapsed_seconds(deadline, moved) == 25 * 3600
    # the control: subtracting two datetimes of one zone in Python counts the wall clock, an hour short
    assert (moved - deadline).total_seconds() == 24 * 3600
    hourly = LatePolicy(penalty_percent=1, per="hour", cap_percent=100)
    late = assess(window(deadline, hourly), moved, hourly)
    assert (late.hours_late, late.penalty_percent) == (25, 25)


def test_times_need_a_zone():
    assert utc_stamp(parse_time("2026-12-01T00:59:00+01:00")) == "2026-11-30T23:59:00Z"
    assert utc_stamp(parse_time("2026-07-01T12:00[Europe/Berlin]")) == "2026-07-01T10:00:00Z"
    with pytest.raises(InputError, match="no time zone"):
        parse_time("2026-12-01T00:59:00")
    with pytest.raises(InputError, match="unknown time zone"):
        parse_time("2026-12-01T00:59[Mars/Olympus]")
    with pytest.raises(InputError, match="not an ISO 8601"):
        parse_time("friday")


COURSE = """
organisation: rnn-course
roster: roster.csv
late_policy: {grace_minutes: 15, penalty_percent: 10, per: day, cap_percent: 50}
labs:
  - id: 01-rnn-cells
    flavour: keras
    prefix: lab1
    deadline: 2026-11-30T23:59:00+01:00
    last_accepted: 2026-12-07T23:59[Europe/Berlin]
  - id: 02-tracing-vs-passfail
    flavour: torch
    deadline: 2026-12-14T23:59[Europe/Berlin]
    counts: best
    late_policy: {penalty_percent: 2, per: hour}
extensions:
  - {student: carol, lab: 01-rnn-cells, days: 2, reason: medical}
  - {student: S004, until: 2026-12-20T12:00Z}
"""


def test_a_course_file_is_read_and_typed(tmp_path):
    path = tmp_path / "course.yaml"
    path.write_text(COURSE)
    course = read_course(path, ["01-rnn-cells", "02-tracing-vs-passfail"])
    assert course.organisation == "rnn-course" and course.roster == tmp_path / "roster.csv"
    lab1, lab2 = course.lab("01-rnn-cells"), course.lab("02-tracing-vs-passfail")
    assert (lab1.prefix, lab1.flavour, lab1.counts, utc_stamp(lab1.deadline)) == ("lab1", "keras", "last",
                                                                                 "2026-11-30T22:59:00Z")
    assert (lab2.prefix, lab2.counts, lab2.policy.per, lab2.policy.penalty_percent) == (
        "02-tracing-vs-passfail", "best", "hour", 2)
    assert lab2.policy.grace_minutes == 15  # the course's policy, overridden field by field
    carol = course.window("01-rnn-cells", ["c@uni", "Carol"])
    assert utc_stamp(carol.deadline) == "2026-12-02T22:59:00Z" and carol.extension == "extended by 2 days: medical"
    assert utc_stamp(carol.cutoff) == "2026-12-09T22:59:00Z"
    assert course.window("02-tracing-vs-passfail", ["carol"]).extension == ""
    assert utc_stamp(course.window("02-tracing-vs-passfail", ["s004"]).deadline) == "2026-12-20T12:00:00Z"
    # a team takes its latest member's extension
    assert course.window("01-rnn-cells", ["dave", "carol"]).extension.startswith("extended by 2 days")


@pytest.mark.parametrize(("change", "message"), [
    (("flavour: keras", "flavour: jax"), "labs/0/flavour: 'jax' is not one of ['keras', 'torch']"),
    (("deadline: 2026-11-30T23:59:00+01:00", "deadline: 2026-11-30T23:59:00"),
     "labs/0/deadline: '2026-11-30T23:59:00' has no time zone"),
    (("deadline: 2026-11-30T23:59:00+01:00", "deadline: 2026-11-30"), "labs/0/deadline: '2026-11-30' has no time zone"),
    (("last_accepted: 2026-12-07", "last_accepted: 2026-11-07"), "labs/0/last_accepted: 2026-11-07T23:59[Europe/Berlin] is before"),
    (("organisation: rnn-course", "organisation: rnn course"), "organisation: 'rnn course' does not match"),
    (("days: 2,", "days: 2, until: 2026-12-01T00:00Z,"), "extensions/0: give either until, or days and/or hours"),
    (("lab: 01-rnn-cells, days", "lab: 09-nothing, days"), "extensions/0/lab: '09-nothing' is not a lab of this course"),
    (("prefix: lab1", "prefix: 02-tracing-vs-passfail"), "labs/1/prefix: '02-tracing-vs-passfail' is also 01-rnn-cells's"),
    (("per: hour}", "per: week}"), "labs/1/late_policy/per: 'week' is not one of ['day', 'hour']"),
    (("cap_percent: 50", "cap_percent: 150"), "late_policy/cap_percent: 150 is greater than the maximum of 100"),
    (("  - id: 02-tracing-vs-passfail", "  - id: 07-unknown"), "labs/1/id: no lab '07-unknown'"),
])
def test_a_bad_course_file_is_refused_with_where_and_why(tmp_path, change, message):
    import yaml

    text = COURSE.replace(*change)
    assert text != COURSE
    with pytest.raises(CourseFileError) as raised:
        parse_course(yaml.safe_load(text), tmp_path / "course.yaml", ["01-rnn-cells", "02-tracing-vs-passfail"])
    assert message in str(raised.value) and str(raised.value).startswith("invalid course file")


def test_an_unreadable_course_file(tmp_path):
    with pytest.raises(CourseFileError, match="file not found"):
        read_course(tmp_path / "nothing.yaml")
    (tmp_path / "bad.yaml").write_text("labs: [\n")
    with pytest.raises(CourseFileError, match="not valid YAML"):
        read_course(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- a\n")
    with pytest.raises(CourseFileError, match="must be a mapping"):
        read_course(tmp_path / "list.yaml")


def test_without_a_penalty_or_a_cut_off_no_late_work_is_accepted():
    """A course that says nothing of late work accepts none: the grace's end is the cut-off."""
    strict = LatePolicy(grace_minutes=5)
    assert assess(window(DEADLINE, strict), _at("2026-12-01T00:04:00Z"), strict).accepted
    refused = assess(window(DEADLINE, strict), _at("2026-12-01T00:04:01Z"), strict)
    assert not refused.accepted and refused.final_score(10) == 0
    # with a penalty and no cut-off, late work is accepted whenever it comes, at the capped penalty
    assert assess(window(DEADLINE, POLICY), _at("2027-06-01T00:00:00Z"), POLICY).penalty_percent == 30
