"""The reference notebooks as the grader's numerics for ``oracle`` checks (private course).

A public install has no reference notebooks and no such module: ``grader.numerics.oracle`` then resolves to a
:class:`grader.recorded.Replayer` that answers with the reference's recorded answers to the public checks.
"""

from __future__ import annotations

from grader.oracle_runner import answers, generated_cases

__all__ = ["answers", "generated_cases"]
