"""Grading a class: the checks before grading, the batch, the gradebook files and the class summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.batch.engines import make_engine
from grader.batch.planning import BatchOptions, batch_labs, check_labs, notebook_lab
from grader.batch.rows import GRADED, find_submissions
from grader.batch.run import BatchResult, Listener, grade_batch
from grader.batch.task import private_course, sandbox_available
from grader.errors import InputError

# -- a whole class: checks before grading, the batch, the gradebook and the summary --------------------

@dataclass
class ClassOptions:
    """What ``grader batch`` was asked for, beyond one submission's grading."""

    jobs: int = 1
    scheduler: str | None = None
    sequential: bool = False
    roster: Path | None = None
    gradebooks: tuple[str, ...] = ()
    assignment: str | None = None


@dataclass
class ClassResult:
    batch: BatchResult
    written: list[Path]
    summary_text: str

    @property
    def exit_code(self) -> int:
        return self.batch.exit_code




def grade_class(paths: Sequence[Path], options: BatchOptions, how: ClassOptions,
                listener: Listener | None = None, ready: Callable[[], None] | None = None) -> ClassResult:
    """Grade a class and write ``grades.csv``, ``summary.md``, ``summary.html`` (and the roster's files).

    Everything that can make the batch pointless (no submissions, unknown lab or flavour, unreadable roster,
    an unknown gradebook format, no sandbox for a run with the private course unless ``no_sandbox``) is an
    :class:`InputError` raised before any grading. ``ready`` is called once all of that has passed, before the
    engine starts.
    """
    from grader.batch import class_summary, gradebook
    from grader.platforms import late_grades

    out = options.out_dir
    submissions = find_submissions(paths, exclude=[out])
    roster = gradebook.read_roster(how.roster) if how.roster else None
    for kind in how.gradebooks:
        if kind not in gradebook.GRADEBOOK_FORMATS:
            raise InputError(f"unknown gradebook {kind!r}; choose from {', '.join(gradebook.GRADEBOOK_FORMATS)}")
        if kind == "canvas" and roster is None:
            raise InputError("--gradebook canvas needs --roster (Canvas matches students by their identifier)")
    if options.no_sandbox:
        if "--no-sandbox" not in options.extra_check_options:
            options.extra_check_options = (*options.extra_check_options, "--no-sandbox")
    elif how.scheduler is None and private_course():
        ok, reason = sandbox_available()
        if not ok:
            raise InputError(f"no sandbox can start here ({reason}); student code would run unconfined next to "
                             "the private course: install bubblewrap, or pass --no-sandbox to grade anyway")
    batch_labs(  # an ambiguous class is refused before the cluster starts
        [notebook_lab(_peek(s.path)) for s in submissions] if not options.labs else [], options.labs)
    check_labs(options.labs, options.framework)
    if ready is not None:
        ready()
    with make_engine(how.jobs, how.scheduler, how.sequential) as engine:
        result = grade_batch(submissions, options, engine, listener)
        engine_notes = list(getattr(engine, "notes", []))
    late_grades.apply(result.rows, late_grades.records(paths), GRADED)
    written = [out / "grades.csv"]
    gradebook.write_grades_csv(result.rows, written[0])
    if roster is not None or how.gradebooks:
        book = gradebook.build_gradebook(result.rows, roster)
        if roster is not None:
            written.append(out / "students.csv")
            gradebook.write_students_csv(book, result.labs, written[-1])
        for kind in how.gradebooks:
            written.append(out / f"gradebook-{kind}.csv")
            gradebook.write_export(book, result.rows, result.labs, kind, written[-1], how.assignment)
    summary = class_summary.summarize(late_grades.counted(result.rows), result.seconds)  # superseded pushes aside
    summary.notes += engine_notes
    summary.notes += [line for line in [late_grades.summary_line(result.rows)] if line]
    if roster is not None:
        book = gradebook.build_gradebook(result.rows, roster)
        if book.missing:
            summary.notes.append("no submission: " + ", ".join(s.github_username or s.identifier for s in book.missing))
        if book.unmatched:
            summary.notes.append("on no roster line: " + ", ".join(total.key for total in book.unmatched))
    text = class_summary.render_terminal(summary)
    (out / "summary.md").write_text(class_summary.render_markdown(summary), encoding="utf-8")
    (out / "summary.html").write_text(class_summary.render_html(summary), encoding="utf-8")
    written += [out / "summary.md", out / "summary.html"]
    return ClassResult(result, written, text)


def _peek(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
