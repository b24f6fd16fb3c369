"""Plots for the HTML report, drawn from a check's ``details`` in the grader's own process (matplotlib, Agg).

Each details dict names its plot in ``details["plot"]``; :func:`render_png` returns PNG bytes, or ``None``
for details it cannot draw. matplotlib is imported here only, when a plot is drawn.

Sized for a phone: a figure is :data:`WIDTH_IN` inches wide, every text at least :data:`MIN_FONT_PT` points,
so that shown at 346 CSS pixels (the report's figure on a 390-pixel-wide phone) a tick label or legend entry is
still 10 × 346 / (72 × 5) ≈ 9.6 CSS pixels high. The PNG holds :data:`SCALE` device pixels per CSS pixel
(:data:`DPI` CSS pixels per inch), crisp on high-density screens. A legend sits inside its axes, above the
data: the y axis is extended until the legend's box clears every line, marker, bar and label
(:func:`data_top`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_STUDENT, _GRADER, _NAIVE, _LIMIT = "#c0392b", "#2c3e50", "#95a5a6", "#e67e22"

WIDTH_IN, HEIGHT_IN = 5.0, 3.4  # one axes; the tracing grid is taller
DPI, SCALE = 100, 2  # CSS pixels per inch, device pixels per CSS pixel: the PNG is 1000 pixels wide
MIN_FONT_PT = 10
_RC = {"font.size": MIN_FONT_PT, "axes.titlesize": 10.5, "axes.labelsize": MIN_FONT_PT,
       "xtick.labelsize": MIN_FONT_PT, "ytick.labelsize": MIN_FONT_PT, "legend.fontsize": MIN_FONT_PT,
       "legend.framealpha": 0.92, "legend.borderaxespad": 0.4, "legend.handlelength": 1.6,
       "legend.columnspacing": 1.0, "figure.dpi": DPI, "savefig.dpi": DPI * SCALE}
_GAP_PX = 4  # between the legend and the highest data (display pixels at DPI)


@contextmanager
def style() -> Iterator[Any]:
    """matplotlib (Agg) with the report's font sizes, for drawing and saving a figure."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    with matplotlib.rc_context(_RC):
        yield matplotlib


def _finite(values: list[float]) -> list[float]:
    return [v if isinstance(v, (int, float)) and math.isfinite(v) else math.nan for v in values]


def _error_per_step(ax: Any, details: dict[str, Any]) -> str:
    error = _finite(details["error"])
    steps = list(range(1, len(error) + 1))
    positive = [v for v in error if v == v and v > 0]
    floor = min(positive + [details["tolerance"]]) / 10 if positive else details["tolerance"] / 10
    shown = [max(v, floor) if v == v else math.nan for v in error]
    ax.semilogy(steps, shown, "o-", color=_STUDENT, label="your run_sequence − the grader's (max abs)")
    ax.axhline(details["tolerance"], color=_LIMIT, linestyle="--", label=f"tolerance {details['tolerance']:g}")
    ax.set_xlabel("time step t")
    ax.set_ylabel("largest error at step t")
    ax.set_xticks(steps)
    return f"Error of run_sequence('{details.get('cell', '')}') at each time step against the grader's"


def _gradient_norms(ax: Any, details: dict[str, Any]) -> str:
    student, grader = _finite(details["student"]), _finite(details["grader"])
    ax.plot(range(1, len(grader) + 1), grader, "o-", color=_GRADER, label="grader (backpropagation through time)")
    ax.plot(range(1, len(student) + 1), student, "x--", color=_STUDENT, label="your input_gradient_norms")
    if all(v > 0 for v in grader + student if v == v):
        ax.set_yscale("log")
    ax.set_xlabel("input time step t")
    ax.set_ylabel("‖∂ Σ outputs / ∂ x_t‖")
    return "Input-gradient norm per time step: yours against the grader's"


def _bars(ax: Any, labels: list[str], series: list[tuple[str, list[float], str]], log: bool = False) -> None:
    """Grouped bars, each labelled with its value; on a log scale the axis reaches below the smallest bar."""
    width = 0.8 / len(series)
    for k, (name, values, color) in enumerate(series):
        bars = ax.bar([i + (k - (len(series) - 1) / 2) * width for i in range(len(labels))], values, width,
                      label=name, color=color)
        ax.bar_label(bars, labels=[f"{v:.3g}" for v in values], padding=2)
    values = [v for _, vs, _ in series for v in vs if v > 0]
    if log and values:
        ax.set_yscale("log")
        ax.set_ylim(min(values) / 4, max(values) * 4)
    elif values:
        ax.set_ylim(0, max(values) * 1.2)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels)


def _clipped_update(ax: Any, details: dict[str, Any]) -> str:
    steps = details["steps"]
    labels = [step["label"] for step in steps]
    _bars(ax, labels, [("gradient (not clipped)", [s["gradient_norm"] for s in steps], _NAIVE),
                       ("expected (clipped)", [s["expected_norm"] for s in steps], _GRADER),
                       ("yours: ‖update‖ / lr", [s["update_norm"] for s in steps], _STUDENT)], log=True)
    for i, step in enumerate(steps):
        ax.hlines(step["max_norm"], i - 0.45, i + 0.45, color=_LIMIT, linestyle="--",
                  label="max_norm" if i == 0 else None)
    ax.set_ylabel("global norm")
    return "The update train_step applied (divided by the learning rate) against max_norm"


def _optimizer_moves(ax: Any, details: dict[str, Any]) -> str:
    labels = [f"step {i + 1}" for i in range(len(details["student"]))]
    _bars(ax, labels, [("yours: how far the variables moved", details["student"], _STUDENT),
                       ("same optimizer fed clipped gradients", details["reference"], _GRADER)])
    ax.set_ylabel("‖change of the variables‖")
    return (f"Moves of make_optimizer after a gradient of norm {details['gradient_norm']:.3g} "
            f"(max_norm {details['max_norm']:.3g})")


def _forecast(ax: Any, details: dict[str, Any]) -> str:
    hours = range(len(details["truth"]))
    ax.plot(hours, details["truth"], color=_GRADER, linewidth=1.6, label="truth")
    ax.plot(hours, details["naive"], color=_NAIVE, linewidth=1, label=f"naive last value (MAE {details['naive_mae']:.3f} °C)")
    ax.plot(hours, details["forecast"], color=_STUDENT, linewidth=1.2,
            label=f"your predict (MAE {details['mae']:.3f} °C)")
    ax.set_xlabel(details.get("xlabel", "hour of the first week of the evaluation period"))
    ax.set_ylabel("temperature (°C)")
    ax.set_xticks(range(0, len(details["truth"]) + 1, 24))
    return (f"Forecast over one week: MAE {details['mae']:.3f} °C, naive {details['naive_mae']:.3f} °C, "
            f"needed ≤ {details['threshold']:.3f} °C")


def _tracing(fig: Any, details: dict[str, Any]) -> str:
    predictions, truth = details["predictions"], details["truth"]
    columns = 2 if len(predictions) > 2 else len(predictions)
    rows = math.ceil(len(predictions) / columns)
    grid = fig.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    weeks = list(range(1, len(truth[0]) + 1))
    for k, ax in enumerate(grid.flat):
        if k >= len(predictions):
            ax.set_visible(False)
            continue
        ax.plot(weeks, _finite(truth[k]), "o", color=_GRADER, label="quiz score")
        ax.plot(weeks, predictions[k], "x-", color=_STUDENT, label="your predict_tracing")
        ax.set_title(details["students"][k])
        ax.set_xticks(weeks[::3])
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
    for ax in grid[-1]:
        ax.set_xlabel("week")
    for ax in grid[:, 0]:
        ax.set_ylabel("quiz score")
    handles, labels = grid[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
    return "Tracing predictions against the quiz scores of a few public students (empty weeks: no quiz)"


_AXES: dict[str, Callable[[Any, dict[str, Any]], str]] = {
    "error_per_step": _error_per_step,
    "gradient_norms": _gradient_norms,
    "clipped_update": _clipped_update,
    "optimizer_moves": _optimizer_moves,
    "forecast": _forecast,
}
_FIGURES: dict[str, Callable[[Any, dict[str, Any]], str]] = {"tracing": _tracing}
_COLUMNS = {"clipped_update": 2, "forecast": 1}  # legend columns (default 1)
KINDS = tuple(sorted([*_AXES, *_FIGURES]))


def data_top(ax: Any, renderer: Any) -> float:
    """The highest display y of anything drawn in ``ax`` from the data: line vertices (with their markers),
    line collections, bars and their labels."""
    tops = [-math.inf]
    box = ax.get_window_extent(renderer)
    for line in ax.get_lines():
        xy = line.get_transform().transform(line.get_xydata())
        inside = [y for x, y in xy if math.isfinite(x) and math.isfinite(y) and box.x0 - 1 <= x <= box.x1 + 1]
        marker = line.get_markersize() / 2 * ax.figure.dpi / 72 if line.get_marker() not in (None, "None", "") else 0
        tops += [y + marker + line.get_linewidth() * ax.figure.dpi / 144 for y in inside]
    for collection in ax.collections:
        for segment in getattr(collection, "get_segments", lambda: [])():
            tops += [y for _, y in collection.get_transform().transform(segment) if math.isfinite(y)]
    tops += [artist.get_window_extent(renderer).y1 for artist in [*ax.patches, *ax.texts] if artist.get_visible()]
    return min(max(top for top in tops if not math.isnan(top)), box.y1)


def _legend_above_data(fig: Any, ax: Any, columns: int) -> None:
    """A legend inside ``ax`` at its top, the y axis extended until all the data lies below the legend."""
    legend = ax.legend(loc="upper center", ncol=columns)
    for _ in range(8):
        fig.tight_layout()
        renderer = fig.canvas.get_renderer()
        top, box, frame = data_top(ax, renderer), legend.get_window_extent(renderer), ax.get_window_extent(renderer)
        if box.width > frame.width and columns > 1:  # wider than the axes: one entry a line
            columns = 1
            legend = ax.legend(loc="upper center", ncol=columns)
            continue
        if box.y0 - top >= _GAP_PX:
            return
        used, free = top - frame.y0, box.y0 - _GAP_PX - frame.y0
        scale = used / max(free, 1.0) * 1.02
        transform = ax.yaxis.get_transform()
        low, high = transform.transform(ax.get_ylim())
        ax.set_ylim(ax.get_ylim()[0], transform.inverted().transform(low + (high - low) * scale))


def draw(details: dict[str, Any]) -> tuple[Any, str] | None:
    """(matplotlib Figure, caption) of the plot ``details`` describe, or ``None``; call inside :func:`style`."""
    kind = details.get("plot")
    if kind not in _AXES and kind not in _FIGURES:
        return None
    if kind == "clipped_update" and not details.get("steps"):
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    tall = kind in _FIGURES and len(details.get("predictions", [])) > 2
    fig = Figure(figsize=(WIDTH_IN, 4.8 if tall else HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    if kind in _FIGURES:
        caption = _FIGURES[kind](fig, details)
        fig.tight_layout(rect=(0, 0.07 if tall else 0.1, 1, 1))
    else:
        ax = fig.add_subplot()
        caption = _AXES[kind](ax, details)
        ax.grid(alpha=0.3)
        _legend_above_data(fig, ax, _COLUMNS.get(kind, 1))
    return fig, caption


def render_png(details: dict[str, Any]) -> tuple[bytes, str] | None:
    """(PNG bytes, a one-line caption) of the plot ``details`` describe, or ``None``."""
    try:
        with style():
            drawn = draw(details)
            if drawn is None:
                return None
            fig, caption = drawn
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png")
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError):
        return None  # details from an unexpected value: the report goes on without this plot
    return buffer.getvalue(), caption
