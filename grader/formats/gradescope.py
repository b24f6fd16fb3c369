"""Gradescope's ``results.json``: score, execution time and one test per check."""

from __future__ import annotations

import json

from grader.report import PASSED, Report

_VISIBILITY = {"public": "visible", "hidden": "hidden"}


def _output(report: Report) -> str:
    lines = [f"{report.lab} ({report.framework}): {report.score:g}/{report.max_score:g} points, seed {report.seed}"]
    lines += [f"cell {event.index + 1}: {event.status}: {event.message}" for event in report.cells]
    lines += list(report.notes)
    return "\n".join(lines)


def to_dict(report: Report) -> dict:
    return {
        "score": report.score,
        "execution_time": round(report.execution_seconds + report.grading_seconds, 3),
        "output": _output(report),
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": f"{check.id}: {check.title}",
                "score": check.score,
                "max_score": check.max_score,
                "status": "passed" if check.status == PASSED else "failed",
                "output": check.message,
                "visibility": _VISIBILITY.get(check.visibility, "visible"),
            }
            for check in report.checks
        ],
    }


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2) + "\n"
