"""Class statistics: numbers, the most common failure, the Markdown and the self-contained HTML with charts."""

from __future__ import annotations

import base64
import re

from grader.batch.class_summary import render_html, render_markdown, render_terminal, summarize
from grader.batch.rows import GRADED, NOT_GRADED, Row


def _report(passed: dict[str, bool], messages: dict[str, str] | None = None) -> dict:
    messages = messages or {}
    return {"checks": [{"id": cid, "title": f"{cid} works", "max_score": 2.0, "score": 2.0 if ok else 0.0,
                        "status": "passed" if ok else "failed", "message": "" if ok else messages.get(cid, "wrong")}
                       for cid, ok in passed.items()]}


def _row(name, score, passed, seconds=1.0, messages=None, lab="01-rnn-cells"):
    return Row(name, f"{name}.ipynb", GRADED, lab=lab, framework="torch", score=score, max_score=6.0,
               seconds=seconds, report=_report(passed, messages))


ROWS = [
    _row("a", 6.0, {"x": True, "y": True, "z": True}, seconds=3.0),
    _row("b", 4.0, {"x": True, "y": False, "z": True}, messages={"y": "error 0.12 at index [0, 1]"}),
    _row("c", 2.0, {"x": True, "y": False, "z": False}, seconds=9.5,
         messages={"y": "error 0.57 at index [2, 0]", "z": "raised NameError"}),
    _row("d", 2.0, {"x": False, "y": True, "z": False}, messages={"x": "<script>alert(1)</script> | pipe"}),
    Row("e", "e.ipynb", NOT_GRADED, lab="01-rnn-cells", max_score=6.0,
        message="grading did not finish within 30 s; it was stopped"),
    Row("f", "f.ipynb", NOT_GRADED, message="the notebook does not say which lab it is"),
]


def test_statistics_per_lab_and_per_check():
    summary = summarize(ROWS, seconds=12.0)
    assert summary.graded == 4 and [stats.lab for stats in summary.labs] == ["01-rnn-cells"]
    stats = summary.labs[0]
    assert len(stats.graded) == 4 and len(stats.not_graded) == 1
    assert stats.mean == 3.5 and stats.median == 3.0 and stats.max_score == 6.0
    assert sum(n for _, _, n in stats.distribution()) == 4 and stats.distribution()[-1][2] == 1  # 6/6 in the last bin
    checks = {check.id: check for check in stats.checks}
    assert checks["x"].pass_rate == 0.75 and checks["y"].pass_rate == 0.5
    # the two 'y' failures differ only in their numbers: one kind of failure, seen twice
    assert checks["y"].failure_count == 2 and checks["y"].failure == "error 0.12 at index [0, 1]"
    assert [row.name for row in summary.slowest(2)] == ["c", "a"]
    assert [n for _, n in summary.reasons] == [1, 1]


def test_terminal_and_markdown_say_the_same_things():
    summary = summarize(ROWS, seconds=12.0)
    summary.notes.append("no submission: grace")
    text = render_terminal(summary)
    assert text.startswith("6 submission(s): 4 graded, 2 not graded (12 s)")
    assert "01-rnn-cells: 4/5 graded, mean 3.5, median 3" in text and "no submission: grace" in text
    assert "y" in text and "50% passed" in text and "slowest: c 10 s" in text
    markdown = render_markdown(summary)
    assert "| e | not graded | `grading did not finish within 30 s; it was stopped` |" in markdown
    assert "| `y` | 2 | 50% (2/4) | `error 0.12 at index [0, 1]` (2×) |" in markdown
    # a student's text only as code (a pipe in it would end the table's cell): tests/test_inert.py has the rest
    assert "| `<script>alert(1)</script> │ pipe` (1×) |" in markdown


def test_the_html_is_self_contained_with_a_histogram_and_a_pass_rate_chart_per_lab():
    rows = [*ROWS, _row("g", 5.0, {"p": True, "q": False}, lab="04-gradient-clipping")]
    page = render_html(summarize(rows))
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 4  # two labs, two charts each
    assert all(base64.b64decode(image).startswith(b"\x89PNG") for image in images)
    assert "http://" not in page and "https://" not in page  # nothing to fetch to view it
    assert '<meta name=viewport' in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "grading did not finish within 30 s" in page and "04-gradient-clipping" in page


def test_a_class_where_nothing_was_graded_still_summarises():
    summary = summarize([ROWS[4], ROWS[5]])
    assert summary.graded == 0 and summary.labs[0].mean is None
    assert "mean –" in render_terminal(summary) and "data:image" not in render_html(summary)
