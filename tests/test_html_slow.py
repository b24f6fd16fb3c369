"""One real lab-01 run writes the HTML report: the page parses and draws the failed run_sequence check."""

from __future__ import annotations

import html5lib
import nbformat
import pytest
from click.testing import CliRunner

from grader.cli import main

pytestmark = pytest.mark.slow
NS = {"h": "http://www.w3.org/1999/xhtml"}


def test_check_writes_an_html_report_with_plots_and_the_wrong_lab_warning(root, tmp_path):
    # the classic-bug sample (the LSTM forgets c_prev), its metadata claiming another lab
    nb = nbformat.read(root / "tests" / "submissions" / "01-rnn-cells-torch-sample.ipynb", as_version=4)
    nb.metadata["grader"] = {"lab": "02-tracing-vs-passfail", "framework": "torch"}
    path = tmp_path / "sample.ipynb"
    nbformat.write(nb, path)
    page, summary = tmp_path / "r.html", tmp_path / "r.md"
    result = CliRunner().invoke(main, ["check", str(path), "-q", "--seed", "1", "--lab", "01-rnn-cells",
                                       "--framework", "torch", "--format", "html", "--output", str(page),
                                       "--format", "markdown", "--output", str(summary)])
    assert result.exit_code == 1, result.output
    text = page.read_text(encoding="utf-8")
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(text)
    sections = {s.get("id").split("-", 2)[2]: s for s in document.findall(".//h:section", NS)}
    assert len(sections) == 10
    with_image = {name for name, s in sections.items() if s.find(".//h:img", NS) is not None}
    assert with_image == {"run-sequence-lstm"}  # the failed unrolling; passed unrollings draw nothing
    assert "17/22 points" in text
    assert "02-tracing-vs-passfail" in text and "02-tracing-vs-passfail" in summary.read_text()
