"""Check kinds, registered explicitly here; each lab's spec picks and parameterises them."""

from __future__ import annotations

from grader.checks import clipping, models, rnn_cells
from grader.checks.registry import Registry

registry = Registry()
registry.register_all(rnn_cells.KINDS)
registry.register_all(models.KINDS)
registry.register_all(clipping.KINDS)

__all__ = ["registry"]
