"""Class statistics at the end of a batch: in the terminal, ``summary.md`` and ``summary.html``.

Per lab: how many submissions were graded and why the others were not, the mean, median and spread of the
scores with their distribution, each check's pass rate with its most common failure message, and the slowest
submissions. The HTML embeds a score histogram and a per-check pass-rate chart (matplotlib, Agg backend, PNG
as base64), so that it opens anywhere without a network.
"""

from __future__ import annotations

import base64
import html
import io
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from grader.batch.rows import GRADED, Row
from grader.reports.formats import inert
from grader.reports.report import one_line

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", re.I)
SLOWEST = 5
BINS = 10


@dataclass
class CheckStats:
    id: str
    title: str
    max_score: float
    judged: int = 0
    passed: int = 0
    failure: str = ""  # an example of the most common failure message
    failure_count: int = 0

    @property
    def pass_rate(self) -> float:
        return self.passed / self.judged if self.judged else 0.0


@dataclass
class LabStats:
    lab: str
    rows: list[Row]
    graded: list[Row] = field(default_factory=list)
    not_graded: list[Row] = field(default_factory=list)
    max_score: float = 0.0
    checks: list[CheckStats] = field(default_factory=list)

    @property
    def scores(self) -> list[float]:
        return [row.score for row in self.graded]

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.scores) if self.scores else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.scores) if self.scores else None

    @property
    def stdev(self) -> float | None:
        return statistics.pstdev(self.scores) if self.scores else None

    def distribution(self, bins: int = BINS) -> list[tuple[float, float, int]]:
        """(low, high, count) over [0, max]; the last bin includes the maximum."""
        top = self.max_score or max(self.scores, default=0.0) or 1.0
        width = top / bins
        counts = [0] * bins
        for score in self.scores:
            counts[min(bins - 1, max(0, int(score / width)))] += 1
        return [(i * width, (i + 1) * width, n) for i, n in enumerate(counts)]


@dataclass
class ClassSummary:
    labs: list[LabStats]
    rows: list[Row]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # e.g. roster students with no submission

    @property
    def graded(self) -> int:
        return sum(row.status == GRADED for row in self.rows)

    def slowest(self, n: int = SLOWEST) -> list[Row]:
        return sorted((row for row in self.rows if row.seconds > 0), key=lambda row: -row.seconds)[:n]

    @property
    def reasons(self) -> list[tuple[str, int]]:
        """Why submissions were not graded, most common first (numbers blanked so that alike reasons group)."""
        failed = [row.message for row in self.rows if row.status != GRADED]
        counts = Counter(_shape(message) for message in failed)
        example = {}
        for message in failed:
            example.setdefault(_shape(message), " ".join(message.split()))
        return [(example[shape], n) for shape, n in counts.most_common()]


def _shape(message: str) -> str:
    return _NUMBER.sub("#", " ".join(message.split()))[:300]


def summarize(rows: Sequence[Row], seconds: float = 0.0) -> ClassSummary:
    """The statistics of a batch, lab by lab in the order the labs first appear."""
    labs: dict[str, LabStats] = {}
    for row in rows:
        if not row.lab:
            continue  # not graded before its lab was known: listed under "not graded" only
        stats = labs.setdefault(row.lab, LabStats(row.lab, []))
        stats.rows.append(row)
        (stats.graded if row.status == GRADED else stats.not_graded).append(row)
    for stats in labs.values():
        stats.max_score = max((row.max_score for row in stats.rows), default=0.0)
        checks: dict[str, CheckStats] = {}
        failures: dict[str, Counter] = {}
        examples: dict[tuple[str, str], str] = {}
        for row in stats.graded:
            for check in (row.report or {}).get("checks", []):
                item = checks.setdefault(check["id"], CheckStats(check["id"], str(check.get("title", "")),
                                                                 float(check.get("max_score", 0.0))))
                if check.get("status") == "skipped":
                    continue
                item.judged += 1
                if check.get("status") == "passed":
                    item.passed += 1
                else:
                    shape = _shape(str(check.get("message", "")))
                    failures.setdefault(check["id"], Counter())[shape] += 1
                    examples.setdefault((check["id"], shape), " ".join(str(check.get("message", "")).split()))
        for check_id, counter in failures.items():
            shape, count = counter.most_common(1)[0]
            checks[check_id].failure, checks[check_id].failure_count = examples[(check_id, shape)], count
        stats.checks = list(checks.values())
    return ClassSummary(list(labs.values()), list(rows), seconds)


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def _cut(text: str, limit: int = 160) -> str:
    return one_line(text, limit)


def _plain(text: str, limit: int = 160) -> str:
    """A student's text on a terminal line: cut, its control and escape sequences written out."""
    return _cut(inert.one_line(text), limit)


# -- terminal ----------------------------------------------------------------------------------------

def render_terminal(summary: ClassSummary) -> str:
    lines = [f"{len(summary.rows)} submission(s): {summary.graded} graded, {len(summary.rows) - summary.graded} not "
             f"graded" + (f" ({summary.seconds:.0f} s)" if summary.seconds else "")]
    for reason, count in summary.reasons:
        lines.append(f"  not graded ×{count}: {_plain(reason, 120)}")
    for stats in summary.labs:
        lines.append(f"{_plain(stats.lab)}: {len(stats.graded)}/{len(stats.rows)} graded, mean {_fmt(stats.mean)}, "
                     f"median {_fmt(stats.median)}, sd {_fmt(stats.stdev)} of {stats.max_score:g}")
        peak = max((n for _, _, n in stats.distribution()), default=0) or 1
        for low, high, n in stats.distribution():
            if n:
                lines.append(f"  {low:6.1f}–{high:<6.1f} {'#' * max(1, round(20 * n / peak)):20} {n}")
        for check in stats.checks:
            failure = f"  most common failure ({check.failure_count}): {_plain(check.failure, 90)}" if check.failure else ""
            lines.append(f"  {_plain(check.id):32} {check.pass_rate:6.0%} passed{failure}")
    lines += [_plain(note, 2000) for note in summary.notes]
    slow = summary.slowest()
    if slow:
        lines.append("slowest: " + ", ".join(f"{_plain(row.name, 80)} {row.seconds:.0f} s" for row in slow))
    return "\n".join(lines) + "\n"


# -- Markdown ----------------------------------------------------------------------------------------

def _md(text: str, limit: int = 200) -> str:
    """A student's text in a table cell or list item: one code span (nothing of it drawn as Markdown)."""
    return inert.code_span(_cut(inert.one_line(text), limit), table=True)


def _id(text: str) -> str:
    """A submission's or lab's name: as it is when it is a plain word, else a code span."""
    return inert.md_inline(_cut(text, 80), table=True)


def render_markdown(summary: ClassSummary) -> str:
    out = ["# Class summary", "",
           f"{len(summary.rows)} submission(s): **{summary.graded} graded**, "
           f"{len(summary.rows) - summary.graded} not graded.", "", *(f"- {_md(note, 2000)}" for note in summary.notes),
           *([""] if summary.notes else [])]
    if summary.reasons:
        out += ["## Not graded", "", "| submission | status | why |", "|---|---|---|"]
        out += [f"| {_id(row.name)} | {row.status} | {_md(row.message)} |" for row in summary.rows
                if row.status != GRADED]
        out.append("")
    for stats in summary.labs:
        out += [f"## {_id(stats.lab)}", "",
                "| graded | not graded | mean | median | sd | min | max | out of |", "|---:|---:|---:|---:|---:|---:|---:|---:|",
                f"| {len(stats.graded)} | {len(stats.not_graded)} | {_fmt(stats.mean)} | {_fmt(stats.median)} | "
                f"{_fmt(stats.stdev)} | {_fmt(min(stats.scores, default=None))} | {_fmt(max(stats.scores, default=None))} "
                f"| {stats.max_score:g} |", "",
                "| score | submissions |", "|---|---:|"]
        out += [f"| {low:g}–{high:g} | {n} |" for low, high, n in stats.distribution()]
        out += ["", "| check | points | pass rate | most common failure |", "|---|---:|---:|---|"]
        out += [f"| {inert.code_span(check.id, table=True)} | {check.max_score:g} | {check.pass_rate:.0%} ({check.passed}/{check.judged}) | "
                + (f"{_md(check.failure)} ({check.failure_count}×)" if check.failure else "") + " |"
                for check in stats.checks]
        out.append("")
    slow = summary.slowest()
    if slow:
        out += ["## Slowest submissions", "", "| submission | lab | seconds |", "|---|---|---:|"]
        out += [f"| {_id(row.name)} | {_id(row.lab)} | {row.seconds:.1f} |" for row in slow]
        out.append("")
    return "\n".join(out)


# -- HTML --------------------------------------------------------------------------------------------

def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()  # the figure's own width: its text keeps the size computed for a phone
    figure.savefig(buffer, format="png")  # 2×: crisp on a phone's screen
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def charts(stats: LabStats) -> tuple[str, str]:
    """A score histogram and a per-check pass-rate chart of one lab, as base64 PNG drawn at 2× with the
    HTML report's plot style (every text at least 10 pt: about 10 CSS pixels on a 390-pixel-wide phone)."""
    from grader.reports import plots

    with plots.style():
        return _charts(stats)


def _charts(stats: LabStats) -> tuple[str, str]:
    from matplotlib.figure import Figure

    hist = Figure(figsize=(4.3, 3))
    ax = hist.subplots()
    bins = stats.distribution()
    ax.bar([low for low, _, _ in bins], [n for _, _, n in bins], width=bins[0][1] - bins[0][0] if bins else 1,
           align="edge", color="#4c72b0", edgecolor="white")
    ax.set_xlim(0, stats.max_score or 1)
    ax.set_xlabel(f"score (out of {stats.max_score:g})")
    ax.set_ylabel("submissions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"{stats.lab}: scores of {len(stats.graded)} graded")
    rates = Figure(figsize=(4.3, 0.3 * max(3, len(stats.checks)) + 0.9))
    ax = rates.subplots()
    names = [check.id for check in stats.checks][::-1]
    values = [100 * check.pass_rate for check in stats.checks][::-1]
    ax.barh(names, values, color=["#55a868" if v >= 50 else "#c44e52" for v in values])
    ax.set_xlim(0, 100)
    ax.set_xlabel("passed (% of graded submissions)")
    ax.set_title(f"{stats.lab}: pass rate per check")
    for y, value in enumerate(values):
        ax.text(min(value + 1, 86), y, f"{value:.0f}%", va="center")
    return _png(hist), _png(rates)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem auto;max-width:60rem;
padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.25rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem;width:100%}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}
td{overflow-wrap:break-word;word-break:normal;hyphens:manual}.t{overflow-x:auto}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.nw,code{white-space:nowrap}
dl.stats{display:flex;flex-wrap:wrap;gap:.4rem;margin:.6rem 0;padding:0}
dl.stats div{border:1px solid #ddd;border-radius:4px;padding:.2rem .6rem;min-width:4.5rem}
dl.stats dt{font-size:.8rem;color:#555}dl.stats dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:1rem;align-items:start}
.charts a{display:block}.charts img{display:block;width:100%;height:auto}
.charts a:target{overflow-x:auto;grid-column:1/-1}.charts a:target img{width:auto;max-width:none}
.lbl{display:none}
.bad{color:#b00020}.ok{color:#1b7a36}
@media (max-width:40rem){body{padding:0 .6rem;margin-top:1rem}th,td{padding:.25rem .35rem}
table.checks,table.checks tbody{display:block}table.checks th:last-child{display:none}
table.checks tr{display:grid;grid-template-columns:minmax(0,1fr) 4rem 6.6rem}
table.checks td.f{grid-column:1/-1}table.checks td.f:empty{display:none}.lbl{display:inline;color:#555}}
@media print{.charts{grid-template-columns:1fr 1fr}}
"""


_WHOLE = re.compile(r"[-+−]\d[\d.]*(?:e[-+]?\d+)?|\d[\d.]*e[-+]\d+", re.I)  # where a line could break


def _numbers_whole(text: str) -> str:
    """``text`` escaped, each of its signed numbers and exponents ("1e-05", "-0.349505") kept whole on one
    line (a browser may break a line after their minus)."""
    out, at = [], 0
    for match in _WHOLE.finditer(text):
        out += [html.escape(text[at:match.start()]), f"<span class=nw>{html.escape(match.group())}</span>"]
        at = match.end()
    return "".join(out) + html.escape(text[at:])


def render_html(summary: ClassSummary) -> str:
    esc = inert.html  # a student's text: escaped, its control characters written out
    body = [f"<h1>Class summary</h1><p>{len(summary.rows)} submission(s): <b class=ok>{summary.graded} graded</b>, "
            f"<b class={'bad' if summary.graded < len(summary.rows) else 'ok'}>{len(summary.rows) - summary.graded} "
            "not graded</b>.</p>", *(f"<p>{esc(note)}</p>" for note in summary.notes)]
    if summary.reasons:
        body.append("<h2>Not graded</h2><table><tr><th>submission</th><th>status</th><th>why</th></tr>")
        body += [f"<tr><td>{esc(row.name)}</td><td>{esc(row.status)}</td><td>{esc(_cut(row.message, 300))}</td></tr>"
                 for row in summary.rows if row.status != GRADED]
        body.append("</table>")
    for stats in summary.labs:
        # the numbers as boxes that wrap: all eight stay on a phone's screen (a table's columns scroll off it)
        numbers = [("graded", str(len(stats.graded))), ("not graded", str(len(stats.not_graded))),
                   ("mean", _fmt(stats.mean)), ("median", _fmt(stats.median)), ("sd", _fmt(stats.stdev)),
                   ("min", _fmt(min(stats.scores, default=None))), ("max", _fmt(max(stats.scores, default=None))),
                   ("out of", f"{stats.max_score:g}")]
        body.append(f"<h2>{esc(stats.lab)}</h2><dl class=stats>"
                    + "".join(f"<div><dt>{name}</dt><dd>{value}</dd></div>" for name, value in numbers) + "</dl>")
        if stats.graded:
            hist, rates = charts(stats)
            anchor = "".join(c if c.isalnum() or c in "-_" else "-" for c in stats.lab)
            body.append("<div class=charts>" + "".join(
                f'<a id="{name}-{anchor}" href="#{name}-{anchor}" title="show at full size"><img alt="{alt} of '
                f'{esc(stats.lab)}" src="data:image/png;base64,{data}"></a>'
                for name, alt, data in (("scores", "score histogram", hist), ("rates", "pass rate per check", rates)))
                + "</div>")
        body.append("<table class=checks><tr><th>check</th><th>points</th><th>pass rate</th>"
                    "<th>most common failure</th></tr>")
        for check in stats.checks:
            failure = (f"<span class=lbl>most common failure: </span>{_numbers_whole(_cut(inert.visible(check.failure), 240))} "
                       f"<i class=nw>({check.failure_count}×)</i>" if check.failure else "")
            body.append(f"<tr><td><code>{esc(check.id)}</code><br><small>{esc(check.title)}</small></td>"
                        f"<td class=n>{check.max_score:g}</td><td class=n>{check.pass_rate:.0%} "
                        f"({check.passed}/{check.judged})</td><td class=f>{failure}</td></tr>")
        body.append("</table>")
    slow = summary.slowest()
    if slow:
        body.append("<h2>Slowest submissions</h2><table><tr><th>submission</th><th>lab</th><th>seconds</th></tr>")
        body += [f"<tr><td>{esc(row.name)}</td><td>{esc(row.lab)}</td><td class=n>{row.seconds:.1f}</td></tr>"
                 for row in slow]
        body.append("</table>")
    page = "".join(body).replace("<table>", "<div class=t><table>").replace("</table>", "</table></div>")
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            f"<title>Class summary</title><style>{_CSS}</style></head><body>{page}</body></html>\n")
