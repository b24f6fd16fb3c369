"""What a grading run produces: one result per check, plus what happened to the notebook."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PASSED, FAILED, ERROR = "passed", "failed", "error"
# A check that was not run in this place (it needs the private course): its points are pending, not lost.
SKIPPED = "skipped"


def cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters long, an ellipsis saying where it was cut (every message a report
    carries that may be long is cut this way)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str, limit: int) -> str:
    """``text`` with every run of whitespace (newlines too) made one space, then :func:`cut` to ``limit``."""
    return cut(" ".join(text.split()), limit)


@dataclass
class CheckResult:
    id: str
    title: str
    score: float
    max_score: float
    status: str  # passed | failed | error | skipped
    message: str = ""
    visibility: str = "public"
    seconds: float = 0.0
    # values the grader already has that a report may plot (kept out of the JSON report)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == PASSED


@dataclass
class CellEvent:
    """A code cell of the student's notebook that did not simply run: it failed, hung or killed the kernel."""

    index: int  # position of the cell in the notebook (0-based, all cells counted)
    status: str  # error | timeout | kernel-died | skipped | memory
    message: str


@dataclass
class Report:
    lab: str
    framework: str
    notebook: str
    checks: list[CheckResult] = field(default_factory=list)
    cells: list[CellEvent] = field(default_factory=list)
    seed: int = 0
    execution_seconds: float = 0.0
    grading_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    # the isolation student code ran under ("bubblewrap", "none", ...), recorded in every report
    sandbox: str = "none"
    # "private": the graded run with the private course; "public": feedback from public checks only
    course: str = "private"
    # the notebook is not what was asked (another lab's metadata, another flavour's imports, ...)
    warnings: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(check.score for check in self.checks), 4)

    @property
    def max_score(self) -> float:
        return round(sum(check.max_score for check in self.checks), 4)

    @property
    def all_passed(self) -> bool:
        return all(check.passed for check in self.checks if check.status != SKIPPED)

    @property
    def pending_score(self) -> float:
        """Points of the checks not run here (they await the graded run with the private course)."""
        return round(sum(check.max_score for check in self.checks if check.status == SKIPPED), 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lab": self.lab,
            "framework": self.framework,
            "notebook": self.notebook,
            "score": self.score,
            "max_score": self.max_score,
            "seed": self.seed,
            "execution_seconds": round(self.execution_seconds, 3),
            "grading_seconds": round(self.grading_seconds, 3),
            "sandbox": self.sandbox,
            "course": self.course,
            "checks": [
                {key: value for key, value in asdict(check).items() if key not in ("seconds", "details")}
                | {"seconds": round(check.seconds, 3)}
                for check in self.checks
            ],
            "cells": [asdict(event) for event in self.cells],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }
