"""Report formats: each validates against what the platform reading it expects."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET

import pytest
from jsonschema import Draft202012Validator

from grader.formats import classroom, gradescope, junit, markdown
from grader.report import CellEvent, CheckResult, Report


def sample_report() -> Report:
    report = Report("01-rnn-cells", "torch", "sub.ipynb", seed=5, execution_seconds=2.0, grading_seconds=0.5)
    report.checks = [
        CheckResult("rnn-step", "rnn_step | the equation", 2, 2, "passed", "fine", seconds=0.1),
        CheckResult("lstm-step", "lstm_step", 0, 3, "failed", "lstm_step(x) <got> `(1,)` & expected (2, 4)\nline 2"),
        CheckResult("gru-step", "gru_step", 0, 1, "error", "the kernel died"),
        CheckResult("secret", "hidden data", 0, 2.5, "failed", "AUC 0.61 < 0.85 on hidden labels", visibility="hidden"),
    ]
    report.cells = [CellEvent(3, "timeout", "ran longer than 60 s | interrupted")]
    report.notes = ["the kernel was restarted 1 time(s)"]
    return report


def _validate(schema_name, data, root):
    schema = json.loads((root / "tests" / "schemas" / schema_name).read_text())
    errors = list(Draft202012Validator(schema).iter_errors(data))
    assert not errors, [e.message for e in errors]


def check_gradescope(text, report, root):
    data = json.loads(text)
    _validate("gradescope_results.schema.json", data, root)
    assert data["score"] == report.score
    assert [t["status"] for t in data["tests"]] == ["passed" if c.passed else "failed" for c in report.checks]
    assert [t["visibility"] for t in data["tests"]] == ["hidden" if c.visibility == "hidden" else "visible"
                                                        for c in report.checks]


def check_classroom(text, report, root):
    lines = text.strip().splitlines()
    assert lines[0].startswith("result=")
    data = json.loads(base64.b64decode(lines[0].removeprefix("result=")))
    _validate("classroom_result.schema.json", data, root)
    assert data["max_score"] == report.max_score and len(data["tests"]) == len(report.checks)
    assert data["status"] == ("pass" if report.all_passed else "fail")
    total, maximum = f"{report.score:g}", f"{report.max_score:g}"
    assert lines[1] == f"::notice title=Autograding complete::Points {total}/{maximum}"
    assert json.loads(lines[2].split("::", 2)[2]) == {"totalPoints": report.score, "maxPoints": report.max_score}


def check_junit(text, report):
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    failed = [c for c in report.checks if c.status == "failed"]
    errors = [c for c in report.checks if c.status == "error"]
    assert int(suite.get("tests")) == len(cases) == len(report.checks)
    assert int(suite.get("failures")) == len(failed) == len(suite.findall("testcase/failure"))
    assert int(suite.get("errors")) == len(errors) == len(suite.findall("testcase/error"))
    for case in cases:
        assert case.get("classname") and case.get("name") and float(case.get("time")) >= 0


def check_markdown(text, report):
    lines = text.splitlines()
    assert lines[0].startswith("<!-- grader-report") and lines[0].endswith("-->")
    header = lines.index("| | check | points |")
    assert lines[header + 1] == "|---|---|---|"
    rows = lines[header + 2: header + 2 + len(report.checks)]
    assert all(row.startswith("| ") and row.count(" | ") == 2 for row in rows), rows
    assert text.count("<details>") == text.count("</details>") == sum(not c.passed for c in report.checks)


def test_gradescope(root):
    check_gradescope(gradescope.render(sample_report()), sample_report(), root)


def test_classroom(root):
    check_classroom(classroom.render(sample_report()), sample_report(), root)


def test_junit():
    check_junit(junit.render(sample_report()), sample_report())


def test_markdown_table_escapes_and_hides():
    text = markdown.render(sample_report())
    check_markdown(text, sample_report())
    assert "rnn_step \\| the equation" in text  # a pipe in a title does not break the table
    assert "&lt;got&gt;" in text  # messages are escaped inside <pre>
    assert "AUC 0.61" not in text and markdown.HIDDEN_MESSAGE in text  # hidden checks keep their details
    assert "2/2" in text and "2/8.5 points" in text


def test_classroom_hides_hidden_messages_and_reports_errors():
    report = sample_report()
    data = classroom.result(report)
    assert "AUC" not in json.dumps(data)
    report.internal_errors = ["boom"]
    assert classroom.result(report)["status"] == "error"


@pytest.mark.parametrize("name", ["markdown", "gradescope", "junit", "classroom", "json", "terminal"])
def test_every_format_is_registered(name):
    from grader import formats

    assert formats.get(name)(sample_report())
