"""Autograder for recurrent neural network labs (Keras and PyTorch flavours).

The library API: :func:`grade` runs one notebook and returns a :class:`Report`; :func:`load_lab`
and :func:`list_labs` read the course's assignment specs. Frameworks are never imported here.
"""

from __future__ import annotations

from grader.course.labs import list_labs, load_lab
from grader.errors import GraderError, InputError, KernelError, ProbeError, SpecError
from grader.reports.report import CheckResult, Report
from grader.version import __version__

__all__ = [
    "__version__",
    "CheckResult",
    "GraderError",
    "InputError",
    "KernelError",
    "ProbeError",
    "Report",
    "SpecError",
    "grade",
    "list_labs",
    "load_lab",
]


def __getattr__(name: str):
    # ``grade`` pulls in the kernel machinery (nbclient); load it only when it is used.
    if name == "grade":
        from grader.judging.grading import grade

        return grade
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
