"""Gradescope's ``results.json`` (https://gradescope-autograders.readthedocs.io/en/latest/specs/).

- Hidden checks and the student's total. Gradescope's spec ("Controlling Test Case Visibility") says: "If
  test cases are hidden, students will not be able to see their total score", and a test shown
  ``after_due_date`` is hidden until the due date (the late due date where late submissions are allowed).
  So a check whose spec says ``hidden`` never becomes a ``hidden`` test (the total would never show), and
  the instructor chooses what students see before the deadline (:data:`HIDDEN_CHECKS`):

  - ``after_due_date`` (the default): the check is a test shown ``after_due_date`` with its score kept. The
    score is the whole grade at once, but until the due date the student sees the visible tests and not
    the total.
  - ``withhold``: before the due date the check's points are withheld, neither in the score nor shown as
    passed or failed (a test without score or status says they come after the due date); every test is
    visible, so the student sees a total, of the other checks. Run after the due date (Gradescope's
    "Regrade All Submissions"), the same autograder scores every check, hidden ones shown ``after_due_date``.
- One test per check, numbered in the spec's order (``number``), named as plain text.
- Outputs are Markdown (``output_format``/``test_output_format`` ``md``), and every message, which may
  quote values the student's code returned, sits in a fenced code block: never raw text that Gradescope
  would render. The autograder's own stdout stays hidden from students (``stdout_visibility``).
"""

from __future__ import annotations

import json

from grader.reports.formats import inert
from grader.reports.report import PASSED, SKIPPED, Report

HIDDEN_VISIBILITY = "after_due_date"
HIDDEN_CHECKS = ("after_due_date", "withhold")  # what a hidden check is before the due date (module docstring)
WITHHELD_OUTPUT = ("A hidden check: graded after the due date. Its points are not in this score yet; your "
                   "instructors regrade every submission after the due date.")


def fenced(text: str) -> str:
    """``text`` as a literal Markdown block, whatever backticks and control characters it holds."""
    return inert.fence(text)


def _withheld(report: Report, withhold_hidden: bool) -> list:
    return [check for check in report.checks if withhold_hidden and check.visibility == "hidden"]


def _output(report: Report, withhold_hidden: bool = False) -> str:
    """The submission's output, always visible: never a total that counts a hidden check before the due date
    (that total less the visible tests would give the hidden checks' result away)."""
    hidden = [check for check in report.checks if check.visibility == "hidden"]
    head = f"**{report.lab}** ({report.framework}): "
    if not hidden:
        lines = [f"{head}{report.score:g}/{report.max_score:g} points"]
    else:
        shown = sum(check.score for check in report.checks if check.visibility != "hidden")
        shown_max = sum(check.max_score for check in report.checks if check.visibility != "hidden")
        pending = sum(check.max_score for check in hidden)
        when = ("graded after the due date" if withhold_hidden
                else "in your score, shown with the total after the due date")
        lines = [f"{head}{shown:g}/{shown_max:g} points in the visible checks; {pending:g} more points of "
                 f"{len(hidden)} hidden check(s), {when}"]
    details = [f"cell {event.index + 1}: {event.status}: {event.message}" for event in report.cells]
    details += [*report.notes, *report.warnings, f"seed {report.seed}, sandbox {report.sandbox}"]
    return "\n\n".join([*lines, fenced("\n".join(details))])


def _test_output(check) -> str:
    if check.status == SKIPPED:
        return "Not run here: this check needs the private course."
    message = check.message or check.status
    if check.visibility == "hidden":
        message = f"{message}\n(a hidden check: shown after the due date)"
    return fenced(message)


def _test(number: int, check, withheld: bool) -> dict:
    test = {
        "name": f"{check.id}: {check.title}",
        "name_format": "text",
        "number": str(number),
        "score": check.score,
        "max_score": check.max_score,
        "status": "passed" if check.status == PASSED else "failed",
        "output": _test_output(check),
        "output_format": "md",
        "visibility": HIDDEN_VISIBILITY if check.visibility == "hidden" else "visible",
    }
    if withheld:  # no score, no status: nothing of the result shows before the due date
        for key in ("score", "max_score", "status"):
            del test[key]
        test.update(name=f"{test['name']} ({check.max_score:g} points, graded after the due date)",
                    output=WITHHELD_OUTPUT, visibility="visible")
    return test


def to_dict(report: Report, withhold_hidden: bool = False) -> dict:
    """``results.json``; ``withhold_hidden``: leave hidden checks' points out (``withhold`` before the due date)."""
    withheld = {id(check) for check in _withheld(report, withhold_hidden)}
    score = round(sum(check.score for check in report.checks if id(check) not in withheld), 4)
    return {
        "score": score,
        "execution_time": round(report.execution_seconds + report.grading_seconds, 3),
        "output": _output(report, withhold_hidden),
        "output_format": "md",
        "test_output_format": "md",
        "test_name_format": "text",
        "stdout_visibility": "hidden",
        "visibility": "visible",
        "extra_data": {"lab": report.lab, "framework": report.framework, "seed": report.seed,
                       "sandbox": report.sandbox, "course": report.course},
        "tests": [_test(number, check, id(check) in withheld) for number, check in enumerate(report.checks, start=1)],
    }


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2) + "\n"
