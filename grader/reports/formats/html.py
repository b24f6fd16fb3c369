"""One self-contained HTML page for students: inline CSS, plots as base64 PNG, nothing fetched to view it.

Readable on a phone (viewport meta, one column, wrapped messages) and printable (``@media print``). Per
check: status, points, the message and, where the grader has values to draw (``CheckResult.details``), a
plot. A hidden check shows neither its message nor a plot; a skipped check shows its points as pending.
"""

from __future__ import annotations

import base64
import importlib.util

from grader.reports.formats.common import (
    footer,
    may_plot,
    notebook_name,
    points,
    run_lines,
    shown_message,
    status_word,
)
from grader.reports.formats.inert import html as escape  # escaped, control characters written out
from grader.reports.report import ERROR, FAILED, PASSED, SKIPPED, CheckResult, Report

CSS = """
:root { --ok: #1e7e34; --bad: #b02a37; --err: #8a4baf; --wait: #9a6700; --ink: #1f2328; --muted: #59636e;
        --line: #d1d9e0; --paper: #ffffff; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       background: var(--soft); }
main { max-width: 56rem; margin: 0 auto; padding: 1rem; }
header.summary { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; }
h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.score { font-size: 2.2rem; font-weight: 700; margin: .25rem 0; }
.meta { color: var(--muted); font-size: .9rem; margin: .25rem 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-size: .8rem; font-weight: 600;
         color: #fff; background: var(--bad); white-space: nowrap; }
.badge.passed { background: var(--ok); } .badge.error { background: var(--err); }
.badge.skipped { background: var(--wait); } .badge.info { background: var(--muted); }
.warning { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: .5rem .75rem; margin: .75rem 0 0; }
.note { background: var(--paper); border-left: 4px solid var(--line); padding: .25rem .75rem; margin: .5rem 0; }
table { width: 100%; border-collapse: collapse; background: var(--paper); font-size: .95rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.points, th.points { text-align: right; white-space: nowrap; }
td a { color: inherit; }
section.check { background: var(--paper); border: 1px solid var(--line); border-left: 6px solid var(--bad);
                border-radius: 8px; padding: .75rem 1rem; margin: .75rem 0; }
section.check.passed { border-left-color: var(--ok); } section.check.error { border-left-color: var(--err); }
section.check.skipped { border-left-color: var(--wait); }
section.check h3 { font-size: 1rem; margin: 0; display: flex; flex-wrap: wrap; gap: .5rem; align-items: baseline; }
section.check h3 .title { flex: 1 1 16rem; font-weight: 600; }
section.check h3 .pts { font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
pre.message { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); border-radius: 6px;
              padding: .5rem .75rem; margin: .5rem 0 0; font: .85rem/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
figure { margin: .75rem 0 0; }
figure a.plot { display: block; max-width: 36rem; }
figure img { display: block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figure:target a.plot { max-width: none; overflow-x: auto; }
figure:target img { width: auto; max-width: none; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: .25rem; }
figcaption a { white-space: nowrap; } figcaption a.fit, figure:target figcaption a.full { display: none; }
figure:target figcaption a.fit { display: inline; }
footer { color: var(--muted); font-size: .8rem; margin: 1.5rem 0 1rem; }
@media (max-width: 40rem) {
  main { padding: .5rem; } .score { font-size: 1.8rem; } th, td { padding: .3rem .35rem; }
  section.check { padding: .6rem; }
  td.id { overflow-wrap: anywhere; }
}
@media print {
  body { background: #fff; font-size: 11pt; } main { max-width: none; padding: 0; }
  header.summary, section.check, .note, table { border-color: #999; box-shadow: none; }
  section.check, figure, tr { break-inside: avoid; }
  .badge { color: #000; background: none !important; border: 1px solid #000; }
  a { text-decoration: none; color: inherit; }
}
"""


def _badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{escape(status_word(status))}</span>'


def _earned(check: CheckResult) -> str:
    earned = "–" if check.status == SKIPPED else points(check.score)  # neither earned nor lost yet
    return f"{earned}/{points(check.max_score)}"


def _anchor(check: CheckResult, index: int) -> str:
    return f"check-{index}-{''.join(c if c.isalnum() or c in '-_' else '-' for c in check.id)}"


# plots that only say "all errors are tiny" when the check passed: drawn for failed checks only
_FAILED_ONLY = {"error_per_step"}


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _have_matplotlib() -> bool:
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except ImportError:
        return False


def _figure(check: CheckResult, index: int) -> str:
    """The check's plot, drawn at 2× and shown at most 36rem wide; the image is a link to itself at full size
    (``:target``: the same image, no copy of its data, no script; a ``data:`` link would be refused by
    Chromium's block on top-level ``data:`` navigation)."""
    if not may_plot(check) or (check.passed and check.details.get("plot") in _FAILED_ONLY):
        return ""
    if not _have_matplotlib():  # a student's install of a lab without plots
        return ('<p class="note">The plot of this check needs matplotlib (the grader\'s <code>plots</code> extra), '
                "which this installation lacks.</p>")
    from grader.reports import plots

    drawn = plots.render_png(check.details)
    if drawn is None:
        return ""
    png, caption = drawn
    data = base64.b64encode(png).decode("ascii")
    width, height = png_size(png)
    plot = f"plot-{_anchor(check, index)}"
    return (f'<figure id="{plot}"><a class="plot" href="#{plot}" title="show the plot at full size">'
            f'<img src="data:image/png;base64,{data}" width="{width}" height="{height}" alt="{escape(caption)}"></a>'
            f'<figcaption>{escape(caption)} · <a class="full" href="#{plot}">full size</a>'
            f'<a class="fit" href="#{_anchor(check, index)}">fit to the page</a></figcaption></figure>')


def _section(check: CheckResult, index: int) -> str:
    status = check.status if check.status in (PASSED, ERROR, SKIPPED) else FAILED
    message = shown_message(check)
    return (f'<section class="check {status}" id="{_anchor(check, index)}">'
            f"<h3>{_badge(status)}<span class=\"title\"><code>{escape(check.id)}</code> — {escape(check.title)}</span>"
            f'<span class="pts">{_earned(check)} pts</span></h3>'
            f'<pre class="message">{escape(message)}</pre>{_figure(check, index)}</section>')


def render(report: Report) -> str:
    """The report as one HTML document."""
    counts = {status: sum(c.status == status for c in report.checks) for status in (PASSED, FAILED, ERROR, SKIPPED)}
    tally = ", ".join(f"{n} {status_word(s)}" for s, n in counts.items() if n)
    course = ('<span class="badge info">feedback run: public checks only</span> ' if report.course == "public"
              else "")
    pending = f" <span class=\"meta\">+ {points(report.pending_score)} pending</span>" if report.pending_score else ""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(report.lab)} ({escape(report.framework)}): {points(report.score)}/"
        f"{points(report.max_score)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        '<header class="summary">',
        f"<h1>{escape(report.lab)} <span class=\"meta\">({escape(report.framework)})</span></h1>",
        f'<p class="score">{points(report.score)}/{points(report.max_score)} points{pending}</p>',
        f'<p class="meta">{course}{escape(tally)} · notebook <code>{escape(notebook_name(report.notebook))}</code></p>',
    ]
    parts += [f'<p class="warning" role="alert"><strong>Warning:</strong> {escape(warning)}</p>'
              for warning in report.warnings]
    parts.append("</header>")
    notes = [line for line in run_lines(report) if not line.startswith("warning: ")]
    parts += [f'<p class="note">{escape(note)}</p>' for note in notes]
    parts += ["<h2>Checks</h2>", "<table><thead><tr><th>check</th><th>status</th>"
              '<th class="points">points</th></tr></thead><tbody>']
    for index, check in enumerate(report.checks):
        parts.append(f'<tr><td class="id"><a href="#{_anchor(check, index)}">{escape(check.id)}</a></td>'
                     f'<td>{_badge(check.status if check.status in (PASSED, ERROR, SKIPPED) else FAILED)}</td>'
                     f'<td class="points">{_earned(check)}</td></tr>')
    parts.append("</tbody></table>")
    if report.cells:
        parts += ["<h2>Notebook cells that did not run cleanly</h2>",
                  "<table><thead><tr><th>cell</th><th>status</th><th>message</th></tr></thead><tbody>"]
        parts += [f"<tr><td>{event.index + 1}</td><td>{escape(event.status)}</td>"
                  f'<td><pre class="message">{escape(event.message)}</pre></td></tr>' for event in report.cells]
        parts.append("</tbody></table>")
    parts.append("<h2>What each check found</h2>")
    order = {FAILED: 0, ERROR: 0, SKIPPED: 1, PASSED: 2}  # what to fix first
    ranked = sorted(enumerate(report.checks), key=lambda item: (order.get(item[1].status, 0), item[0]))
    parts += [_section(check, index) for index, check in ranked]
    parts += [f"<footer>{escape(footer(report))}</footer>", "</main></body></html>"]
    return "\n".join(parts) + "\n"
