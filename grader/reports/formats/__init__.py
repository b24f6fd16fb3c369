"""Report formats, registered explicitly: each renders a :class:`~grader.reports.report.Report` to text."""

from __future__ import annotations

from collections.abc import Callable

from grader.errors import InputError
from grader.reports.formats import classroom, gradescope, html, json_format, junit, markdown, terminal
from grader.reports.report import Report

Renderer = Callable[[Report], str]

_REGISTRY: dict[str, Renderer] = {}


def register(name: str, renderer: Renderer) -> None:
    _REGISTRY[name] = renderer


def get(name: str) -> Renderer:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InputError(f"no report format named {name!r}; choose one of {', '.join(names())}") from None


def names() -> list[str]:
    return sorted(_REGISTRY)


def render(report: Report, name: str) -> str:
    return get(name)(report)


register("terminal", terminal.render)
register("json", json_format.render)
register("markdown", markdown.render)
register("gradescope", gradescope.render)
register("junit", junit.render)
register("classroom", classroom.render)
register("html", html.render)
