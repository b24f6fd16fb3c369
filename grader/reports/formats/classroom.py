"""GitHub Classroom: the autograding runner results and the lines Classroom's reporter prints.

A runner result is base64 of ``{"version": 1, "status", "max_score", "tests": [...]}``, the contract of
GitHub Classroom's autograding runners (``classroom-resources/autograding-command-grader``, src/main.js,
writes one test per runner: ``score`` = ``max_score`` when it passes, else 0). The reporter,
``classroom-resources/autograding-grading-reporter`` (tag v1), reads it from the environment variable
``<RUNNER>_RESULTS`` of each runner in its ``runners`` input (src/main.js), and:

- prints ``- line <line_no>`` after every test unless ``line_no`` is ``0`` (a notebook check has no line);
- prints a failed test's name only, then ``test_code`` if present (so that is where a failed check's
  message goes; an errored test prints its ``message``) (src/console-results.js);
- scores each runner in its table, and the table's total, as passed tests / tests × the runner's
  ``max_score`` (src/helpers/test-helpers.js ``getTestScore``, src/aggregate-results.js);
- prints its points, ``Points X/Y``, as the sum of the tests' ``score`` over the sum of the runners'
  ``max_score`` (src/notify-classroom.js).

Given the whole report as one runner (``result``), the table says e.g. 17.60/22 (8 of 10 checks passed)
where the points and the report say 17/22: checks weigh differently. Given one runner per check
(:func:`runner_results`: the step outputs, and lines of the classroom file, ``result-<check id>``), each
runner is all or nothing as each check is, and the table, the points and the report agree. That is the
wiring ``grader starter --classroom-reporter`` writes; without the reporter, the grader's own two
``::notice`` lines (:func:`notices`) are what Classroom reads the points from.
"""

from __future__ import annotations

import base64
import json

from grader.reports.formats import inert
from grader.reports.formats.common import HIDDEN_MESSAGE, SKIPPED_MESSAGE, shown_message
from grader.reports.report import ERROR, PASSED, CheckResult, Report

__all__ = ["HIDDEN_MESSAGE", "encoded", "github_outputs", "notices", "render", "result", "runner_results"]

_STATUS = {PASSED: "pass", ERROR: "error"}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _test(check: CheckResult) -> dict:
    # the reporter prints these to the log: what the student's code said, shown and never run
    message = inert.visible(shown_message(check)) if check.status != PASSED else ""
    test = {
        "name": f"{check.id}: {check.title}",
        "status": _STATUS.get(check.status, "fail"),
        "score": _number(check.score),
        "max_score": _number(check.max_score),
        "message": message,
        "line_no": 0,
        "execution_time": f"{check.seconds:.2f}s",
    }
    if check.status not in (PASSED, ERROR):  # the reporter shows a failed test's test_code, not its message
        test["test_code"] = message or SKIPPED_MESSAGE
    return test


def _status(report: Report, tests: list[dict]) -> str:
    if report.internal_errors:
        return "error"
    return "pass" if all(test["status"] == "pass" for test in tests) else "fail"


def result(report: Report) -> dict:
    tests = [_test(check) for check in report.checks]
    return {"version": 1, "status": _status(report, tests), "max_score": _number(report.max_score), "tests": tests}


def runner_results(report: Report) -> dict[str, dict]:
    """One runner result per check, keyed by the check's id: the reporter's table and notice then agree."""
    results = {}
    for check in report.checks:
        tests = [_test(check)]
        status = "error" if report.internal_errors else tests[0]["status"]
        results[check.id] = {"version": 1, "status": status, "max_score": _number(check.max_score),
                             "tests": tests}
    return results


def _encode(data: dict) -> str:
    return base64.b64encode(json.dumps(data).encode()).decode("ascii")


def encoded(report: Report) -> str:
    return _encode(result(report))


def github_outputs(report: Report) -> str:
    """The step outputs: ``result`` (every check) and ``result-<check id>`` (one runner per check)."""
    lines = [f"result={encoded(report)}"]
    lines += [f"result-{check_id}={_encode(data)}" for check_id, data in runner_results(report).items()]
    return "\n".join(lines) + "\n"


def notices(report: Report) -> list[str]:
    points = {"totalPoints": _number(report.score), "maxPoints": _number(report.max_score)}
    return [
        f"::notice title=Autograding complete::Points {points['totalPoints']}/{points['maxPoints']}",
        f"::notice title=Autograding report::{json.dumps(points, separators=(',', ':'))}",
    ]


def _escape(text: str) -> str:
    """A workflow command's message: %, CR and LF escaped as the runner expects, other controls shown."""
    return inert.visible(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def render(report: Report) -> str:
    """``result`` and ``result-<check id>`` per check (the step outputs), the warnings, then the points lines,
    last, so that nothing printed after them can stand where Classroom reads the points."""
    whole, *per_check = github_outputs(report).splitlines()
    warnings = [f"::warning title=Notebook::{_escape(warning)}" for warning in report.warnings]
    return "\n".join([whole, *per_check, *warnings, *notices(report)]) + "\n"
