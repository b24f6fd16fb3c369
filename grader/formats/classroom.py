"""GitHub Classroom: the autograding runner result and the lines Classroom's reporter prints.

The runner result is base64 of ``{"version": 1, "status", "max_score", "tests": [...]}``, the contract of
GitHub Classroom's autograding runners; ``classroom-resources/autograding-grading-reporter`` reads it from
the environment variable ``<RUNNER>_RESULTS`` of each runner it is given, and:

- prints ``- line <line_no>`` after every test unless ``line_no`` is ``0`` (a notebook check has no line);
- prints a failed test's name only, then ``test_code`` if present (so that is where a failed check's
  message goes; an errored test prints its ``message``);
- computes each runner's points in its table as passed tests / tests × ``max_score`` (every test of a
  runner weighs the same), but its ``Points X/Y`` notice as the sum of the tests' ``score``.

The two agree for checks of different points only when each check is its own runner, so besides the whole
result (``result``) the grader writes one runner result per check (:func:`runner_results`; step outputs
``result-<check id>``) for a workflow to hand to the reporter as ``runners: <check ids>``.
The two ``::notice`` lines are what Classroom reads the points from when the reporter is not used.
"""

from __future__ import annotations

import base64
import json

from grader.formats.common import HIDDEN_MESSAGE, SKIPPED_MESSAGE, shown_message
from grader.report import ERROR, PASSED, CheckResult, Report

__all__ = ["HIDDEN_MESSAGE", "encoded", "github_outputs", "notices", "render", "result", "runner_results"]

_STATUS = {PASSED: "pass", ERROR: "error"}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _test(check: CheckResult) -> dict:
    message = shown_message(check) if check.status != PASSED else ""
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
    """A workflow command's message: %, CR and LF escaped as the runner expects."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def render(report: Report) -> str:
    warnings = [f"::warning title=Notebook::{_escape(warning)}" for warning in report.warnings]
    return "\n".join([f"result={encoded(report)}", *notices(report), *warnings]) + "\n"
