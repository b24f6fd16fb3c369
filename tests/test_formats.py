"""Report formats: each validates against what the platform reading it expects."""

from __future__ import annotations

import base64
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from jsonschema import Draft202012Validator

from grader.reports.formats import classroom, gradescope, junit, markdown
from grader.reports.report import CellEvent, CheckResult, Report


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
    hidden = getattr(gradescope, "HIDDEN_VISIBILITY", "hidden")  # the Gradescope format's choice for hidden checks
    assert [t["visibility"] for t in data["tests"]] == [hidden if c.visibility == "hidden" else "visible"
                                                        for c in report.checks]


def check_classroom(text, report, root):
    lines = text.strip().splitlines()
    assert lines[0].startswith("result=")
    data = json.loads(base64.b64decode(lines[0].removeprefix("result=")))
    _validate("classroom_result.schema.json", data, root)
    assert data["max_score"] == report.max_score and len(data["tests"]) == len(report.checks)
    assert data["status"] == ("pass" if report.all_passed else "fail")
    total, maximum = f"{report.score:g}", f"{report.max_score:g}"
    # the points lines come last, after every per-check result and warning
    assert lines[-2] == f"::notice title=Autograding complete::Points {total}/{maximum}"
    assert json.loads(lines[-1].split("::", 2)[2]) == {"totalPoints": report.score, "maxPoints": report.max_score}


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
    assert "```text\nlstm_step(x) <got> `(1,)` & expected (2, 4)\nline 2\n```" in text  # messages as code blocks
    assert "AUC 0.61" not in text and markdown.HIDDEN_MESSAGE in text  # hidden checks keep their details
    assert "2/2" in text and "2/8.5 points" in text


def test_classroom_hides_hidden_messages_and_reports_errors():
    report = sample_report()
    data = classroom.result(report)
    assert "AUC" not in json.dumps(data)
    report.internal_errors = ["boom"]
    assert classroom.result(report)["status"] == "error"


@pytest.mark.parametrize("name", ["markdown", "gradescope", "junit", "classroom", "json", "terminal", "html"])
def test_every_format_is_registered(name):
    from grader.reports import formats

    assert formats.get(name)(sample_report())


# -- each format read by the program that reads it ------------------------------------------------------
def long_report() -> Report:
    """The sample with a skipped check, a warning and a failure message far longer than one line."""
    report = sample_report()
    report.checks.append(CheckResult("pending", "needs the private course", 0, 1, "skipped"))
    report.checks[1].message = ("run_sequence('lstm', xs, p, return_sequences=True) with batch=3, T=5, m=4, n=3: "
                                "max abs error 0.282 (tolerance 1e-05); at index [0, 1, 2] expected 0.237021, got "
                                "-0.0446081 — lstm_step itself is wrong (see its check), and run_sequence uses it " * 3)
    report.warnings = ["this notebook's metadata says it is lab 02-tracing-vs-passfail, but it was graded as lab "
                       "01-rnn-cells: did you submit the right notebook?"]
    return report


def test_junit_as_junitparser_reads_it(tmp_path):
    from junitparser import Error, Failure, JUnitXml, Skipped

    path = tmp_path / "junit.xml"
    report = long_report()
    path.write_text(junit.render(report))
    xml = JUnitXml.fromfile(str(path))
    declared = (xml.tests, xml.failures, xml.errors, xml.time)
    assert declared == (5, 2, 1, pytest.approx(0.1))
    xml.update_statistics()  # what a reader recounts from the testcases: the same numbers
    assert (xml.tests, xml.failures, xml.errors, xml.time) == declared
    suite = next(iter(xml))
    assert suite.skipped == 1
    suite_declared = (suite.tests, suite.failures, suite.errors, suite.skipped, suite.time)
    suite.update_statistics()
    assert (suite.tests, suite.failures, suite.errors, suite.skipped, suite.time) == suite_declared
    cases = {case.name: case for case in suite}
    assert set(cases) == {f"{c.id}: {c.title}" for c in report.checks}
    kinds = {name: [type(r) for r in case.result] for name, case in cases.items()}
    assert kinds["lstm-step: lstm_step"] == [Failure] and kinds["gru-step: gru_step"] == [Error]
    assert kinds["pending: needs the private course"] == [Skipped] and kinds["rnn-step: rnn_step | the equation"] == []
    assert suite._elem.get("file") == "sub.ipynb"
    for case in suite:
        assert case.classname == suite.name == "01-rnn-cells[torch]"  # one group in dorny/test-reporter
        assert "." not in case.classname and "/" not in case.classname
        for result in case.result:
            assert result.type is None  # readers print the type before the message: "failed: ..." said nothing
            assert not (result.message or "").startswith(("failed", "error"))
    failure = cases["lstm-step: lstm_step"].result[0]
    assert len(failure.message) <= junit.MESSAGE_LIMIT and failure.message.endswith("…")
    assert failure.text == report.checks[1].message  # the whole message stays in the body
    assert "AUC" not in path.read_text()  # hidden check: the students' check run shows no details


def test_junit_test_names_do_not_change_with_the_score():
    report = sample_report()
    before = [c.get("name") for c in ET.fromstring(junit.render(report)).iter("testcase")]
    for check in report.checks:
        check.score, check.status = check.max_score, "passed"
    after = [c.get("name") for c in ET.fromstring(junit.render(report)).iter("testcase")]
    assert before == after and not any("point" in name for name in before)


def _reporter_points(runners: dict[str, dict]) -> tuple[float, float, float]:
    """The arithmetic of classroom-resources/autograding-grading-reporter: (its table's total: passed tests /
    tests × max_score per runner, the notice's total: the sum of the tests' score, the notice's maximum)."""
    table = sum(sum(t["status"] == "pass" for t in r["tests"]) / len(r["tests"]) * (r["max_score"] or 0)
                for r in runners.values())
    notice = sum(t["score"] for r in runners.values() if r["max_score"] for t in r["tests"])
    return table, notice, sum(r["max_score"] for r in runners.values() if r["max_score"])


def test_classroom_runner_results_agree_with_the_notice(root):
    report = long_report()
    runners = classroom.runner_results(report)
    assert list(runners) == [c.id for c in report.checks]
    for data in runners.values():
        _validate("classroom_result.schema.json", data, root)
    table, notice, maximum = _reporter_points(runners)
    assert table == notice == report.score and maximum == report.max_score
    # the whole result in one runner weighs every check the same in the reporter's table: it cannot agree
    whole_table, whole_notice, _ = _reporter_points({"grader": classroom.result(report)})
    assert whole_notice == report.score and whole_table != report.score
    outputs = dict(line.split("=", 1) for line in classroom.github_outputs(report).splitlines())
    assert set(outputs) == {"result"} | {f"result-{c.id}" for c in report.checks}
    assert json.loads(base64.b64decode(outputs["result-lstm-step"])) == runners["lstm-step"]


def test_classroom_reporter_prints_no_line_and_shows_failed_messages(root):
    report = long_report()
    data = classroom.result(report)
    _validate("classroom_result.schema.json", data, root)
    tests = {t["name"].split(":")[0]: t for t in data["tests"]}
    assert all(t["line_no"] == 0 for t in data["tests"])  # the reporter prints "- line <n>" unless 0
    assert tests["lstm-step"]["test_code"] == report.checks[1].message  # printed under a failed test
    assert tests["gru-step"]["message"] == "the kernel died"  # an errored test prints its message
    assert tests["secret"]["test_code"] == classroom.HIDDEN_MESSAGE and "AUC" not in json.dumps(data)
    assert "private course" in tests["pending"]["test_code"]
    assert "rnn-step" in tests and "test_code" not in tests["rnn-step"]
    assert "::warning title=Notebook::this notebook's metadata says" in classroom.render(report)


def _markdown_tokens(text):
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").parse(text)  # GitHub's tables on CommonMark


def test_markdown_as_github_draws_it():
    report = long_report()
    report.notes = ["the kernel was restarted 1 time(s)", "second note"]
    text = markdown.render(report)
    tokens = _markdown_tokens(text)
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) == 1 + len(report.checks)  # the checks' table; the cells' messages are a code block
    depth, footer_depth, quoted = 0, None, []
    for token in tokens:
        depth += token.type == "blockquote_open"
        depth -= token.type == "blockquote_close"
        if token.type in ("inline", "fence") and depth:
            quoted.append(token.content)
        if token.type == "inline" and "Graded in" in token.content:
            footer_depth = depth
    assert footer_depth == 0  # the footer is not drawn inside the last note's quote
    assert any(q.endswith("the kernel was restarted 1 time(s)\nsecond note\n") for q in quoted)
    assert "[!NOTE]" in quoted
    assert any("metadata says it is lab" in q and "02-tracing-vs-passfail" in q for q in quoted)
    assert "[!WARNING]" in quoted
    blocks = [t.content for t in tokens if t.type == "fence"]
    shown = [line for block in blocks for line in block.splitlines()]
    assert blocks and all(len(line) <= 100 for line in shown), max(shown, key=len)
    assert "cell 4: timeout: ran longer than 60 s | interrupted\n" in blocks
    assert any("lstm_step itself is wrong" in block for block in blocks)
    assert "| ⏳ | **pending**" in text and "| –/1 |" in text and "pending/1" not in text  # as the terminal says


def test_markdown_says_where_the_html_report_is(monkeypatch):
    assert "report.html" not in markdown.render(sample_report())
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "course/alice")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    text = markdown.render(sample_report())
    assert "`report.html`" in text and "https://github.com/course/alice/actions/runs/42" in text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_takes_width_and_colour_from_the_terminal(monkeypatch):
    from grader.reports.formats import terminal

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "72")
    report = long_report()
    on_tty = terminal.render(report, stream=_Terminal())
    assert "\x1b[" in on_tty and "\x1b[32m" in on_tty  # green "passed"
    plain_lines = re.sub(r"\x1b\[[0-9;]*m", "", on_tty).splitlines()
    assert max(len(line) for line in plain_lines) == 72
    monkeypatch.setenv("COLUMNS", "150")
    assert max(len(line) for line in re.sub(r"\x1b\[[0-9;]*m", "", terminal.render(report, stream=_Terminal()))
               .splitlines()) == 150
    monkeypatch.setenv("NO_COLOR", "1")
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", terminal.render(report, stream=_Terminal()))  # no colours
    piped = terminal.render(report, stream=io.StringIO())
    assert "\x1b[" not in piped and max(len(line) for line in piped.splitlines()) == terminal.FILE_WIDTH
    assert "warning: this notebook's metadata says" in piped and "1 pending" in piped


def test_messages_are_cut_with_an_ellipsis():
    from grader.judging.checks.base import fmt_shape
    from grader.reports.formats.common import first_line, shorten

    assert shorten("abcdef", 4) == "abc…" and shorten("abc", 4) == "abc"
    assert first_line("one\ntwo", 50) == "one …"
    assert fmt_shape("x" * 500).endswith("…") and len(fmt_shape("x" * 500)) == 120
    from test_judges import _answer, _ctx

    from grader.judging.checks import registry
    from grader.kernel.probing import CallError, CallResult

    raised = CallResult(False, error=CallError("ValueError", "nn.GRU cannot " + "compute this " * 40))
    verdict = _answer(registry.get("builtin_raises"), {"cell": "gru", "error": "ValueError"}, _ctx(), lambda c: raised)
    assert verdict.passed and verdict.message.endswith("…") and len(verdict.message) < 260


def _notebook(lab: str | None, framework: str | None, imports: str):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(imports)]
    if lab:
        nb.metadata["grader"] = {"lab": lab, "framework": framework}
    return nb


def test_a_notebook_of_another_lab_or_flavour_is_warned_about():
    from grader.course.notebook import mismatch_warnings

    other_lab = mismatch_warnings(_notebook("02-tracing-vs-passfail", "torch", "import torch"), "01-rnn-cells", "torch")
    assert len(other_lab) == 1 and "02-tracing-vs-passfail" in other_lab[0] and "01-rnn-cells" in other_lab[0]
    other_flavour = mismatch_warnings(_notebook("01-rnn-cells", "keras", "import keras"), "01-rnn-cells", "torch")
    assert len(other_flavour) == 1 and "keras flavour" in other_flavour[0]
    keras_imports = mismatch_warnings(_notebook(None, None, "import numpy as np\nfrom tensorflow import keras"),
                                      "01-rnn-cells", "torch")
    assert len(keras_imports) == 1 and "Keras/TensorFlow" in keras_imports[0] and "torch flavour" in keras_imports[0]
    both = mismatch_warnings(_notebook(None, None, "import torch\nimport keras"), "01-rnn-cells", "torch")
    assert "too" in both[0]
    assert mismatch_warnings(_notebook("01-rnn-cells", "torch", "import torch"), "01-rnn-cells", "torch") == []


@pytest.mark.parametrize("name", ["terminal", "json", "markdown", "html", "junit", "classroom"])
def test_every_format_shows_the_warning(name):
    from grader.reports import formats

    text = formats.render(long_report(), name)
    assert "metadata says it is lab 02-tracing-vs-passfail" in text.replace("&#x27;", "'")


def test_cli_writes_one_runner_result_per_check(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from grader.cli import main
    from grader.judging import grading

    monkeypatch.setattr(grading, "grade", lambda *args, **kwargs: long_report())
    outputs = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    page = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["check", "sub.ipynb", "--format", "classroom", "--format", "html",
                                       "--output", str(tmp_path / "c.txt"), "--output", str(page)])
    assert result.exit_code == 1, result.output
    keys = [line.split("=", 1)[0] for line in outputs.read_text().splitlines()]
    assert keys == ["result"] + [f"result-{c.id}" for c in long_report().checks]
    assert page.read_text().startswith("<!DOCTYPE html>")


# -- JUnit against its strictest readers --------------------------------------------------------------------
# The constraints of Jenkins' junit-10.xsd (jenkinsci/xunit-plugin, src/main/resources/org/jenkinsci/plugins/
# xunit/types/model/xsd/junit-10.xsd, MIT licence): per element, (allowed attributes, required attributes,
# allowed children). failure/error/skipped hold text; system-out/system-err are plain strings.
_RESULT = ({"type", "message"}, set(), set())
JUNIT_10 = {
    "testsuites": ({"name", "time", "tests", "failures", "errors"}, set(), {"testsuite"}),
    "testsuite": ({"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp", "hostname", "id",
                   "package", "file", "log", "url"}, {"name", "tests", "failures", "errors"},
                  {"testsuite", "properties", "testcase", "system-out", "system-err"}),
    "testcase": ({"name", "time", "classname", "group"}, {"name"},
                 {"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure", "flakyError",
                  "system-out", "system-err"}),
    "failure": _RESULT, "error": _RESULT, "skipped": _RESULT,
    "properties": (set(), set(), {"property"}),
    "property": ({"name", "value"}, {"name", "value"}, set()),
    "system-out": (set(), set(), set()), "system-err": (set(), set(), set()),
}
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")


def junit_10_violations(root: ET.Element) -> list[str]:
    problems = [] if root.tag in ("testsuites", "testsuite") else [f"root <{root.tag}>"]
    for element in root.iter():
        if element.tag not in JUNIT_10:
            problems.append(f"<{element.tag}> is not in the schema")
            continue
        allowed, required, children = JUNIT_10[element.tag]
        problems += [f"<{element.tag}> has {name}" for name in set(element.attrib) - allowed]
        problems += [f"<{element.tag}> lacks {name}" for name in required - set(element.attrib)]
        problems += [f"<{child.tag}> inside <{element.tag}>" for child in element if child.tag not in children]
        time = element.get("time") if element.tag in ("testsuites", "testsuite") else None
        if time is not None and not SUREFIRE_TIME.fullmatch(time):
            problems.append(f"<{element.tag}> time={element.get('time')!r}")
    return problems


@pytest.mark.parametrize("make", [sample_report, long_report])
def test_junit_keeps_to_jenkins_junit_10_xsd(make):
    assert junit_10_violations(ET.fromstring(junit.render(make()))) == []


def test_junit_reads_cleanly_in_the_github_actions(tmp_path, monkeypatch):
    """What dorny/test-reporter's java-junit parser and mikepenz/action-junit-report make of it."""
    monkeypatch.chdir(tmp_path)
    report = long_report()
    report.notebook = str(tmp_path / "submission" / "lab01.ipynb")  # the grader resolved it
    root = ET.fromstring(junit.render(report))
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    # dorny: a testcase whose classname differs from its suite's name opens a group of its own
    assert {case.get("classname") if case.get("classname") != suite.get("name") else "" for case in cases} == {""}
    # mikepenz: the annotation's file is testcase/@file, else failure/@file, else testsuite/@file; the title
    # "<file>.<test name>"; neither may carry the grader machine's absolute path
    files = {case.get("file") or (case.find("failure") if case.find("failure") is not None else case).get("file")
             or suite.get("file") for case in cases}
    assert files == {"submission/lab01.ipynb"}
    assert str(tmp_path) not in ET.tostring(root, encoding="unicode")
    report.notebook = "/elsewhere/alice/lab01.ipynb"  # outside the working directory: its name alone
    assert ET.fromstring(junit.render(report)).find("testsuite").get("file") == "lab01.ipynb"
    # each check's points stay in the document, on the suite where the schema allows properties
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["lstm-step.score"] == "0" and properties["lstm-step.max_score"] == "3"
