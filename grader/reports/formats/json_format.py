"""The JSON report (documented in docs/reports.md)."""

from __future__ import annotations

import json

from grader.reports.report import Report


def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"
