"""JUnit XML, as GitHub test-report actions and CI servers read it: one testcase per check.

A testcase's name is the check's id and title only (never its points), so that test-history tools see the
same test on every run; ``classname`` is ``lab[flavour]`` with no dot (readers take dots for packages or
paths) and ``file`` the notebook, where annotations belong. The counts on ``<testsuite>`` and
``<testsuites>`` are those a reader recomputes from the testcases.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.formats.common import first_line, points, run_lines, shown_message
from grader.report import ERROR, PASSED, SKIPPED, Report

MESSAGE_LIMIT = 300


def classname(report: Report) -> str:
    return f"{report.lab}[{report.framework}]"


def render(report: Report) -> str:
    statuses = [check.status for check in report.checks]
    times = [round(check.seconds, 3) for check in report.checks]
    counts = {
        "tests": str(len(statuses)),
        "failures": str(sum(status not in (PASSED, ERROR, SKIPPED) for status in statuses)),
        "errors": str(statuses.count(ERROR)),
        "skipped": str(statuses.count(SKIPPED)),
        "time": f"{sum(times):.3f}",
    }
    suites = ET.Element("testsuites", {"name": "grader", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": f"{report.lab} ({report.framework})", **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("lab", report.lab), ("framework", report.framework), ("notebook", report.notebook),
                        ("seed", str(report.seed)), ("score", points(report.score)),
                        ("max_score", points(report.max_score)), ("pending_score", points(report.pending_score)),
                        ("execution_seconds", f"{report.execution_seconds:.3f}"),
                        ("grading_seconds", f"{report.grading_seconds:.3f}"),
                        ("sandbox", report.sandbox), ("course", report.course)):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for check, seconds in zip(report.checks, times, strict=True):
        case = ET.SubElement(suite, "testcase", {
            "classname": classname(report),
            "name": f"{check.id}: {check.title}",
            "file": report.notebook,
            "time": f"{seconds:.3f}",
        })
        case_properties = ET.SubElement(case, "properties")
        for name, value in (("score", points(check.score)), ("max_score", points(check.max_score)),
                            ("visibility", check.visibility)):
            ET.SubElement(case_properties, "property", {"name": name, "value": value})
        if check.status == PASSED:
            continue
        message = shown_message(check)
        tag = {ERROR: "error", SKIPPED: "skipped"}.get(check.status, "failure")
        # no "type": readers print it before the message, and "failed" says nothing the tag does not
        element = ET.SubElement(case, tag, {"message": first_line(message, MESSAGE_LIMIT)})
        if tag != "skipped":
            element.text = message
    lines = [f"cell {e.index + 1}: {e.status}: {e.message}" for e in report.cells] + run_lines(report)
    if lines:
        out = ET.SubElement(suite, "system-out")
        out.text = "\n".join(lines)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
