"""Grading one notebook and keeping a lab: grader check, list, release, record, validate, comment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from grader.cli.common import EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, _fail, _github_append
from grader.errors import GraderError, InputError, SpecError
from grader.reports.formats.inert import visible


@click.command()
@click.argument("notebook", type=click.Path(path_type=Path))
@click.option("--lab", help="Lab id (default: from the notebook's metadata).")
@click.option("--framework", type=click.Choice(["keras", "torch"]), help="Flavour (default: from the notebook).")
@click.option("--format", "formats", multiple=True, default=("terminal",), show_default=True,
              help="Report format: terminal, json, markdown, html, gradescope, junit, classroom; repeat to write "
                   "several (paired in order with --output). The terminal format is as wide as the terminal and "
                   "coloured only on one (NO_COLOR honoured); html is one self-contained page with plots.")
@click.option("--output", "outputs", multiple=True, type=click.Path(path_type=Path),
              help="Write the report to FILE instead of standard output; repeat for several formats.")
@click.option("--executed", type=click.Path(path_type=Path), help="Also save the executed notebook (with outputs) here.")
@click.option("--seed", type=int, help="Seed of the hidden inputs (default: random; the report records it).")
@click.option("--cell-timeout", type=click.FloatRange(min=1), help="Seconds one cell may run (default: the lab's).")
@click.option("--timeout", "notebook_timeout", type=click.FloatRange(min=1),
              help="Seconds the whole notebook may run (default: the lab's).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 when grading completed, whatever the score (for CI steps).")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages on standard error.")
@click.option("--no-sandbox", is_flag=True,
              help="Run the kernel without the bubblewrap sandbox (needed under CI=true with the private course "
                   "where it cannot start).")
@click.option("--start-ahead", is_flag=True, hidden=True,
              help="Start the kernel, then wait for a line 'go' on standard input before running the notebook "
                   "(grader batch --sequential starts the next grading this way); end at end of input.")
def check(notebook: Path, lab: str | None, framework: str | None, formats: tuple[str, ...],
          outputs: tuple[Path, ...], executed: Path | None, seed: int | None, cell_timeout: float | None,
          notebook_timeout: float | None, exit_zero: bool, quiet: bool, no_sandbox: bool,
          start_ahead: bool) -> None:
    """Grade NOTEBOOK and print its report.

    Exit status: 0 every check passed, 1 some check failed, 2 unusable input (or, under CI=true with the
    private course, no sandbox and no --no-sandbox), 3 the grader failed. In GitHub Actions the Markdown
    report is added to the job summary, the classroom format sets the step output `result`, and whatever the
    student's code wrote is printed with workflow commands turned off.
    """
    from grader.judging.grading import grade, unusable_report
    from grader.kernel import sandbox
    from grader.reports import formats as report_formats
    from grader.reports.workflow_text import for_log, in_github_actions

    require_sandbox = False
    if not no_sandbox and not sandbox.disabled_by_environment():
        from grader.course.paths import private_root

        ok, reason = sandbox.available()
        # a trusted place (CI with the private course) runs private checks in a sandbox or not at all
        require_sandbox = os.environ.get("CI", "").lower() == "true" and private_root() is not None
        if not ok and not require_sandbox:
            click.echo(f"sandbox: none ({reason})", err=True)

    try:
        renderers = [report_formats.get(name) for name in formats]
        if outputs and len(outputs) != len(formats):
            raise InputError(f"{len(outputs)} --output for {len(formats)} --format; give one --format per --output")
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    progress = None if quiet else (lambda message: click.echo(f"  {message}", err=True))
    code = None
    try:
        if notebook.is_dir():
            raise InputError(_folder_given(notebook))
        report = grade(notebook, lab=lab, framework=framework, seed=seed, progress=progress,
                       cell_timeout=cell_timeout, notebook_timeout=notebook_timeout, executed_path=executed,
                       use_sandbox=False if no_sandbox else None, require_sandbox=require_sandbox,
                       hard_deadline=True, started_ahead=_wait_for_go if start_ahead else None)
    except InputError as exc:
        click.echo(for_log(visible(f"error: {exc}")), err=True, nl=not in_github_actions())
        if not outputs:
            sys.exit(EXIT_INPUT)
        report, code = unusable_report(notebook, str(exc), lab, framework), EXIT_INPUT
    except sandbox.SandboxUnavailable as exc:
        _fail(str(exc), EXIT_INPUT)
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    except Exception as exc:  # noqa: BLE001 - the one place that turns a crash into exit code 3
        _fail(f"the grader failed: {type(exc).__name__}: {exc}", EXIT_INTERNAL)
    points_lines = []  # the grader's own workflow commands: printed last, after any student text
    for index, (name, renderer) in enumerate(zip(formats, renderers, strict=True)):
        if name == "terminal" and not outputs:  # width and colour from the terminal itself
            text = report_formats.terminal.render(report, stream=sys.stdout)
        else:
            text = renderer(report)
        if outputs:
            outputs[index].parent.mkdir(parents=True, exist_ok=True)
            outputs[index].write_text(text, encoding="utf-8")
        elif name == "classroom" and in_github_actions():
            points_lines.append(text.rstrip("\n"))  # base64 and the grader's notices: nothing of the student's raw
        else:
            click.echo(for_log(text), nl=False)
        if name == "classroom":
            _github_append("GITHUB_OUTPUT", report_formats.classroom.github_outputs(report))
            if outputs:  # the points lines must reach the log for Classroom to read them
                points_lines.append("\n".join(report_formats.classroom.notices(report)))
    _github_append("GITHUB_STEP_SUMMARY", report_formats.markdown.render(report))
    for error in report.internal_errors:
        click.echo(for_log(visible(error)), err=True, nl=not in_github_actions())
    for line in points_lines:
        click.echo(line)
    if code is not None:
        sys.exit(code)
    if report.internal_errors:
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK if report.all_passed or exit_zero else EXIT_FAILED)




def _wait_for_go() -> None:
    """Block until the batch says go (a line ``go`` on standard input); end quietly if it never will."""
    from grader.batch.task import GO

    line = sys.stdin.readline()
    if line.strip() != GO:
        sys.exit(EXIT_INPUT)  # the batch no longer wants this grading: nothing of the notebook has run


def _folder_given(folder: Path) -> str:
    """What ``grader check FOLDER`` says: it takes one notebook, and which notebooks the folder holds."""
    from itertools import islice

    found = (path.relative_to(folder).as_posix() for path in folder.rglob("*.ipynb")
             if ".ipynb_checkpoints" not in path.parts)
    notebooks = sorted(islice(found, 11))
    if not notebooks:
        return f"{folder} is a folder and holds no notebook; give the path of a notebook (.ipynb)"
    shown = ", ".join(notebooks[:10]) + (" and more" if len(notebooks) > 10 else "")
    return (f"{folder} is a folder; give one notebook ({shown}), or grade them all with "
            f"`grader batch {folder}`")




@click.command(name="warm-up")
@click.argument("lab")
@click.option("--framework", type=click.Choice(["keras", "torch"]), required=True, help="Flavour.")
def warm_up(lab: str, framework: str) -> None:
    """Write the bytecode of what grading LAB imports, into an environment installed without it.

    For an install made with `pip install --no-compile` (the student's feedback job): grades LAB's own
    student notebook, shipped with the grader (no notebook of yours runs), then compiles every module that
    grading imported, in the grader and in its kernel; nothing else of the environment is compiled.
    """
    from grader.judging.warm_up import warm_up as run_warm_up
    from grader.platforms.starter import student_report_formats

    try:  # the reports the student's workflow writes: what rendering them imports is compiled too
        done = run_warm_up(lab, framework, [name for name, _ in student_report_formats()])
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    click.echo(f"{lab} ({framework}): bytecode of {len(done.compiled)} modules in place"
               + (f", {len(done.failed)} could not be compiled" if done.failed else "") + f" ({done.seconds:.1f} s)")


@click.command(name="list")
def list_command() -> None:
    """List the labs, their flavours and points."""
    from grader.course.labs import list_labs

    try:
        labs = list_labs()
    except SpecError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    for lab in labs:
        flavours = ", ".join(f"{name} {lab.max_score(name):g} pts" for name in lab.flavours)
        click.echo(f"{lab.id:28} {lab.title}  [{flavours}]  ({len(lab.checks_for(next(iter(lab.flavours))))} checks)")


@click.command()
@click.argument("lab", required=False)
@click.option("--check", "check_only", is_flag=True, help="Only report notebooks that are out of date; exit 1 if any.")
def release(lab: str | None, check_only: bool) -> None:
    """Generate the student notebooks of LAB (default: every lab) from its reference notebooks."""
    from grader.course.labs import lab_ids, load_lab
    from grader.course.release import build_release, write_release

    stale = []
    try:
        for lab_id in [lab] if lab else lab_ids():
            releases = build_release(load_lab(lab_id))
            if check_only:
                stale += [r.path for r in releases if not r.up_to_date]
            else:
                for path in write_release(releases):
                    click.echo(f"wrote {path}")
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    for path in stale:
        click.echo(f"out of date: {path} (run `grader release`)", err=True)
    if stale:
        sys.exit(EXIT_FAILED)
    if check_only:
        click.echo("student notebooks are up to date")


@click.command()
@click.argument("lab", required=False)
def record(lab: str | None) -> None:
    """Record the expectations public installs judge LAB's checks with (default: every lab).

    Runs each reference notebook once, plans every check on public data with a fixed seed and writes the
    calls and the expected values into assignments/LAB/recorded/. Needs the private course.
    """
    from grader.authoring.record import record_lab
    from grader.course.labs import lab_ids, load_lab

    try:
        for lab_id in [lab] if lab else lab_ids():
            for path in record_lab(load_lab(lab_id), progress=lambda message: click.echo(f"  {message}", err=True)):
                click.echo(f"wrote {path}")
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)


@click.command()
@click.argument("lab")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the checks' inputs.")
def validate(lab: str, seed: int) -> None:
    """Prove LAB's checks: references score full marks, wrong solutions fail, student notebooks score 0."""
    from grader.authoring.validate import validate_lab

    try:
        result = validate_lab(lab, seed=seed, progress=lambda message: click.echo(f"  {message}", err=True))
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    for ok, text in result.lines:
        click.echo(f"{'ok  ' if ok else 'FAIL'} {text}")
    click.echo(f"{lab}: {'valid' if result.ok else 'INVALID'}")
    sys.exit(EXIT_OK if result.ok else EXIT_FAILED)


@click.command()
@click.argument("report", type=click.Path(path_type=Path))
def comment(report: Path) -> None:
    """Post REPORT (Markdown) as a comment on the run's pull request, or edit the earlier one.

    On a push, the comment goes on GitHub Classroom's "Feedback" pull request. Uses GITHUB_API_URL,
    GITHUB_REPOSITORY, GITHUB_TOKEN and the event payload. A failure is reported and exits 0: it never
    fails the grading job.
    """
    from grader.platforms.github_comment import CommentError, post_comment

    try:
        body = report.read_text(encoding="utf-8")
    except OSError as exc:
        click.echo(f"warning: feedback comment not posted: cannot read {report}: {exc.strerror or exc}", err=True)
        return
    try:
        outcome = post_comment(body)
    except CommentError as exc:
        click.echo(f"warning: feedback comment not posted: {exc}", err=True)
        return
    click.echo(f"{outcome.action} comment {outcome.comment_id} on pull request #{outcome.pull_request} {outcome.url}".rstrip())
