"""Planning a batch: each submission's lab, its task, or the row decided without grading (refused, unreadable, resumed)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.batch.resume import load_state
from grader.batch.rows import NOT_GRADED, Row, Submission
from grader.batch.task import CHECK_ARGV, Task, private_course
from grader.errors import InputError
from grader.version import __version__

# -- planning a batch --------------------------------------------------------------------------------

@dataclass
class BatchOptions:
    out_dir: Path = Path("grading")
    labs: tuple[str, ...] = ()
    framework: str | None = None
    seed: int = 0
    timeout: float = 1800.0
    force: bool = False
    no_sandbox: bool = False
    argv: tuple[str, ...] = CHECK_ARGV
    extra_check_options: tuple[str, ...] = ()


@dataclass
class Planned:
    submission: Submission
    lab: str | None
    key: str
    task: Task | None = None
    row: Row | None = None  # decided without grading: refused, unreadable, or resumed


def notebook_lab(data: bytes) -> str | None:
    """The lab a notebook's metadata names (``metadata.grader.lab``), or None; never raises."""
    return grader_metadata(data).get("lab")


def grader_metadata(data: bytes) -> dict[str, str]:
    """The text values of a notebook's ``metadata.grader`` (``lab``, ``framework``), {} if none; never raises."""
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError, MemoryError):
        return {}
    meta = nb.get("metadata") if isinstance(nb, dict) else None
    grader_meta = meta.get("grader") if isinstance(meta, dict) else None
    if not isinstance(grader_meta, dict):
        return {}
    return {key: value for key, value in grader_meta.items() if isinstance(value, str)}


def expected_seconds(spec: Any, framework: str | None) -> float:
    """How long grading a submission of ``spec`` should take: its flavour's reference grading time, the slowest
    flavour's when the flavour is not known yet, 0 when the spec says nothing."""
    known = {name: flavour.grading_seconds for name, flavour in spec.flavours.items() if flavour.grading_seconds}
    if framework in known:
        return float(known[framework])
    return float(max(known.values(), default=0.0))


def unreadable_notebook(path: Path) -> str | None:
    """Why the file at ``path`` is not a notebook ``grader check`` can read (its own words), or None if it is."""
    import warnings

    from grader.course.notebook import read_notebook

    try:
        with warnings.catch_warnings():  # nbformat's validation notes are not the batch's to print
            warnings.simplefilter("ignore")
            read_notebook(path)
    except InputError as exc:
        return str(exc).removeprefix(f"{path}: ")
    return None


def resume_key(data: bytes, lab: str | None, framework: str | None, seed: int, version: str) -> str:
    digest = hashlib.sha256()
    for part in (hashlib.sha256(data).hexdigest(), lab or "", framework or "", str(seed), version):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def batch_labs(notebook_labs: Sequence[str | None], labs: Sequence[str]) -> tuple[tuple[str, ...], str]:
    """The labs this batch grades: those given, else the lab most notebooks name; (labs, how it was decided)."""
    if labs:
        return tuple(dict.fromkeys(labs)), "given"  # a lab given twice is graded once
    counts = Counter(lab for lab in notebook_labs if lab)
    if not counts:
        raise InputError("no notebook says which lab it is (metadata.grader.lab); pass --lab")
    ranked = counts.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        listing = ", ".join(f"{lab} ({n})" for lab, n in ranked)
        raise InputError(f"the notebooks name several labs equally often: {listing}; pass --lab "
                         "(repeat it to grade several labs in one batch)")
    return (ranked[0][0],), f"named by {ranked[0][1]} of {len(notebook_labs)} notebook(s)"


def check_labs(labs: Sequence[str], framework: str | None) -> dict[str, Any]:
    """Load every lab of the batch (an unknown lab or flavour is an :class:`InputError`)."""
    from grader.course.labs import load_lab

    specs = {lab: load_lab(lab) for lab in labs}
    for lab, spec in specs.items():
        if framework is not None and framework not in spec.flavours:
            raise InputError(f"lab {lab} has no {framework!r} flavour (it has: {', '.join(spec.flavours)})")
    return specs


def plan(submissions: Sequence[Submission], options: BatchOptions) -> tuple[list[Planned], tuple[str, ...]]:
    """Read every submission and decide, before any grading, what each one gets: a task or a row."""
    version = __version__
    datas: list[bytes | None] = []
    read_errors: dict[str, str] = {}
    for submission in submissions:
        try:
            datas.append(submission.path.read_bytes())
        except OSError as exc:
            datas.append(None)
            read_errors[submission.name] = exc.strerror or str(exc)
    metas = [grader_metadata(data) if data is not None else {} for data in datas]
    meta_labs = [meta.get("lab") for meta in metas]
    labs, _ = batch_labs(meta_labs, options.labs)
    specs = check_labs(labs, options.framework)
    check_options = [*(["--framework", options.framework] if options.framework else []),
                     "--seed", str(options.seed), *options.extra_check_options]
    private = private_course()
    planned: list[Planned] = []
    for submission, data, meta in zip(submissions, datas, metas, strict=True):
        meta_lab = meta.get("lab")
        if data is None:
            row = _row(submission, NOT_GRADED, f"cannot read {submission.path}: {read_errors[submission.name]}",
                       options, version)
            planned.append(Planned(submission, None, "", row=row))
            continue
        if meta_lab is not None and meta_lab not in labs:
            # no lab and no maximum: the row is no submission of the batch's lab (its message says which it is)
            message = (f"refused: the notebook's metadata names lab {meta_lab}, and this batch grades "
                       f"{', '.join(labs)}")
            planned.append(Planned(submission, None, "", row=_row(submission, NOT_GRADED, message, options, version)))
            continue
        if meta_lab is None and len(labs) > 1:
            message = unreadable_notebook(submission.path) or (
                f"the notebook does not say which lab it is, and this batch grades {', '.join(labs)}")
            planned.append(Planned(submission, None, "", row=_row(submission, NOT_GRADED, message, options, version)))
            continue
        lab = meta_lab or labs[0]
        key = resume_key(data, lab, options.framework, options.seed, version)
        item = Planned(submission, lab, key)
        if not options.force:
            item.row = load_state(options.out_dir, submission, key)
        if item.row is None:
            framework = options.framework or meta.get("framework")
            item.task = Task(submission.name, submission.path.name, data, lab, tuple(check_options),
                             options.timeout, private and not options.no_sandbox, options.argv, private,
                             expected_seconds(specs[lab], framework))
        planned.append(item)
    return planned, labs


def _row(submission: Submission, status: str, message: str, options: BatchOptions, version: str,
         lab: str = "") -> Row:
    return Row(submission.name, str(submission.path), status, lab=lab, framework=options.framework or "",
               message=message, student=submission.student, seed=options.seed, grader_version=version)


def _set_max(row: Row, spec: Any, framework: str | None) -> None:
    """A row without a report still shows what the submission was worth, when the flavour tells or does not matter."""
    if spec is None:
        return
    flavour = framework or row.framework
    if flavour not in spec.flavours:
        totals = {spec.max_score(name) for name in spec.flavours}
        if len(totals) != 1:
            return
        flavour = next(iter(spec.flavours))
    row.check_max = {check.id: float(check.points) for check in spec.checks_for(flavour)}
    row.max_score = float(sum(row.check_max.values()))
