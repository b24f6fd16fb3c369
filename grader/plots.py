"""Plots for the HTML report, drawn from a check's ``details`` in the grader's own process (matplotlib, Agg).

Each details dict names its plot in ``details["plot"]``; :func:`render_png` returns PNG bytes, or ``None``
for details it cannot draw. matplotlib is imported here only, when a plot is drawn.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

_STUDENT, _GRADER, _NAIVE, _LIMIT = "#c0392b", "#2c3e50", "#95a5a6", "#e67e22"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


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
        ax.bar_label(bars, labels=[f"{v:.3g}" for v in values], fontsize=8, padding=2)
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
    _bars(ax, labels, [("gradient norm (before clipping)", [s["gradient_norm"] for s in steps], _NAIVE),
                       ("expected: clipped norm", [s["expected_norm"] for s in steps], _GRADER),
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
    ax.set_xlabel("hour of the first week of the evaluation period")
    ax.set_ylabel("temperature (°C)")
    ax.set_xticks(range(0, len(details["truth"]) + 1, 24))
    return (f"Forecast over one week: MAE {details['mae']:.3f} °C, naive {details['naive_mae']:.3f} °C, "
            f"needed ≤ {details['threshold']:.3f} °C")


def _tracing(fig: Any, details: dict[str, Any]) -> str:
    predictions, truth = details["predictions"], details["truth"]
    axes = fig.subplots(1, len(predictions), sharey=True, squeeze=False)[0]
    weeks = list(range(1, len(truth[0]) + 1))
    for k, ax in enumerate(axes):
        ax.plot(weeks, _finite(truth[k]), "o", color=_GRADER, label="quiz score")
        ax.plot(weeks, predictions[k], "x-", color=_STUDENT, label="your predict_tracing")
        ax.set_title(details["students"][k], fontsize=9)
        ax.set_xlabel("week")
        ax.set_xticks(weeks[::3])
        ax.set_ylim(-0.05, 1.05)
    axes[0].set_ylabel("quiz score")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=2, frameon=False)
    return "Tracing predictions against the quiz scores of a few public students (empty weeks: no quiz)"


_AXES: dict[str, Callable[[Any, dict[str, Any]], str]] = {
    "error_per_step": _error_per_step,
    "gradient_norms": _gradient_norms,
    "clipped_update": _clipped_update,
    "optimizer_moves": _optimizer_moves,
    "forecast": _forecast,
}
_FIGURES: dict[str, Callable[[Any, dict[str, Any]], str]] = {"tracing": _tracing}
_LEGEND_OUTSIDE = {"clipped_update", "optimizer_moves"}
_LEGEND_ABOVE = {"forecast"}
KINDS = tuple(sorted([*_AXES, *_FIGURES]))


def render_png(details: dict[str, Any]) -> tuple[bytes, str] | None:
    """(PNG bytes, a one-line caption) of the plot ``details`` describe, or ``None``."""
    kind = details.get("plot")
    if kind not in _AXES and kind not in _FIGURES:
        return None
    if kind == "clipped_update" and not details.get("steps"):
        return None
    plt = _pyplot()
    fig = plt.figure(figsize=(7.2, 3.2), dpi=110)
    try:
        if kind in _FIGURES:
            caption = _FIGURES[kind](fig, details)
        else:
            ax = fig.add_subplot()
            caption = _AXES[kind](ax, details)
            ax.grid(alpha=0.3)
            if kind in _LEGEND_OUTSIDE:  # bars fill the axes: the legend goes beside them
                ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
            elif kind in _LEGEND_ABOVE:  # lines cross the whole week: the legend goes above them
                ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
            else:
                ax.legend(fontsize=8)
        fig.tight_layout(rect=(0, 0.08, 1, 1) if kind in _FIGURES else None)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError):
        return None  # details from an unexpected value: the report goes on without this plot
    finally:
        plt.close(fig)
    return buffer.getvalue(), caption
