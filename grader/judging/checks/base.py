"""What a check kind is, and the helpers kinds share for judging values and wording messages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from grader.judging.recorded import NotRecorded
from grader.kernel.probing import CallResult, Opaque
from grader.reports.report import cut


@dataclass
class CheckContext:
    """What a check kind may know when it plans and judges: the flavour, its randomness, the lab's data."""

    framework: str
    rng: np.random.Generator
    hidden_dir: Path
    lab_id: str = ""
    seed: int = 0  # the grading's seed (ctx.rng already mixes it with the check's id)


@dataclass
class Plan:
    calls: list[dict[str, Any]]
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class Verdict:
    passed: bool
    message: str = ""
    # values a report may plot (the student's and the grader's numbers); never shown where the check is hidden
    details: dict[str, Any] = field(default_factory=dict)


class Failed(Exception):
    """Raised inside ``judge`` to stop at the first problem found; becomes a failed verdict."""


class CheckKind:
    """A kind of check. The spec picks a kind by ``name`` and parameterises it with ``params``.

    ``plan`` chooses inputs and lists the calls to make in the kernel; ``judge`` decides, in the
    grader process, from the raw values that came back.
    """

    name: ClassVar[str]
    kernel_modules: ClassVar[tuple[str, ...]] = ()
    # a verdict that rests on hidden labels (a metric against a calibrated threshold): without the private
    # course it is only ever a preview on public data, whatever the check's visibility
    preview_only: ClassVar[bool] = False

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        raise NotImplementedError

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        raise NotImplementedError


def fmt_shape(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return str(tuple(value.shape))
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, Opaque):
        return f"a {value.type_name}"
    return cut(f"a {type(value).__name__} ({value!r})", 120)


def as_array(value: Any, what: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.asarray(value)
    raise Failed(f"{what} should be an array/tensor, got {fmt_shape(value)}")


def compare(expected: np.ndarray, got: Any, what: str, atol: float, rtol: float = 1e-4) -> None:
    """Raise :class:`Failed` with a precise message unless ``got`` matches ``expected``."""
    array = as_array(got, what)
    if array.shape != expected.shape:
        raise Failed(f"{what}: expected shape {tuple(expected.shape)}, got {tuple(array.shape)}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise Failed(f"{what}: contains NaN or infinite values")
    error = np.abs(array - expected)
    bound = atol + rtol * np.abs(expected)
    if np.any(error > bound):
        worst = np.unravel_index(int(np.argmax(error - bound)), error.shape)
        index = list(int(i) for i in worst)
        raise Failed(
            f"{what}: max abs error {error.max():.3g} (tolerance {atol:g}); at index {index} "
            f"expected {expected[worst]:.6g}, got {array[worst]:.6g}"
        )


def matches(expected: np.ndarray, got: Any, atol: float, rtol: float = 1e-4) -> bool:
    try:
        compare(expected, got, "", atol, rtol)
    except Failed:
        return False
    return True


def require_ok(result: CallResult, call_text: str) -> Any:
    if not result.ok:
        assert result.error is not None
        if result.error.missing:
            raise Failed(result.error.message)
        raise Failed(f"{call_text} {result.error.describe()}")
    return result.value


def optional(default: Callable[[], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For diagnoses and plot data: what a public install cannot compute from the recorded expectations
    (:class:`NotRecorded`) is left out (``default()``) instead of stopping the check."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except NotRecorded:
                return default()

        return wrapper

    return decorate


def run_judge(judge_body: Any, details: dict[str, Any] | None = None) -> Verdict:
    """Run ``judge_body`` (it returns the success message or raises :class:`Failed`); ``details`` is the dict
    the body fills with values to plot, passed on whether the check passed or failed."""
    try:
        message = judge_body()
    except Failed as failure:
        return Verdict(False, str(failure), dict(details or {}))
    return Verdict(True, message or "", dict(details or {}))
