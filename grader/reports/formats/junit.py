"""JUnit XML, as GitHub test-report actions and CI servers read it: one testcase per check.

The document keeps to Jenkins' ``junit-10.xsd`` (the xunit plugin's schema, the strictest reader): counts
and ``time`` on ``<testsuites>`` (no ``skipped`` there), ``skipped`` and ``file`` on ``<testsuite>``, only
``name``, ``classname`` and ``time`` on ``<testcase>``, and ``<properties>`` only on the suite (each check's
points are there, as ``<check id>.score`` and ``<check id>.max_score``).

A testcase's name is the check's id and title only (never its points), so that test-history tools see the
same test on every run. ``classname`` is the suite's name, ``lab[flavour]`` with no dot (readers take dots
for packages or paths): dorny/test-reporter then lists the checks in one group, not a group per class. The
notebook (``file`` on the suite, where mikepenz/action-junit-report puts its annotations) is named relative to
the working directory, or by its file name when it lies elsewhere: never the grader machine's absolute path.
Every text goes through :func:`grader.reports.formats.inert.xml`: a message may quote the student, and a control
character would make the document unparsable.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from grader.reports.formats.common import first_line, points, run_lines, shown_message
from grader.reports.formats.inert import xml
from grader.reports.report import ERROR, PASSED, SKIPPED, Report

MESSAGE_LIMIT = 300


def classname(report: Report) -> str:
    return f"{report.lab}[{report.framework}]"


def notebook_path(notebook: str) -> str:
    """The notebook as a reader of the XML should name it: relative to the working directory when it lies
    under it (in GitHub Actions, the workspace), else its file name alone."""
    path = Path(notebook)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.name


def render(report: Report) -> str:
    statuses = [check.status for check in report.checks]
    times = [round(check.seconds, 3) for check in report.checks]
    counts = {
        "tests": str(len(statuses)),
        "failures": str(sum(status not in (PASSED, ERROR, SKIPPED) for status in statuses)),
        "errors": str(statuses.count(ERROR)),
        "time": f"{sum(times):.3f}",
    }
    notebook = xml(notebook_path(report.notebook))
    name = xml(classname(report))
    suites = ET.Element("testsuites", {"name": "grader", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": name, **counts, "skipped": str(statuses.count(SKIPPED)),
                                                "file": notebook})
    properties = ET.SubElement(suite, "properties")
    values = [("lab", report.lab), ("framework", report.framework), ("notebook", notebook),
              ("seed", str(report.seed)), ("score", points(report.score)), ("max_score", points(report.max_score)),
              ("pending_score", points(report.pending_score)),
              ("execution_seconds", f"{report.execution_seconds:.3f}"),
              ("grading_seconds", f"{report.grading_seconds:.3f}"), ("sandbox", report.sandbox),
              ("course", report.course)]
    for check in report.checks:
        values += [(f"{check.id}.score", points(check.score)), (f"{check.id}.max_score", points(check.max_score)),
                   (f"{check.id}.visibility", check.visibility)]
    for key, value in values:
        ET.SubElement(properties, "property", {"name": xml(key), "value": xml(value)})
    for check, seconds in zip(report.checks, times, strict=True):
        case = ET.SubElement(suite, "testcase", {
            "classname": name,
            "name": xml(f"{check.id}: {check.title}"),
            "time": f"{seconds:.3f}",
        })
        if check.status == PASSED:
            continue
        message = xml(shown_message(check))
        tag = {ERROR: "error", SKIPPED: "skipped"}.get(check.status, "failure")
        # no "type": readers print it before the message, and "failed" says nothing the tag does not
        element = ET.SubElement(case, tag, {"message": first_line(message, MESSAGE_LIMIT)})
        if tag != "skipped":
            element.text = message
    lines = [f"cell {e.index + 1}: {e.status}: {e.message}" for e in report.cells] + run_lines(report)
    if lines:
        out = ET.SubElement(suite, "system-out")
        out.text = xml("\n".join(lines))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
