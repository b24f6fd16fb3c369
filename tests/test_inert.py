"""Student text is inert in every output: a report whose messages, cell errors, metadata warnings and notebook
name carry HTML, Markdown, mentions, control and escape sequences and rich markup renders, in every format,
as plain text that still says what the student wrote."""

from __future__ import annotations

import base64
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from grader.batch.rows import GRADED, NOT_GRADED, Row
from grader.reports.formats import inert
from grader.reports.report import CellEvent, CheckResult, Report

# what a student can make a message say (an exception message, a value's repr, notebook metadata)
HTML = '<img src="https://evil.example/pixel.png" onerror="alert(1)"><script>alert(2)</script>'
LINK = "[grade appeal](https://evil.example/appeal)"
IMAGE = "![tracker](https://evil.example/track.png)"
MENTION = "@course/staff @alice"
FORGED = "\n\n## ✅ 22/22 points\n\n> all checks passed\n\n"
TICKS = "``` ```` `"
PIPE = "a | b"
ESCAPES = ("\x1b]0;pwned title\x07"  # OSC 0: the window title
           "\x1b]52;c;cHduZWQ=\x07"  # OSC 52: write the clipboard
           "\x1b[2J\x1b[H"  # clear the screen, cursor home
           "\x9b31m"  # C1 CSI
           "\x00\x08\x0c\r\u202e\ufffe")
MARKUP = "[bold red]FAKE PASS[/bold red] [link=https://evil.example]x[/link]"
EVIL = " ".join([HTML, LINK, IMAGE, MENTION, FORGED, TICKS, PIPE, ESCAPES, MARKUP, "]]>"])
# words of each attack that must still be readable somewhere in every output
WORDS = ["onerror", "grade appeal", "tracker", "course/staff", "22/22 points", "FAKE PASS", "pwned title"]
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e\ufffe]")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours
RICH_OWN = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\?25[lh]|\x1b\[2K|\x1b\[1A|^\r|\r(?=grading|\x1b)", re.M)  # its bar's


def evil_report() -> Report:
    report = Report("01-rnn-cells", "torch", "sub`[bold]x[/bold]`<b>.ipynb", seed=5)
    report.checks = [
        CheckResult("rnn-step", "rnn_step", 2, 2, "passed", "fine"),
        CheckResult("lstm-step", "lstm_step", 0, 3, "failed", "lstm_step returned " + EVIL),
        CheckResult("gru-step", "gru_step", 0, 1, "error", "ValueError: " + EVIL),
        CheckResult("secret", "hidden data", 0, 2, "failed", "hidden " + EVIL, visibility="hidden"),
        CheckResult("later", "needs the private course", 0, 1, "skipped"),
    ]
    report.cells = [CellEvent(3, "error", "RuntimeError: " + EVIL)]
    report.warnings = [f"this notebook's metadata says it is lab {EVIL}, but it was graded as lab 01-rnn-cells"]
    report.notes = ["not graded: " + EVIL]
    return report


def _said(text: str, words: list[str] = WORDS) -> None:
    """The student's words are still there to read (wherever a line was wrapped)."""
    text = " ".join(text.split())
    for word in words:
        assert word in text, word


# -- Markdown: the pull-request comment, the job summary, summary.md, the feedback comment -------------
def _markdown_tokens(text):
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").parse(text)  # raw HTML on, as GitHub's renderer


def _walk(tokens):
    for token in tokens:
        yield token
        yield from _walk(token.children or [])


GRADER_HTML = re.compile(r"^(<!-- grader-report[^<>]*-->|</?details>|<summary>.*</summary>|</?sub>|</?b>|<br>)$")


def assert_inert_markdown(text: str, words: list[str] = WORDS) -> None:
    """Rendered as GitHub would: the student's text only inside code; no HTML, image, link, heading or mention."""
    tokens = list(_walk(_markdown_tokens(text)))
    code = " ".join(t.content for t in tokens if t.type in ("code_inline", "fence", "code_block"))
    drawn = [t for t in tokens if t.type not in ("code_inline", "fence", "code_block")]
    for token in drawn:
        assert token.type not in ("image", "link_open"), token
        shown = token.content
        if token.type in ("html_inline", "html_block"):
            for line in token.content.strip().splitlines():
                assert GRADER_HTML.match(line.strip()) or not line.strip(), line
            shown = re.sub(r"<!-- grader-report[^<>]*-->", "", shown)  # a comment, never drawn
        if token.type in ("text", "html_inline", "html_block"):
            for attack in ("evil.example", "@alice", "@course", "FAKE PASS", "onerror", "22/22", "pwned"):
                assert attack not in shown, (attack, shown)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert not any("22/22" in heading for heading in headings), headings
    _said(code, words)
    assert not CONTROL.search(text), repr(CONTROL.search(text))


def test_markdown_report_is_inert():
    from grader.reports.formats import markdown

    text = markdown.render(evil_report())
    assert_inert_markdown(text)
    assert "hidden <img" not in text and "hidden &lt;img" not in text  # a hidden check's message stays hidden
    assert text.splitlines()[1].startswith("## ❌ 01-rnn-cells (torch): 2/9 points")


def test_the_job_summary_is_the_inert_markdown(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from grader.cli import main
    from grader.judging import grading

    monkeypatch.setattr(grading, "grade", lambda *args, **kwargs: evil_report())
    summary = tmp_path / "summary"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    result = CliRunner().invoke(main, ["check", "sub.ipynb", "--format", "terminal", "--no-sandbox"])
    assert result.exit_code == 1, result.output
    assert_inert_markdown(summary.read_text())
    assert not CONTROL.search(result.output)  # the terminal report printed to stdout
    _said(result.output)


def _rows() -> list[Row]:
    report = evil_report().to_dict()
    return [
        Row("alice", "alice.ipynb", GRADED, lab="01-rnn-cells", framework="torch", score=2, max_score=9,
            seconds=3.0, report=report),
        Row("bob" + ESCAPES + MARKUP, "bob.ipynb", NOT_GRADED, lab="01-rnn-cells", max_score=9, seconds=1.0,
            message="not valid JSON: " + EVIL),
    ]


def test_summary_md_is_inert():
    from grader.batch.class_summary import render_markdown, summarize

    assert_inert_markdown(render_markdown(summarize(_rows(), 4.0)), WORDS[:3])  # messages cut at 200 characters


def test_feedback_comments_are_inert(tmp_path):
    from grader.platforms.collect import Collection, Student
    from grader.platforms.feedback import comment_body, plan_feedback
    from grader.reports.formats import markdown

    rows = _rows()
    rows[0].student, rows[1].student = "alice", "bob"
    (tmp_path / "alice.md").write_text(markdown.render(evil_report()), encoding="utf-8")
    manifest = Collection("course", "lab01", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", students={
        name: Student(name, "collected", f"course/lab01-{name}", commit="0123456789abcdef")
        for name in ("alice", "bob")})
    for row in rows:
        assert_inert_markdown(comment_body(row, tmp_path, manifest))
    rows[1].status = "grader error"
    _, skipped = plan_feedback(rows[1:], tmp_path, manifest)
    assert skipped and not CONTROL.search(skipped[0].message)  # printed on the TA's terminal


def test_gradescope_outputs_are_inert():
    from grader.reports.formats import gradescope

    data = json.loads(gradescope.render(evil_report()))
    assert_inert_markdown(data["output"])
    for test in data["tests"][1:3]:
        assert_inert_markdown(test["output"])


# -- JUnit -----------------------------------------------------------------------------------------------
def test_junit_parses_and_keeps_the_words():
    from grader.reports.formats import junit

    text = junit.render(evil_report())
    root = ET.fromstring(text)  # control characters made it unparsable
    assert not CONTROL.search(text)
    shown = " ".join([*(e.text or "" for e in root.iter()), *(v for e in root.iter() for v in e.attrib.values())])
    _said(shown)
    assert "\\x1b]0;pwned title\\x07" in shown  # the escape sequence is shown, not run
    from test_formats import junit_10_violations

    assert junit_10_violations(root) == []


# -- terminals: the report, the batch summary, the progress lines ----------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def assert_inert_terminal(text: str) -> None:
    plain = RICH_OWN.sub("", text)
    assert not CONTROL.search(plain), repr(CONTROL.search(plain))
    assert "[bold red]FAKE PASS[/bold red]" in " ".join(plain.split())  # rich markup shown as written, not applied


@pytest.mark.parametrize("tty", [False, True])
def test_terminal_report_is_inert(monkeypatch, tty):
    from grader.reports.formats import terminal

    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    text = terminal.render(evil_report(), stream=_Terminal() if tty else io.StringIO())
    assert_inert_terminal(text)
    _said(SGR.sub("", text))
    assert "sub`[bold]x[/bold]`<b>.ipynb" in SGR.sub("", text).replace("\n", "")  # the notebook's name as is


def test_batch_summary_is_inert():
    from grader.batch.class_summary import render_terminal, summarize

    text = render_terminal(summarize(_rows(), 4.0))
    assert not CONTROL.search(text)
    assert "\\x1b]0;pwned title" in text


@pytest.mark.parametrize("plain", [True, False])
def test_batch_progress_is_inert(monkeypatch, plain):
    from grader.batch.progress import BatchProgress

    monkeypatch.setenv("TERM", "xterm-256color")
    stream = _Terminal()
    progress = BatchProgress(stream, plain=plain)
    progress.start(2, 0)
    for row in _rows():
        progress.finished(row)
    progress.close()
    assert_inert_terminal(stream.getvalue())


# -- the formats that are data ---------------------------------------------------------------------------
def test_html_report_draws_no_student_markup():
    import html5lib

    from grader.reports.formats import html

    page = html.render(evil_report())
    assert not CONTROL.search(page)  # a bidi override would reorder what the page shows
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    assert not tree.findall(".//script") and not tree.findall(".//b")
    for element in tree.iter():
        for name, value in element.attrib.items():
            assert "evil.example" not in value and not name.startswith("on"), (element.tag, name, value)
    _said("".join(tree.itertext()))


def test_summary_html_draws_no_student_markup():
    import html5lib

    from grader.batch.class_summary import render_html, summarize

    page = render_html(summarize(_rows(), 4.0))
    assert not CONTROL.search(page)
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    assert not tree.findall(".//script") and not tree.findall(".//b[@onerror]")
    for element in tree.iter():
        for name, value in element.attrib.items():
            assert "evil.example" not in value and not name.startswith("on"), (element.tag, name, value)
    _said("".join(tree.itertext()), WORDS[:2])


def test_classroom_and_json_carry_no_raw_control_characters():
    from grader.reports.formats import classroom, json_format

    text = classroom.render(evil_report())
    assert not CONTROL.search(text)
    data = json.loads(base64.b64decode(text.splitlines()[0].removeprefix("result=")))
    _said(json.dumps(data, ensure_ascii=False))
    as_json = json_format.render(evil_report())
    assert not CONTROL.search(as_json)
    assert json.loads(as_json)["cells"][0]["message"] == "RuntimeError: " + EVIL  # data: what the student wrote


# -- the rules themselves --------------------------------------------------------------------------------
def test_the_rules():
    assert inert.visible("a\x1b[2Jb\r\nc\td\u202e") == "a\\x1b[2Jb\nc\td\\u202e"
    assert inert.fence("x ```` y") == "`````text\nx ```` y\n`````"
    assert inert.code_span("a `b`") == "`` a `b` ``" and inert.code_span("x\n\n# y") == "`x # y`"
    assert inert.code_span("a | b", table=True) == "`a │ b`"
    assert inert.md_inline("01-rnn-cells") == "01-rnn-cells" and inert.md_inline("www.evil.example") == (
        "`www.evil.example`")
    assert inert.rich("[bold]x\x07") == "\\[bold]x\\x07"
    assert inert.html('"<a>"') == "&quot;&lt;a&gt;&quot;"


# -- from a notebook: the text comes from the student's kernel ------------------------------------------
@pytest.mark.slow
def test_a_graded_notebook_whose_errors_and_metadata_attack_renders_inert_everywhere(root, tmp_path, monkeypatch):
    import nbformat
    from click.testing import CliRunner

    from grader.cli import main

    nb = nbformat.read(root / "reference" / "torch" / "01-rnn-cells.ipynb", as_version=4)
    nb.metadata["grader"] = {"lab": EVIL, "framework": "torch"}
    nb.cells.append(nbformat.v4.new_code_cell(  # a failing check quotes the exception the student's code raised
        f"_EVIL = {EVIL!r}\n"
        "def gru_step(*args, **kwargs):\n    raise ValueError(_EVIL)\n"
        "raise RuntimeError(_EVIL)"))
    notebook = tmp_path / "sub.ipynb"
    nbformat.write(nb, notebook)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.setenv("TERM", "xterm-256color")
    names = ["markdown", "junit", "terminal", "gradescope", "classroom", "html", "json"]
    args = ["check", str(notebook), "--lab", "01-rnn-cells", "--framework", "torch", "-q", "--seed", "1",
            "--no-sandbox"]
    for name in names:
        args += ["--format", name, "--output", str(tmp_path / f"report.{name}")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    out = {name: (tmp_path / f"report.{name}").read_text() for name in names}
    report = json.loads(out["json"])
    assert "pwned title" in report["cells"][0]["message"] and "pwned title" in report["warnings"][0]
    assert any("pwned title" in check["message"] for check in report["checks"] if check["id"].startswith("gru"))
    for text in (out["markdown"], (tmp_path / "summary.md").read_text()):
        assert_inert_markdown(text, ["onerror", "grade appeal", "tracker", "course/staff"])
    root_element = ET.fromstring(out["junit"])
    assert not CONTROL.search(out["junit"]) and "pwned title" in ET.tostring(root_element, encoding="unicode")
    assert not CONTROL.search(out["terminal"]) and "[bold red]FAKE PASS[/bold red]" in " ".join(
        out["terminal"].split())
    for test in json.loads(out["gradescope"])["tests"]:
        assert_inert_markdown(test["output"], [])
    assert not CONTROL.search(out["classroom"])
    assert "<script>" not in out["html"] and "&lt;script&gt;" in out["html"]


def test_what_the_cli_prints_on_standard_error_writes_escape_sequences_out(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from grader import cli
    from grader.errors import InputError

    def refuse(*args, **kwargs):
        raise InputError("cannot read \x1b]0;owned\x07 \x1b[2J notebook")

    monkeypatch.setattr("grader.judging.grading.grade", refuse)
    notebook = tmp_path / "lab.ipynb"
    notebook.write_text("{}")
    result = CliRunner().invoke(cli.main, ["check", str(notebook), "--no-sandbox"])
    assert "cannot read" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output and "\\x1b]0;owned" in result.output
