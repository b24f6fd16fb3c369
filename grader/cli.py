"""The ``grader`` command line: thin over the library; exit codes are decided here only."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from grader.errors import GraderError, InputError, SpecError

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rnn-course-grader")
def main() -> None:
    """Grade recurrent-neural-network lab notebooks (Keras or PyTorch) in a fresh kernel."""


@main.command()
@click.argument("notebook", type=click.Path(path_type=Path))
@click.option("--lab", help="Lab id (default: from the notebook's metadata).")
@click.option("--framework", type=click.Choice(["keras", "torch"]), help="Flavour (default: from the notebook).")
@click.option("--format", "formats", multiple=True, default=("terminal",), show_default=True,
              help="Report format: terminal, json, markdown, gradescope, junit, classroom; repeat to write "
                   "several (paired in order with --output).")
@click.option("--output", "outputs", multiple=True, type=click.Path(path_type=Path),
              help="Write the report to FILE instead of standard output; repeat for several formats.")
@click.option("--executed", type=click.Path(path_type=Path), help="Also save the executed notebook (with outputs) here.")
@click.option("--seed", type=int, help="Seed of the hidden inputs (default: random; the report records it).")
@click.option("--cell-timeout", type=click.FloatRange(min=1), help="Seconds one cell may run (default: the lab's).")
@click.option("--timeout", "notebook_timeout", type=click.FloatRange(min=1),
              help="Seconds the whole notebook may run (default: the lab's).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 when grading completed, whatever the score (for CI steps).")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages on standard error.")
def check(notebook: Path, lab: str | None, framework: str | None, formats: tuple[str, ...],
          outputs: tuple[Path, ...], executed: Path | None, seed: int | None, cell_timeout: float | None,
          notebook_timeout: float | None, exit_zero: bool, quiet: bool) -> None:
    """Grade NOTEBOOK and print its report.

    Exit status: 0 every check passed, 1 some check failed, 2 unusable input, 3 the grader failed.
    In GitHub Actions the Markdown report is added to the job summary, and the classroom format
    sets the step output `result`.
    """
    from grader import formats as report_formats
    from grader.grading import grade, unusable_report

    try:
        renderers = [report_formats.get(name) for name in formats]
        if outputs and len(outputs) != len(formats):
            raise InputError(f"{len(outputs)} --output for {len(formats)} --format; give one --format per --output")
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    progress = None if quiet else (lambda message: click.echo(f"  {message}", err=True))
    code = None
    try:
        report = grade(notebook, lab=lab, framework=framework, seed=seed, progress=progress,
                       cell_timeout=cell_timeout, notebook_timeout=notebook_timeout, executed_path=executed)
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        if not outputs:
            sys.exit(EXIT_INPUT)
        report, code = unusable_report(notebook, str(exc), lab, framework), EXIT_INPUT
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    except Exception as exc:  # noqa: BLE001 - the one place that turns a crash into exit code 3
        _fail(f"the grader failed: {type(exc).__name__}: {exc}", EXIT_INTERNAL)
    for index, (name, renderer) in enumerate(zip(formats, renderers, strict=True)):
        text = renderer(report)
        if outputs:
            outputs[index].parent.mkdir(parents=True, exist_ok=True)
            outputs[index].write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
        if name == "classroom":
            _github_append("GITHUB_OUTPUT", f"result={report_formats.classroom.encoded(report)}\n")
            if outputs:  # the points lines must reach the log for Classroom to read them
                click.echo("\n".join(report_formats.classroom.notices(report)))
    _github_append("GITHUB_STEP_SUMMARY", report_formats.markdown.render(report))
    if code is not None:
        sys.exit(code)
    if report.internal_errors:
        for error in report.internal_errors:
            click.echo(error, err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK if report.all_passed or exit_zero else EXIT_FAILED)


@main.command()
@click.argument("submissions", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("grading"), show_default=True,
              help="Folder for grades.csv and each submission's reports and executed notebook.")
@click.option("--lab", help="Lab id for every submission (default: each notebook's metadata).")
@click.option("--framework", type=click.Choice(["keras", "torch"]), help="Flavour (default: each notebook's).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Submissions graded at the same time (each kernel uses the lab's thread count).")
@click.option("--seed", type=int, help="Seed of the hidden inputs, the same for every submission (default: random).")
@click.option("--timeout", "submission_timeout", type=click.FloatRange(min=1), default=1800.0, show_default=True,
              help="Seconds one submission's whole grading may take before it is stopped.")
def batch(submissions: tuple[Path, ...], out_dir: Path, lab: str | None, framework: str | None, jobs: int,
          seed: int | None, submission_timeout: float) -> None:
    """Grade every notebook in SUBMISSIONS (files or folders) and write OUT/grades.csv.

    Each submission is graded in its own process: one that cannot be graded gets a row with zero points
    and the reason, and the others are unaffected. Exit status: 0 every submission got a report, 3 the
    grader failed on some (their rows say why), 2 no usable SUBMISSIONS.
    """
    import secrets

    from grader.batch import GRADER_ERROR, find_submissions, grade_batch, write_gradebook

    try:
        found = find_submissions(submissions)
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    seed = secrets.randbelow(2**31) if seed is None else seed
    options = ["--seed", str(seed), *(["--lab", lab] if lab else []), *(["--framework", framework] if framework else [])]
    click.echo(f"grading {len(found)} submission(s), {jobs} at a time, seed {seed}", err=True)

    def show(row) -> None:
        click.echo(f"  {row.name}: {row.status}, {row.score:g}/{row.max_score:g} ({row.seconds:.0f} s)"
                   + (f" — {row.message}" if row.message else ""), err=True)

    rows = grade_batch(found, out_dir, options, jobs, submission_timeout, show)
    write_gradebook(rows, out_dir / "grades.csv")
    click.echo(f"wrote {out_dir / 'grades.csv'}")
    sys.exit(EXIT_INTERNAL if any(row.status == GRADER_ERROR for row in rows) else EXIT_OK)


def _github_append(variable: str, text: str) -> None:
    """Append to the file a GitHub Actions variable names (job summary, step outputs), if set."""
    target = os.environ.get(variable)
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        click.echo(f"warning: could not write ${variable}: {exc}", err=True)


@main.command(name="list")
def list_command() -> None:
    """List the labs, their flavours and points."""
    from grader.course import list_labs

    try:
        labs = list_labs()
    except SpecError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    for lab in labs:
        flavours = ", ".join(f"{name} {lab.max_score(name):g} pts" for name in lab.flavours)
        click.echo(f"{lab.id:28} {lab.title}  [{flavours}]  ({len(lab.checks_for(next(iter(lab.flavours))))} checks)")


@main.command()
@click.argument("lab", required=False)
@click.option("--check", "check_only", is_flag=True, help="Only report notebooks that are out of date; exit 1 if any.")
def release(lab: str | None, check_only: bool) -> None:
    """Generate the student notebooks of LAB (default: every lab) from its reference notebooks."""
    from grader.course import lab_ids, load_lab
    from grader.release import build_release, write_release

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


@main.command()
@click.argument("lab")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the checks' inputs.")
def validate(lab: str, seed: int) -> None:
    """Prove LAB's checks: references score full marks, wrong solutions fail, student notebooks score 0."""
    from grader.validate import validate_lab

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


@main.command()
@click.argument("report", type=click.Path(path_type=Path))
def comment(report: Path) -> None:
    """Post REPORT (Markdown) as a comment on the run's pull request, or edit the earlier one.

    On a push, the comment goes on GitHub Classroom's "Feedback" pull request. Uses GITHUB_API_URL,
    GITHUB_REPOSITORY, GITHUB_TOKEN and the event payload. A failure is reported and exits 0: it never
    fails the grading job.
    """
    from grader.github_comment import CommentError, post_comment

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


@main.command()
@click.argument("lab")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--framework", type=click.Choice(["keras", "torch"]), required=True, help="The flavour students get.")
@click.option("--grader-repo", default="your-org/rnn-course-grader", show_default=True,
              help="The instructors' private repository the workflow installs the grader from (owner/name).")
@click.option("--grader-ref", default="main", show_default=True, help="Branch or tag of that repository.")
@click.option("--token-secret", default="GRADER_REPO_TOKEN", show_default=True,
              help="Name of the secret holding a read-only token for that repository.")
def starter(lab: str, directory: Path, framework: str, grader_repo: str, grader_ref: str, token_secret: str) -> None:
    """Write the GitHub Classroom template repository of LAB into DIRECTORY."""
    from grader.course import load_lab
    from grader.starter import StarterOptions, write_starter

    try:
        written = write_starter(load_lab(lab), framework, directory,
                                StarterOptions(grader_repo, grader_ref, token_secret))
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    for path in written:
        click.echo(f"wrote {path}")


@main.command()
@click.option("--org", required=True, help="The GitHub organisation of the Classroom.")
@click.option("--prefix", required=True, help="The assignment's repository prefix (repositories are PREFIX-<user>).")
@click.option("--deadline", required=True, help="ISO 8601 date-time with a zone: the last commit before it is taken.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("submissions"), show_default=True,
              help="Folder for OUT/<user>/<notebook>.ipynb and the collect.json manifest.")
@click.option("--roster", type=click.Path(path_type=Path),
              help="GitHub Classroom roster export (CSV): collect these students, and name those without a repository.")
@click.option("--notebook", "pattern", default="*.ipynb", show_default=True,
              help="Which files to fetch, matched against the path in the repository.")
@click.option("--branch", help="Branch to read (default: the repository's default branch).")
@click.option("--api-url", default=lambda: os.environ.get("GITHUB_API_URL") or "https://api.github.com",
              show_default="GITHUB_API_URL or https://api.github.com", help="GitHub REST API root.")
def collect(org: str, prefix: str, deadline: str, out_dir: Path, roster: Path | None, pattern: str,
            branch: str | None, api_url: str) -> None:
    """Fetch every submission of a Classroom assignment, at its deadline, into a folder for `grader batch`.

    Uses the TA's token (GITHUB_TOKEN, GH_TOKEN or `gh auth token`). A rerun fetches only repositories whose
    commit changed. Exit status: 0 every repository was read, 2 bad options, 3 some could not be read.
    """
    from grader import collect as collecting
    from grader.github_api import GitHubClient, GitHubError, token_from_environment

    token = token_from_environment()
    if not token:
        _fail("no GitHub token: set GITHUB_TOKEN (or GH_TOKEN), or log in with `gh auth login`", EXIT_INPUT)

    def show(student) -> None:
        commit = f" @ {student.commit[:12]}" if student.commit else ""
        click.echo(f"  {student.user}: {student.status}{commit}" + (f" — {student.message}" if student.message else ""),
                   err=True)

    try:
        result = collecting.collect(GitHubClient(token, api_url), org, prefix, deadline, out_dir, roster, pattern,
                                     branch, show)
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GitHubError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    counts: dict[str, int] = {}
    for student in result.students.values():
        counts[student.status] = counts.get(student.status, 0) + 1
    click.echo(f"wrote {out_dir / 'collect.json'}: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    sys.exit(EXIT_INTERNAL if counts.get(collecting.FAILED) else EXIT_OK)
