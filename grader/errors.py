"""The grader's exceptions: one base class, a few kinds with structured fields."""

from __future__ import annotations


class GraderError(Exception):
    """Base class of every error the grader raises on purpose."""


class InputError(GraderError):
    """The input cannot be graded: not a notebook, unknown lab or flavour, unreadable file.

    The CLI turns it into a one-line message and exit code 2.
    """


class SpecError(GraderError):
    """An assignment spec (``assignment.yaml``) is missing or does not match the schema."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        listing = "; ".join(problems)
        super().__init__(f"invalid assignment spec {path}: {listing}")


class ProbeError(GraderError):
    """Values could not be brought back from the student's kernel."""


class KernelError(GraderError):
    """The kernel could not be started or stopped responding for good."""
