"""The HTML report: one self-contained page per run, a plot for each check that has values to draw, nothing
of a hidden check shown. Details come from the real check kinds fed fake kernel results (no kernel)."""

from __future__ import annotations

import base64
import re
import sys

import html5lib
import numpy as np
import pytest
from test_judges import _answer as answer_lab01
from test_judges import _ctx as ctx_lab01
from test_lab03_judges import LAB as LAB03
from test_lab03_judges import _answer as answer_lab03
from test_lab03_judges import _arrays, _spec_params
from test_lab04_judges import _answer as answer_lab04
from test_lab04_judges import _sgd, _simulate_train_step

from grader.judging.checks import registry
from grader.judging.checks.base import CheckContext, Verdict
from grader.judging.checks.tracing import MASK_VALUE
from grader.judging.numerics import clipping as num
from grader.judging.numerics import rnn, windowing
from grader.kernel.probing import CallResult
from grader.reports.formats import common, html, markdown
from grader.reports.report import FAILED, PASSED, SKIPPED, CheckResult, Report

NS = {"h": "http://www.w3.org/1999/xhtml"}


def _result(check_id: str, verdict: Verdict, points: float = 2, visibility: str = "public") -> CheckResult:
    return CheckResult(check_id, f"{check_id} title", points if verdict.passed else 0, points,
                       PASSED if verdict.passed else FAILED, verdict.message, visibility, 0.01, verdict.details)


# -- details from the real check kinds ------------------------------------------------------------------
def lab01_report() -> Report:
    kind = registry.get("run_sequence")

    def forgets_c(call):
        if call["function"] != "run_sequence":
            return CallResult(True, rnn.lstm_step(*[np.asarray(a, np.float64) if isinstance(a, np.ndarray) else a
                                                    for a in call["args"]]))
        cell, xs, p = call["args"]
        out = rnn.run_sequence(cell, xs, p, return_sequences=True)
        out[:, 1:] *= 0.5  # right at t = 1, wrong after: the error plot shows where it goes wrong
        return CallResult(True, out if call["kwargs"].get("return_sequences", True) else out[:, -1])

    def right(call):
        if call["function"] != "run_sequence":
            args = [np.asarray(a, np.float64) if isinstance(a, np.ndarray) else a for a in call["args"]]
            return CallResult(True, rnn.rnn_step(*args))
        cell, xs, p = call["args"]
        return CallResult(True, rnn.run_sequence(cell, xs, p, call["kwargs"].get("return_sequences", True)))

    report = Report("01-rnn-cells", "torch", "sub.ipynb", seed=3)
    report.checks = [
        _result("run-sequence-lstm", answer_lab01(kind, {"cell": "lstm"}, ctx_lab01(), forgets_c)),
        _result("run-sequence-rnn", answer_lab01(kind, {"cell": "rnn"}, ctx_lab01(), right)),
        CheckResult("count-params", "count_params", 0, 2, FAILED, "count_params('gru', 7, 5, 2) returned 99",
                    "hidden", details={"plot": "error_per_step", "cell": "gru", "error": [1.0, 2.0],
                                       "tolerance": 1e-5}),
    ]
    return report


def lab02_report(root) -> Report:
    ctx = CheckContext("torch", np.random.default_rng(3), root / "assignments" / "02-tracing-vs-passfail" / "hidden",
                       "02-tracing-vs-passfail")
    kind = registry.get("masked_weeks_skipped")
    params = {"function": "predict_tracing", "output": "per_week", "weeks": 10, "students": 50, "tolerance": 1e-4}
    plan = kind.plan(params, ctx)

    def unmasked(x):  # reads the masked weeks as data: fails the check
        return np.clip(np.cumsum(np.where(x == MASK_VALUE, 0.2, x).mean(-1), axis=1) / 5, 0, 1)

    verdict = kind.judge(params, ctx, plan, {call["id"]: CallResult(True, unmasked(call["args"][0]))
                                             for call in plan.calls})
    report = Report("02-tracing-vs-passfail", "torch", "sub.ipynb")
    report.checks = [_result("tracing-masking", verdict),
                     CheckResult("tracing-rmse", "RMSE on hidden students", 0, 3, SKIPPED, visibility="hidden")]
    report.course = "public"
    return report


def forecast_report(lab: str) -> Report:
    params = _spec_params("predict-beats-naive")
    X, y = windowing.make_windows(windowing.read_weather(LAB03 / "hidden" / "weather_hidden.csv"), 24)
    rows = {window.tobytes(): index for index, window in enumerate(X)}
    good = (0.6 * windowing.naive_forecast(X) + 0.4 * y).astype(np.float32)

    def respond(call):
        (array,) = _arrays(call)
        if call["id"] == "week":  # the plotted week comes from another hidden series
            return CallResult(True, array[:, -1, 0])
        return CallResult(True, good[[rows[window.tobytes()] for window in array]])

    report = Report(lab, "torch", "sub.ipynb")
    report.checks = [_result("predict-beats-naive", answer_lab03("forecast_beats_naive", params, respond), 4)]
    return report


def lab04_report() -> Report:
    def right_norms(call):
        return CallResult(True, num.input_gradient_norms(call["params"], call["x"], call["many_to_many"]))

    report = Report("04-gradient-clipping", "torch", "sub.ipynb")
    report.checks = [
        _result("train-step-clips", answer_lab04("train_step", {"judge": "update"},
                                                 _simulate_train_step(lambda grads, u: grads)), 3),
        _result("train-step-loss", answer_lab04("train_step", {"judge": "loss"},
                                                _simulate_train_step(num.clip_by_global_norm)), 1),
        _result("input-gradient-norms", answer_lab04("input_gradient_norms", {}, right_norms)),
    ]
    return report


def _images(document) -> list:
    return document.findall(".//h:img", NS)


def _parse(text: str):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True)
    return parser.parse(text)  # strict: a parse error raises


# -- the tests --------------------------------------------------------------------------------------------
def test_check_kinds_attach_plot_details(root):
    lab01, lab04 = lab01_report(), lab04_report()
    lstm = lab01.checks[0]
    assert lstm.status == FAILED and lstm.details["plot"] == "error_per_step"
    assert lstm.details["error"][0] < 1e-5 < min(lstm.details["error"][1:])  # right at t = 1 only
    update, loss, norms = lab04.checks
    assert update.status == FAILED and update.details["plot"] == "clipped_update"
    assert all(s["update_norm"] > s["max_norm"] * 1.5 for s in update.details["steps"] if s["gradient_norm"] > s["max_norm"])
    assert loss.details == {}  # only the update aspect draws the clipped update
    assert norms.passed and np.allclose(norms.details["student"], norms.details["grader"])
    forecast = forecast_report("03-windowing-forecast").checks[0]
    assert forecast.passed and len(forecast.details["truth"]) == 168
    assert forecast.details["mae"] < forecast.details["threshold"] < forecast.details["naive_mae"]
    tracing = lab02_report(root).checks[0]
    assert tracing.status == FAILED and tracing.details["plot"] == "tracing"
    truth = np.array(tracing.details["truth"], dtype=float)
    assert truth.shape == (4, 10) and np.isnan(truth).any() and np.nanmax(truth) <= 1


@pytest.mark.parametrize("lab", ["01", "02", "03", "04", "05"])
def test_page_parses_and_holds_one_image_per_plotted_check(root, lab):
    report = {"01": lab01_report, "02": lambda: lab02_report(root), "03": lambda: forecast_report("03-windowing-forecast"),
              "04": lab04_report, "05": lambda: forecast_report("05-improving-rnns")}[lab]()
    text = html.render(report)
    document = _parse(text)
    plotted = [c for c in report.checks if common.may_plot(c) and not (c.passed and c.details["plot"] == "error_per_step")]
    assert plotted, "each sample has at least one check with a plot"
    images = _images(document)
    assert len(images) == len(plotted)
    for image in images:
        src = image.get("src")
        assert src.startswith("data:image/png;base64,") and image.get("alt")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    sections = document.findall(".//h:section", NS)
    assert len(sections) == len(report.checks)
    with_image = {s.get("id").split("-", 2)[2] for s in sections if s.find(".//h:img", NS) is not None}
    assert with_image == {c.id for c in plotted}


def test_keras_optimizer_check_draws_its_moves():
    per_variable = answer_lab04("optimizer_clipping", {"judge": "clipping"}, _sgd(num.clip_per_tensor), "keras")
    assert not per_variable.passed and per_variable.details["plot"] == "optimizer_moves"
    student, reference = per_variable.details["student"], per_variable.details["reference"]
    assert len(student) == len(reference) == 2 and student[0] > reference[0]
    report = Report("04-gradient-clipping", "keras", "sub.ipynb")
    report.checks = [_result("make-optimizer-clips", per_variable, 3)]
    assert len(_images(_parse(html.render(report)))) == 1


def test_page_is_self_contained_for_phones_and_print():
    text = html.render(lab04_report())
    document = _parse(text)
    meta = [m.get("content") for m in document.findall(".//h:meta", NS) if m.get("name") == "viewport"]
    assert meta == ["width=device-width, initial-scale=1"]
    assert "@media print" in text and "@media (max-width" in text
    assert document.findall(".//h:script", NS) == [] and document.findall(".//h:link", NS) == []
    urls = re.findall(r'(?:src|href)="([^"]+)"', text)
    assert urls and all(url.startswith(("data:", "#")) for url in urls), urls
    assert "url(" not in text and "@import" not in text


def test_hidden_checks_show_no_message_and_no_plot_and_skipped_is_pending(root):
    report = lab01_report()
    text = html.render(report)
    assert "returned 99" not in text and common.HIDDEN_MESSAGE in text
    assert len(_images(_parse(text))) == 1  # the failed LSTM only; the hidden check's details are not drawn
    public = lab02_report(root)
    text = html.render(public)
    assert "pending" in text and "feedback run" in text
    shown = markdown.render(public)
    assert "| ⏳ |" in shown and "–/" in shown and "await the graded run" in shown  # pending: neither earned nor lost


def test_failed_checks_come_first_and_messages_wrap(root):
    report = lab04_report()
    report.checks[0].message = "x" * 400
    text = html.render(report)
    sections = re.findall(r'<section class="check (\w+)"', text)
    assert sections == ["failed", "passed", "passed"]
    assert "pre-wrap" in text  # long messages wrap on a phone instead of scrolling sideways


def test_warnings_and_run_facts_are_shown():
    report = lab04_report()
    report.warnings = ["this notebook's metadata says it is lab 03-windowing-forecast"]
    report.sandbox, report.notes = "bubblewrap", ["the kernel was restarted 1 time(s)"]
    text = html.render(report)
    assert 'class="warning"' in text and "03-windowing-forecast" in text
    assert "sandbox bubblewrap" in text and "restarted 1 time" in text


def test_a_plot_that_cannot_be_drawn_leaves_the_check_without_one():
    from grader.reports import plots

    assert plots.render_png({"plot": "forecast", "truth": [1.0]}) is None  # missing keys
    assert plots.render_png({"plot": "nothing"}) is None
    report = Report("01-rnn-cells", "torch", "sub.ipynb")
    report.checks = [CheckResult("x", "x", 0, 1, FAILED, "m", details={"plot": "gradient_norms"})]
    assert "<img" not in html.render(report)


def test_html_is_registered_and_matplotlib_stays_out_of_the_cli():
    import subprocess

    from grader.reports import formats

    assert formats.get("html") is html.render
    code = ("import sys, grader.cli, grader.reports.formats; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported by the CLI'")
    subprocess.run([sys.executable, "-c", code], check=True)
