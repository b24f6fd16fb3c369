"""The HTML report and summary.html on a phone (390 CSS pixels wide): plot text readable, legends inside the axes
and off the data, each plot a link to itself at full size, words and numbers kept whole, no grader path.

What a browser would compute is computed here from the page's own numbers: a plot is shown 346 CSS pixels wide
on a 390-pixel phone (main .5rem, the section's 6px + 1px borders and .6rem padding, the image's 1px borders on
each side), a summary chart 370.8 (the body's .6rem padding), and a text of ``pt`` points in a PNG drawn at
``dpi`` dots per inch and ``png_width`` pixels is ``pt × dpi / 72 × shown / png_width`` CSS pixels high."""

from __future__ import annotations

import base64
import math
import re

import pytest
from test_html import NS, _images, _parse, lab01_report, lab02_report, lab04_report

from grader.batch.class_summary import render_html, summarize
from grader.reports import plots
from grader.reports.formats import html
from grader.reports.report import FAILED, CheckResult, Report

PHONE_PLOT_PX = 390 - 2 * 8 - 7 - 2 * 9.6 - 2
PHONE_CHART_PX = 390 - 2 * 9.6
MIN_CSS_PX = 9.0


def _forecast_details() -> dict:
    hours = range(168)
    truth = [10 + 8 * math.sin(2 * math.pi * h / 24) for h in hours]
    return {"plot": "forecast", "truth": truth, "naive": [truth[0], *truth[:-1]],
            "forecast": [0.5 * math.sin(2 * math.pi * h / 24) for h in hours], "mae": 7.1, "naive_mae": 0.7,
            "threshold": 0.68}


def _all_details(root) -> list[dict]:
    checks = [*lab01_report().checks[:1], *lab04_report().checks, *lab02_report(root).checks[:1]]
    details = [check.details for check in checks if check.details]
    details += [_forecast_details(),
                {"plot": "optimizer_moves", "student": [0.07, 0.08], "reference": [0.04, 0.04], "gradient_norm": 9.0,
                 "max_norm": 1.0}]
    assert {d["plot"] for d in details} == set(plots.KINDS)
    return details


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_every_plot_is_2x_with_text_readable_on_a_phone(root):
    for details in _all_details(root):
        with plots.style():
            figure, _ = plots.draw(details)
            figure.canvas.draw()
            sizes = [text.get_fontsize() for text in figure.findobj(lambda a: hasattr(a, "get_text")
                                                                    and hasattr(a, "get_fontsize"))
                     if text.get_visible() and text.get_text().strip()]
        png, _ = plots.render_png(details)
        width, _ = _png_size(png)
        assert width == plots.WIDTH_IN * plots.DPI * plots.SCALE == 1000, details["plot"]  # 2× a 500-px figure
        smallest = min(sizes)
        css_px = smallest * plots.DPI * plots.SCALE / 72 * PHONE_PLOT_PX / width
        assert css_px >= MIN_CSS_PX, (details["plot"], smallest, css_px)  # 10 pt → 9.6 CSS px


def test_legends_sit_inside_the_axes_and_clear_of_the_data(root):
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text

    for details in _all_details(root):
        with plots.style():
            figure, _ = plots.draw(details)
            renderer = figure.canvas.get_renderer()
            figure.canvas.draw()
            for ax in figure.axes:
                legend = ax.get_legend()
                if legend is None:
                    continue
                box, frame = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
                assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, \
                    details["plot"]
                data = [a for a in ax.get_children() if isinstance(a, (Line2D, LineCollection, Text)) or
                        (isinstance(a, Rectangle) and a is not ax.patch)]
                data = [a for a in data if a.get_visible() and a not in (ax.title, ax._left_title, ax._right_title)
                        and not (isinstance(a, Text) and not a.get_text())]
                for artist in data:
                    extent = artist.get_window_extent(renderer)
                    if all(math.isfinite(v) for v in extent.bounds):  # an empty artist has no extent
                        assert not extent.overlaps(box), (details["plot"], artist)
            if details["plot"] == "tracing":  # the figure's legend, below the four panels
                (legend,) = figure.legends
                box = legend.get_window_extent(renderer)
                assert all(not box.overlaps(ax.get_tightbbox(renderer)) for ax in figure.axes if ax.get_visible())


def test_each_plot_is_a_link_to_itself_at_full_size_and_the_page_fits_a_phone():
    report = lab04_report()
    report.notebook = "/home/grader/work/submissions/alice/04-gradient-clipping-torch.ipynb"
    text = html.render(report)
    document = _parse(text)
    meta = [m.get("content") for m in document.findall(".//h:meta", NS) if m.get("name") == "viewport"]
    assert meta == ["width=device-width, initial-scale=1"]
    figures = document.findall(".//h:figure", NS)
    assert figures and len(figures) == len(_images(document))
    for figure in figures:
        link = figure.find("h:a", NS)
        image = link.find("h:img", NS)
        assert link.get("href") == "#" + figure.get("id")  # :target shows the same image at its own size
        png = base64.b64decode(image.get("src").split(",", 1)[1])
        assert (int(image.get("width")), int(image.get("height"))) == _png_size(png)
    assert "figure:target img { width: auto; max-width: none; }" in text
    assert "max-width: 36rem" in text  # a desktop shows the 500-px figure at most 576 px wide: text ≈ 16 px
    # the grader machine's folders stay out of the page: the notebook's name only
    assert "/home/grader" not in text and "<code>04-gradient-clipping-torch.ipynb</code>" in text


def _summary_page() -> str:
    from grader.batch.rows import GRADED, Row

    message = ("lstm_step(x_t, h_prev, c_prev, p) with batch=1, m=3, n=4: c_t: max abs error 0.671 (tolerance "
               "1e-05); at index [0, 3] expected -1.02005, got -0.349505 — c_t ignores c_prev")
    report = {"checks": [{"id": "lstm-step", "title": "lstm_step computes the gates", "max_score": 3.0,
                          "score": 0.0, "status": "failed", "message": message},
                         {"id": "run-sequence-rnn", "title": "run_sequence unrolls the RNN", "max_score": 2.0,
                          "score": 2.0, "status": "passed", "message": ""}]}
    rows = [Row(name, f"{name}.ipynb", GRADED, lab="01-rnn-cells", framework="torch", score=score, max_score=5.0,
                seconds=1.0, report=report) for name, score in (("a", 2.0), ("b", 2.0))]
    return render_html(summarize(rows))


def test_summary_keeps_words_and_numbers_whole_and_every_number_on_screen():
    page = _summary_page()
    css = page.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "anywhere" not in css and "break-all" not in css  # a word is split only when it alone is too long
    assert re.search(r"(^|}|\n)td\{overflow-wrap:break-word;word-break:normal", css)
    assert re.search(r"td\.n\{[^}]*white-space:nowrap", css) and re.search(r"\.nw,code\{white-space:nowrap", css)
    for number in ("1e-05", "-1.02005", "-0.349505"):
        assert f"<span class=nw>{number}</span>" in page
    assert re.search(r"<td class=n>0% \(0/2\)</td>", page)  # the pass rate in a nowrap cell
    # the eight numbers are boxes that wrap, not a table's columns that scroll off a phone's screen
    stats = re.search(r"<dl class=stats>(.*?)</dl>", page).group(1)
    assert re.findall(r"<dt>([^<]+)</dt>", stats) == ["graded", "not graded", "mean", "median", "sd", "min", "max",
                                                     "out of"]
    assert "<th>min</th>" not in page
    # on a phone the failure message takes the row's whole width under its check
    assert "table.checks td.f{grid-column:1/-1}" in css


def test_summary_charts_are_2x_links_readable_on_a_phone():
    page = _summary_page()
    links = re.findall(r'<a id="([^"]+)" href="#([^"]+)"[^>]*><img [^>]*src="data:image/png;base64,([^"]+)"', page)
    assert len(links) == 2
    for anchor, href, data in links:
        assert anchor == href
        width, _ = _png_size(base64.b64decode(data))
        assert width == 4.3 * plots.DPI * plots.SCALE  # the figure's own width, no tight crop that widens it
        assert plots.MIN_FONT_PT * plots.DPI * plots.SCALE / 72 * PHONE_CHART_PX / width >= MIN_CSS_PX


@pytest.mark.parametrize("path", ["/home/grader/subs/alice/lab.ipynb", "C:\\grading\\alice\\lab.ipynb", "lab.ipynb"])
def test_the_header_names_the_notebook_without_its_folders(path):
    report = Report("01-rnn-cells", "torch", path)
    report.checks = [CheckResult("x", "x", 0, 1, FAILED, "m")]
    text = html.render(report)
    assert "<code>lab.ipynb</code>" in text and "alice" not in text
