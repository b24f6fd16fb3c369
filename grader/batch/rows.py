"""Submissions found for a batch and the rows of its gradebook: the types every part of a class grading shares."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import InputError

GRADED, NOT_GRADED, GRADER_ERROR = "graded", "not graded", "grader error"
UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
STATE_DIR = ".batch-state"  # inside --out: the record that lets a rerun skip what is already graded


# -- submissions -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Submission:
    path: Path
    name: str  # unique within the batch, safe as a file name
    student: str = ""  # the first folder below the folder searched (a GitHub username), else the notebook's folder


def find_submissions(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> list[Submission]:
    """The notebooks named, or found below the folders named, each with a unique name.

    A notebook's student is the first folder below the folder named (``submissions/alice/lab.ipynb``: alice),
    or the folder the notebook is in when it lies directly in the folder named or is named itself
    (``subs/alice`` or ``subs/alice/lab.ipynb``: alice) and is the only such notebook of that folder; loose
    notebooks that share a folder (a class folder ``class/alice.ipynb``, ``class/bob.ipynb``, as an LMS
    download lays them out) are each their own student, named by the file. A notebook found in a folder is named by its path
    relative to that folder (``alice/lab.ipynb`` becomes ``alice__lab``), so that students' identically named
    files do not collide. Nothing below ``exclude`` (the batch's output folder), or below any folder an
    earlier batch wrote into, is ever taken as a submission.
    """
    excluded = [Path(p).resolve() for p in exclude]

    def skipped(path: Path) -> bool:
        resolved = path.resolve()
        return any(resolved == e or e in resolved.parents for e in excluded)

    found: list[tuple[Path, str, str]] = []
    loose: list[tuple[int, Path]] = []  # notebooks lying directly in a folder named, or named themselves
    for path in map(Path, paths):
        if path.is_dir():
            # any folder a batch wrote into (it holds the resume record) is output, not submissions
            excluded += [state.parent.resolve() for state in path.rglob(STATE_DIR) if state.is_dir()]
            notebooks = sorted(p for p in path.rglob("*.ipynb")
                               if ".ipynb_checkpoints" not in p.parts and not skipped(p))
            folder = path.resolve().name
            for p in notebooks:
                relative = p.relative_to(path)
                # submissions/<student>/...; a notebook directly in the folder named is that folder's student's
                student = relative.parts[0] if len(relative.parts) > 1 else folder or relative.stem
                found.append((p, relative.with_suffix("").as_posix(), student))
                loose.append((len(found) - 1, p))
        elif path.exists():
            if not skipped(path):
                found.append((path, path.stem, path.parent.name if path.parent.name else path.stem))
                loose.append((len(found) - 1, path))
        else:
            raise InputError(f"{path}: no such file or folder")
    if not found:
        raise InputError("no notebooks to grade (give .ipynb files or folders holding them; --out is never searched)")
    # a folder holding several loose notebooks is a class folder: each notebook is its own student
    per_folder = Counter(p.resolve().parent for _, p in loose)
    for index, p in loose:
        if per_folder[p.resolve().parent] > 1:
            path, label, _ = found[index]
            found[index] = (path, label, p.stem)
    submissions, taken = [], set()
    for path, label, student in found:
        base = UNSAFE_CHARS.sub("_", label.replace("/", "__")).strip("_") or "submission"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        submissions.append(Submission(path, name, student))
    return submissions


# -- rows --------------------------------------------------------------------------------------------

@dataclass
class Row:
    """One submission's line of the gradebook."""

    name: str
    notebook: str
    status: str  # graded | not graded | grader error
    lab: str = ""
    framework: str = ""
    score: float = 0.0
    max_score: float = 0.0
    checks: dict[str, float] = field(default_factory=dict)
    check_max: dict[str, float] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0
    student: str = ""
    seed: int | None = None
    grader_version: str = ""
    resumed: bool = False
    # the late policy (grader collect --course): the push, the student's deadline, lateness, penalty; score is then
    # the final score and raw_score what the checks gave (None: no late policy)
    pushed_at: str = ""
    deadline: str = ""
    hours_late: float = 0.0
    penalty_percent: float = 0.0
    late_reason: str = ""
    raw_score: float | None = None
    counted: bool = True  # False: a push of a course counting the best, superseded by a better one
    # the validated JSON report, for the class summary (not a gradebook column)
    report: dict[str, Any] | None = field(default=None, repr=False)
