"""Check kinds, registered explicitly here; each lab's spec picks and parameterises them."""

from __future__ import annotations

from grader.judging.checks import (
    clipping,
    improving,
    models,
    oracle,
    rnn_cells,
    text,
    tracing,
    tracing_models,
    windowing,
)
from grader.judging.checks.registry import Registry

registry = Registry()
registry.register_all(rnn_cells.KINDS)
registry.register_all(clipping.KINDS)
registry.register_all(improving.KINDS)
registry.register_all(models.KINDS)
registry.register_all(tracing.KINDS)
registry.register_all(tracing_models.KINDS)
registry.register_all(windowing.KINDS)
registry.register_all(oracle.KINDS)
registry.register_all(text.KINDS)

__all__ = ["registry"]
