"""JUnit XML, as GitHub test-report actions and CI servers read it: one testcase per check."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.report import ERROR, PASSED, Report


def render(report: Report) -> str:
    failures = sum(check.status not in (PASSED, ERROR) for check in report.checks)
    errors = sum(check.status == ERROR for check in report.checks)
    total_time = f"{report.execution_seconds + report.grading_seconds:.3f}"
    counts = {"tests": str(len(report.checks)), "failures": str(failures), "errors": str(errors), "time": total_time}
    suites = ET.Element("testsuites", {"name": "grader", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": f"{report.lab} ({report.framework})", "skipped": "0", **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("lab", report.lab), ("framework", report.framework), ("notebook", report.notebook),
                        ("seed", str(report.seed)), ("score", f"{report.score:g}"),
                        ("max_score", f"{report.max_score:g}")):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for check in report.checks:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"{report.lab}.{report.framework}",
            "name": f"{check.id}: {check.title} ({check.score:g}/{check.max_score:g} points)",
            "time": f"{check.seconds:.3f}",
        })
        if check.status != PASSED:
            tag = "error" if check.status == ERROR else "failure"
            element = ET.SubElement(case, tag, {"message": check.message.split("\n", 1)[0][:500], "type": check.status})
            element.text = check.message
    if report.cells or report.notes:
        out = ET.SubElement(suite, "system-out")
        out.text = "\n".join([f"cell {e.index + 1}: {e.status}: {e.message}" for e in report.cells] + report.notes)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
