"""The ``grader`` command line: thin over the library; exit codes are decided here only."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from grader.errors import GraderError, InputError, SpecError
from grader.formats.inert import visible

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {visible(message)}", err=True)  # a message may quote a file name or a student's text
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rnn-course-grader")
@click.option("--private", "private_dir", type=click.Path(path_type=Path, file_okay=False),
              help="The private course (hidden data, reference notebooks, wrong solutions, the grader's numerics): "
                   "a checkout of the course repository. Default: $GRADER_PRIVATE, else the checkout this runs "
                   "from; a public install has none and runs the public checks only.")
@click.option("--public", "public_only", is_flag=True,
              help="Grade as a student's install does (public checks and previews only), even where the private "
                   "course is at hand.")
def main(private_dir: Path | None, public_only: bool) -> None:
    """Grade recurrent-neural-network lab notebooks (Keras or PyTorch) in a fresh kernel."""
    from grader.paths import is_private_course

    named = private_dir or (Path(os.environ["GRADER_PRIVATE"]) if os.environ.get("GRADER_PRIVATE") else None)
    if named is not None:
        if not is_private_course(named):
            _fail(f"{named}: not a private course (no reference/ or grader/numerics/ there)", EXIT_INPUT)
        os.environ["GRADER_PRIVATE"] = str(named.resolve())
    if public_only:
        os.environ["GRADER_PUBLIC_ONLY"] = "1"


@main.command()
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
def check(notebook: Path, lab: str | None, framework: str | None, formats: tuple[str, ...],
          outputs: tuple[Path, ...], executed: Path | None, seed: int | None, cell_timeout: float | None,
          notebook_timeout: float | None, exit_zero: bool, quiet: bool, no_sandbox: bool) -> None:
    """Grade NOTEBOOK and print its report.

    Exit status: 0 every check passed, 1 some check failed, 2 unusable input (or, under CI=true with the
    private course, no sandbox and no --no-sandbox), 3 the grader failed. In GitHub Actions the Markdown
    report is added to the job summary, the classroom format sets the step output `result`, and whatever the
    student's code wrote is printed with workflow commands turned off.
    """
    from grader import formats as report_formats
    from grader import sandbox
    from grader.grading import grade, unusable_report
    from grader.workflow_text import for_log, in_github_actions

    require_sandbox = False
    if not no_sandbox and not sandbox.disabled_by_environment():
        from grader.paths import private_root

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
                       hard_deadline=True)
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


@main.command()
@click.argument("submissions", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("grading"), show_default=True,
              help="Folder for grades.csv, the summary and each submission's reports (never searched for submissions).")
@click.option("--lab", "labs", multiple=True,
              help="The batch's lab; repeat for a batch of several labs (default: the lab most notebooks name). "
                   "A notebook whose metadata names another lab is refused.")
@click.option("--framework", type=click.Choice(["keras", "torch"]), help="Flavour (default: each notebook's).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Local Dask workers: submissions graded at the same time.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Grade on an existing Dask cluster (e.g. tcp://HOST:8786) instead of local workers.")
@click.option("--sequential", is_flag=True, help="No Dask: grade one submission after the other in this process.")
@click.option("--seed", type=int, help="Seed of the hidden inputs, the same for every submission (default: the "
                                     "seed of the batch OUT already holds, else random).")
@click.option("--timeout", "submission_timeout", type=click.FloatRange(min=1), default=1800.0, show_default=True,
              help="Seconds one submission's whole grading may take before it is stopped.")
@click.option("--force", is_flag=True, help="Regrade submissions already graded in OUT with the same notebook, "
                                            "lab, seed and grader version.")
@click.option("--roster", type=click.Path(path_type=Path),
              help="GitHub Classroom roster CSV: submission folders are GitHub usernames; writes students.csv.")
@click.option("--gradebook", "gradebooks", multiple=True, type=click.Choice(["csv", "canvas"]),
              help="Also write OUT/gradebook-KIND.csv: a generic CSV, or one Canvas's gradebook import accepts.")
@click.option("--assignment", help='Canvas column of a one-lab batch, "Name (ID)" (default: the lab id).')
@click.option("--no-sandbox", is_flag=True, help="Grade even where the kernel sandbox cannot start.")
@click.option("--post-feedback", is_flag=True,
              help="Then post each student's report on their Feedback pull request (repositories from the "
                   "collect.json of SUBMISSIONS; token GITHUB_TOKEN, GH_TOKEN or `gh auth token`).")
@click.option("--dry-run", is_flag=True, help="With --post-feedback: post nothing, write each comment to OUT/feedback/.")
def batch(submissions: tuple[Path, ...], out_dir: Path, labs: tuple[str, ...], framework: str | None, jobs: int,
          scheduler: str | None, sequential: bool, seed: int | None, submission_timeout: float, force: bool,
          roster: Path | None, gradebooks: tuple[str, ...], assignment: str | None, no_sandbox: bool,
          post_feedback: bool, dry_run: bool) -> None:
    """Grade every notebook in SUBMISSIONS (files or folders) and write OUT/grades.csv and a class summary.

    Each submission is graded by its own `grader check` process on a Dask worker (local, or on --scheduler):
    one that cannot be graded gets a row with the reason and the others are unaffected. A rerun grades only
    what OUT does not already hold. Exit status: 0 every submission got a report, 1 some were not graded
    (their rows say why), 2 unusable input before grading (no submissions, unknown lab or flavour,
    unreadable roster, no sandbox), 3 the grader failed on some.
    """
    import secrets

    from grader.batch import BatchOptions, ClassOptions, batch_seed, grade_class
    from grader.progress import BatchProgress

    if seed is None:  # a rerun resumes the batch OUT holds, with its seed
        seed = batch_seed(out_dir)
        seed = secrets.randbelow(2**31) if seed is None or force else seed
    options = BatchOptions(out_dir, labs, framework, seed, submission_timeout, force, no_sandbox)
    how = ClassOptions(jobs, scheduler, sequential, roster, gradebooks, assignment)
    where = f"on {scheduler}" if scheduler else "one at a time" if sequential else f"{jobs} at a time"
    try:  # what it grades with is said once the input has passed its checks
        result = grade_class(submissions, options, how, BatchProgress(),
                             ready=lambda: click.echo(f"grading {where}, seed {seed}", err=True))
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    except KeyboardInterrupt:
        _fail(f"interrupted; run the same command again to grade the rest (seed {seed})", 130)
    except Exception as exc:  # noqa: BLE001 - the batch itself broke (not a submission): exit code 3
        _fail(f"the grader failed: {type(exc).__name__}: {exc}", EXIT_INTERNAL)
    click.echo(result.summary_text, nl=False, err=True)
    click.echo("wrote " + ", ".join(str(path) for path in result.written))
    if post_feedback:
        _post_feedback(submissions, result.batch.rows, out_dir, dry_run)
    sys.exit(result.exit_code)


def _post_feedback(submissions: tuple[Path, ...], rows: list, out_dir: Path, dry_run: bool) -> None:
    """``grader batch --post-feedback``: the library posts; a student it could not post to is listed."""
    from grader.feedback import NOT_POSTED, post_class_feedback
    from grader.github_api import GitHubClient, token_from_environment

    token = "" if dry_run else token_from_environment()
    client = GitHubClient(token, os.environ.get("GITHUB_API_URL") or "https://api.github.com") if token else None

    def show(outcome) -> None:
        click.echo(f"  feedback {outcome.submission}: {outcome.status} — {outcome.message}", err=True)

    try:
        outcomes = post_class_feedback(submissions, rows, out_dir, client, dry_run, show)
    except InputError as exc:
        _fail(f"feedback not posted: {exc}", EXIT_INPUT)
    missed = sum(outcome.status == NOT_POSTED for outcome in outcomes)
    click.echo(f"feedback: {len(outcomes) - missed} {'to post' if dry_run else 'posted'}, {missed} not posted")


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
@click.argument("lab", required=False)
def record(lab: str | None) -> None:
    """Record the expectations public installs judge LAB's checks with (default: every lab).

    Runs each reference notebook once, plans every check on public data with a fixed seed and writes the
    calls and the expected values into assignments/LAB/recorded/. Needs the private course.
    """
    from grader.course import lab_ids, load_lab
    from grader.record import record_lab

    try:
        for lab_id in [lab] if lab else lab_ids():
            for path in record_lab(load_lab(lab_id), progress=lambda message: click.echo(f"  {message}", err=True)):
                click.echo(f"wrote {path}")
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)


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
@click.option("--framework", type=click.Choice(["keras", "torch"]), help="The flavour students get (template repository).")
@click.option("--grader-version", help="Pin the public grader from the package index: rnn-course-grader==VERSION "
                                       "(default: this grader's version).")
@click.option("--grader-repo", help="Install the public grader from this public GitHub repository (owner/name) instead.")
@click.option("--grader-ref", help="With --grader-repo: a tag or a full commit sha (never a branch).")
@click.option("--classroom-reporter", is_flag=True,
              help="Add GitHub Classroom's autograding reporter to the student workflow, one runner per check.")
@click.option("--staff-workflow", is_flag=True,
              help="Write the staff's graded-run workflow (collect, batch, feedback) into DIRECTORY instead.")
@click.option("--org", help="With --staff-workflow: the Classroom's GitHub organisation.")
@click.option("--prefix", help="With --staff-workflow: the assignment's repository prefix.")
@click.option("--deadline", help="With --staff-workflow: the deadline, ISO 8601 with a zone.")
@click.option("--by", type=click.Choice(["commit-date", "push"]), default="commit-date", show_default=True,
              help="With --staff-workflow: how its `grader collect` decides what came before the deadline.")
@click.option("--course", "course_path", type=click.Path(path_type=Path),
              help="With --staff-workflow, instead of --org/--prefix/--deadline: a course file inside DIRECTORY; the "
                   "run collects each student at their own cut-off and starts after the latest one.")
def starter(lab: str, directory: Path, framework: str | None, grader_version: str | None, grader_repo: str | None,
            grader_ref: str | None, classroom_reporter: bool, staff_workflow: bool, org: str | None,
            prefix: str | None, deadline: str | None, by: str, course_path: Path | None) -> None:
    """Write the GitHub Classroom template repository of LAB into DIRECTORY (no secret in it).

    With --staff-workflow, write the teaching staff's graded-run workflow instead.
    """
    from grader.course import load_lab
    from grader.starter import (
        CourseStaffOptions,
        StaffOptions,
        StarterOptions,
        write_staff_workflow,
        write_starter,
    )

    try:
        spec = load_lab(lab)  # an unknown lab first: no other option matters then
        if course_path is not None and not staff_workflow:
            raise InputError("--course goes with --staff-workflow")
        if staff_workflow and course_path is not None:
            given = [name for name, value in (("--org", org), ("--prefix", prefix), ("--deadline", deadline)) if value]
            if click.get_current_context().get_parameter_source("by") == click.core.ParameterSource.COMMANDLINE:
                given.append("--by")  # the course's collect goes by GitHub's record of pushes
            if given:
                raise InputError(f"--course gives the organisation, prefix and deadlines: leave out {', '.join(given)}")
            written = write_staff_workflow(spec, directory, CourseStaffOptions(course_path))
        elif staff_workflow:
            missing = [name for name, value in (("--org", org), ("--prefix", prefix), ("--deadline", deadline))
                       if not value]
            if missing:
                raise InputError(f"--staff-workflow needs {', '.join(missing)} (or --course)")
            written = write_staff_workflow(spec, directory, StaffOptions(org, prefix, deadline, by=by))
        else:
            if not framework:
                raise InputError("--framework is required for the template repository (keras or torch)")
            if grader_version and grader_repo:
                raise InputError("give --grader-version or --grader-repo, not both")
            options = StarterOptions(grader_repo=grader_repo, grader_ref=grader_ref, classroom_reporter=classroom_reporter,
                                     **({"grader_version": grader_version} if grader_version else {}))
            written = write_starter(spec, framework, directory, options)
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    for path in written:
        click.echo(f"wrote {path}")


@main.command()
@click.option("--org", help="The GitHub organisation of the Classroom (not with --course).")
@click.option("--prefix", help="The assignment's repository prefix (repositories are PREFIX-<user>; not with --course).")
@click.option("--deadline", help="ISO 8601 date-time with a zone: the last commit before it is taken (not with --course).")
@click.option("--course", "course_path", type=click.Path(path_type=Path),
              help="A course file: the organisation, prefix and each student's own deadline (extensions, late "
                   "policy's cut-off) come from it, by GitHub's record of pushes; needs --lab.")
@click.option("--lab", "lab_id", help="With --course: the lab to collect.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("submissions"), show_default=True,
              help="Folder for OUT/<user>/<notebook>.ipynb and the collect.json manifest.")
@click.option("--roster", type=click.Path(path_type=Path),
              help="GitHub Classroom roster export (CSV): collect these students, and name those without a repository.")
@click.option("--notebook", "pattern", default="*.ipynb", show_default=True,
              help="Which files to fetch, matched against the path in the repository.")
@click.option("--branch", help="Branch to read (default: the repository's default branch).")
@click.option("--by", type=click.Choice(["commit-date", "push"]), default="commit-date", show_default=True,
              help="What 'before the deadline' means: the commit's own date (which a student can backdate), or "
                   "when GitHub recorded the push (the repository activity API).")
@click.option("--api-url", default=lambda: os.environ.get("GITHUB_API_URL") or "https://api.github.com",
              show_default="GITHUB_API_URL or https://api.github.com", help="GitHub REST API root.")
def collect(org: str | None, prefix: str | None, deadline: str | None, course_path: Path | None, lab_id: str | None,
            out_dir: Path, roster: Path | None, pattern: str, branch: str | None, by: str, api_url: str) -> None:
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
        late = f" — {student.late_reason}" if student.late_reason else ""
        click.echo(f"  {student.user}: {student.status}{commit}" + (f" — {student.message}" if student.message else "")
                   + late, err=True)

    try:
        if course_path is not None:
            if org or prefix or deadline or not lab_id:
                raise InputError("--course takes --lab, and the organisation, prefix and deadline from the course file")
            from grader.course_commands import course_and_lab, course_roster

            course, _ = course_and_lab(course_path, lab_id)
            from grader.course_collect import collect_course

            result = collect_course(GitHubClient(token, api_url), course, lab_id, out_dir,
                                    course_roster(course, roster), pattern, branch, show)
        else:
            missing = [name for name, value in (("--org", org), ("--prefix", prefix), ("--deadline", deadline))
                       if not value]
            if missing:
                raise InputError(f"give {', '.join(missing)}, or --course and --lab")
            result = collecting.collect(GitHubClient(token, api_url), org, prefix, deadline, out_dir, roster, pattern,
                                        branch, show, by)
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GitHubError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    counts: dict[str, int] = {}
    for student in result.students.values():
        counts[student.status] = counts.get(student.status, 0) + 1
    click.echo(f"wrote {out_dir / 'collect.json'}: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    sys.exit(EXIT_INTERNAL if counts.get(collecting.FAILED) else EXIT_OK)


@main.command()
@click.argument("lab")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--requirement", help="What setup.sh pip-installs (default: rnn-course-grader[EXTRAS]==this version).")
@click.option("--wheel", type=click.Path(path_type=Path), help="Carry this wheel of the grader in the zip and install it.")
@click.option("--private", "private_root", type=click.Path(path_type=Path),
              help="The private course folder holding assignments/LAB/ (default: GRADER_PRIVATE, else the course in use).")
@click.option("--allow-no-sandbox", is_flag=True,
              help="Grade even where the kernel sandbox cannot start in Gradescope's container (student code then "
                   "runs unconfined next to the private course).")
@click.option("--hidden-checks", type=click.Choice(["after_due_date", "withhold"]), default="after_due_date",
              show_default=True,
              help="Before the due date: after_due_date scores hidden checks but Gradescope then hides the "
                   "student's total; withhold leaves their points out (total shown), scored on a regrade after it.")
def gradescope(lab: str, out: Path, requirement: str | None, wheel: Path | None, private_root: Path | None,
               allow_no_sandbox: bool, hidden_checks: str) -> None:
    """Build OUT (a zip): a Gradescope autograder grading LAB, with setup.sh, run_autograder and the private data."""
    from grader.gradescope_package import PackageOptions, build_package

    if private_root is None and os.environ.get("GRADER_PRIVATE"):
        private_root = Path(os.environ["GRADER_PRIVATE"])
    try:
        path = build_package(lab, out, PackageOptions(requirement, wheel, private_root, allow_no_sandbox,
                                                      hidden_checks))
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    click.echo(f"wrote {path}")



# -- running a course on GitHub (grader/course_commands.py): the roster, repositories, regrades ----------------

def _register_course_commands() -> None:
    from grader.course_commands import provision, regrade, roster

    for command in (roster, provision, regrade):
        main.add_command(command)


_register_course_commands()


def _register_authoring_commands() -> None:  # grader/authoring_commands.py: grader new, grader mutants
    from grader.authoring_commands import mutants, new

    main.add_command(new)
    main.add_command(mutants)


_register_authoring_commands()
