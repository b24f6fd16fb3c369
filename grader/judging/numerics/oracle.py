"""The reference notebooks as the grader's numerics for ``oracle`` checks (private course).

A public install has no reference notebooks and no such module: ``grader.judging.numerics.oracle`` then resolves to a
:class:`grader.judging.recorded.Replayer` that answers with the reference's recorded answers to the public checks.
"""

from __future__ import annotations

from grader.judging.oracle_runner import answers

__all__ = ["answers"]
