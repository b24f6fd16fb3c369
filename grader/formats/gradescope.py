"""Gradescope's ``results.json`` (https://gradescope-autograders.readthedocs.io/en/latest/specs/).

- The total is always visible: Gradescope hides a student's total when any test is ``hidden``, so a
  check whose spec says ``hidden`` becomes a test shown ``after_due_date``, with its score kept.
- One test per check, numbered in the spec's order (``number``), named as plain text.
- Outputs are Markdown (``output_format``/``test_output_format`` ``md``), and every message, which may
  quote values the student's code returned, sits in a fenced code block: never raw text that Gradescope
  would render. The autograder's own stdout stays hidden from students (``stdout_visibility``).
"""

from __future__ import annotations

import json
import re

from grader.report import PASSED, SKIPPED, Report

HIDDEN_VISIBILITY = "after_due_date"


def fenced(text: str) -> str:
    """``text`` as a literal Markdown block, whatever backticks it holds."""
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}text\n{text}\n{fence}"


def _output(report: Report) -> str:
    lines = [f"**{report.lab}** ({report.framework}): {report.score:g}/{report.max_score:g} points"]
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


def to_dict(report: Report) -> dict:
    return {
        "score": report.score,
        "execution_time": round(report.execution_seconds + report.grading_seconds, 3),
        "output": _output(report),
        "output_format": "md",
        "test_output_format": "md",
        "test_name_format": "text",
        "stdout_visibility": "hidden",
        "visibility": "visible",
        "extra_data": {"lab": report.lab, "framework": report.framework, "seed": report.seed,
                       "sandbox": report.sandbox, "course": report.course},
        "tests": [
            {
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
            for number, check in enumerate(report.checks, start=1)
        ],
    }


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2) + "\n"
