"""GitHub Classroom: the autograding runner result and the lines Classroom's reporter prints.

The runner result is base64 of ``{"version": 1, "status", "max_score", "tests": [...]}``; a workflow
passes it on as the step output ``result`` (the CLI writes it to ``$GITHUB_OUTPUT`` when that is set).
The two ``::notice`` lines are what Classroom reads the points from.
"""

from __future__ import annotations

import base64
import json

from grader.formats.markdown import HIDDEN_MESSAGE
from grader.report import ERROR, PASSED, Report

_STATUS = {PASSED: "pass", ERROR: "error"}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def result(report: Report) -> dict:
    status = "error" if report.internal_errors else ("pass" if report.all_passed else "fail")
    return {
        "version": 1,
        "status": status,
        "max_score": _number(report.max_score),
        "tests": [
            {
                "name": f"{check.id}: {check.title}",
                "status": _STATUS.get(check.status, "fail"),
                "score": _number(check.score),
                "max_score": _number(check.max_score),
                "message": HIDDEN_MESSAGE if check.visibility == "hidden" and not check.passed else check.message,
                "execution_time": f"{check.seconds:.2f}s",
            }
            for check in report.checks
        ],
    }


def encoded(report: Report) -> str:
    return base64.b64encode(json.dumps(result(report)).encode()).decode("ascii")


def notices(report: Report) -> list[str]:
    points = {"totalPoints": _number(report.score), "maxPoints": _number(report.max_score)}
    return [
        f"::notice title=Autograding complete::Points {points['totalPoints']}/{points['maxPoints']}",
        f"::notice title=Autograding report::{json.dumps(points, separators=(',', ':'))}",
    ]


def render(report: Report) -> str:
    return "\n".join([f"result={encoded(report)}", *notices(report)]) + "\n"
