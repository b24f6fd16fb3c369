"""The commands that run a course on GitHub: ``grader roster``, ``grader provision`` and ``grader regrade``.

Thin over :mod:`grader.course.roster`, :mod:`grader.platforms.provision` and :mod:`grader.batch.regrade`; ``grader.cli`` registers
them on its group. Exit codes as the rest of the CLI: 0 done, 1 some submission not graded (regrade), 2 bad
input (one line), 3 GitHub or the grader failed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from grader.cli.common import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, _fail
from grader.errors import GraderError, InputError


@click.group()
def roster() -> None:
    """The course roster (identifier, github_username, name, email, section, team): import it, check it."""


@roster.command(name="import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--from", "kind", type=click.Choice(["classroom", "canvas", "roster"]), required=True,
              help="What SOURCE is: GitHub Classroom's roster export, a Canvas gradebook export, or a course roster.")
@click.option("--github", "logins", type=click.Path(path_type=Path),
              help="With --from canvas: a CSV of github_username (and team) by identifier, SIS User ID, "
                   "SIS Login ID or email.")
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("roster.csv"), show_default=True,
              help="The course roster to write.")
@click.option("--check-github", is_flag=True,
              help="Also ask GitHub whether each username exists (token GITHUB_TOKEN, GH_TOKEN or `gh auth token`).")
@click.option("--api-url", default=lambda: os.environ.get("GITHUB_API_URL") or "https://api.github.com",
              show_default="GITHUB_API_URL or https://api.github.com", help="GitHub REST API root.")
def roster_import(source: Path, kind: str, logins: Path | None, out: Path, check_github: bool, api_url: str) -> None:
    """Write the course roster OUT from SOURCE; every duplicate, unknown user and missing name is refused.

    Exit status: 0 written, 2 a problem with SOURCE (nothing written), 3 GitHub could not be asked.
    """
    from grader.course import roster as rosters

    try:
        if logins is not None and kind != "canvas":
            raise InputError("--github goes with --from canvas")
        entries = {"classroom": rosters.import_classroom, "roster": rosters.read_roster,
                   "canvas": lambda path: rosters.import_canvas(path, logins)}[kind](source)
        if check_github:
            from grader.platforms.provision import unknown_logins

            unknown = unknown_logins(entries, _github_client(api_url))
            if unknown:
                raise rosters.RosterError(str(source), unknown)
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    rosters.write_roster(entries, out)
    click.echo(f"wrote {out}: {_roster_counts(entries)}")


@roster.command(name="check")
@click.argument("path", type=click.Path(path_type=Path))
def roster_check(path: Path) -> None:
    """Check the course roster PATH: exit 0 when usable, 2 with every problem on one line."""
    from grader.course import roster as rosters

    try:
        entries = rosters.read_roster(path)
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    click.echo(f"{path}: {_roster_counts(entries)}")


def _roster_counts(entries: list) -> str:
    unlinked = [entry.identifier for entry in entries if not entry.github_username]
    team_count = len({entry.team for entry in entries if entry.team})
    text = f"{len(entries)} students" + (f", {team_count} team{'s' * (team_count != 1)}" if team_count else "")
    if unlinked:
        text += f"; {len(unlinked)} without a GitHub username: {', '.join(unlinked[:10])}"
    return text


def _github_client(api_url: str):
    """The staff's client (GITHUB_TOKEN, GH_TOKEN or `gh auth token`); no token is an InputError."""
    from grader.platforms.github_api import GitHubClient, token_from_environment

    token = token_from_environment()
    if not token:
        raise InputError("no GitHub token: set GITHUB_TOKEN (or GH_TOKEN), or log in with `gh auth login`")
    return GitHubClient(token, api_url)


@click.group()
def provision() -> None:
    """Do what GitHub Classroom did: the lab's template repository, a private repository per student or team
    (invitation, feedback branch, Feedback pull request, protection), and a status table.

    Uses the staff's token (GITHUB_TOKEN, GH_TOKEN or `gh auth token`) and the course file. A rerun creates only
    what is missing and reports what it found changed. Exit status: 0 done, 2 a bad course file, roster or
    option, 3 GitHub refused (bad token, an organisation it cannot write to, a rate limit) or some repository
    could not be set up.
    """


def _course_option(function):
    function = click.option("--api-url", default=lambda: os.environ.get("GITHUB_API_URL") or "https://api.github.com",
                            show_default="GITHUB_API_URL or https://api.github.com", help="GitHub REST API root.")(function)
    function = click.option("--lab", "lab_id", required=True, help="The lab (its entry in the course file).")(function)
    return click.option("--course", "course_path", type=click.Path(path_type=Path), default=Path("course.yaml"),
                        show_default=True, help="The course file.")(function)


def course_and_lab(course_path: Path, lab_id: str):
    from grader.course.course_file import read_course
    from grader.course.labs import lab_ids

    course = read_course(course_path, lab_ids())
    return course, course.lab(lab_id)


def course_roster(course, roster_path: Path | None) -> list:
    from grader.course.roster import read_roster

    path = roster_path or course.roster
    if path is None:
        raise InputError(f"no roster: give --roster or name one in {course.path} (roster: roster.csv)")
    return read_roster(path)


def _show_outcomes(outcomes: list) -> int:
    for outcome in outcomes:
        name = outcome.repository or "(no repository)"
        if outcome.unchanged and not outcome.notes:
            click.echo(f"  {name}: up to date")
        for line in outcome.done:
            click.echo(f"  {name}: {line}")
        for line in outcome.found:
            click.echo(f"  {name}: found changed: {line}")
        for line in outcome.notes:
            click.echo(f"  {name}: note: {line}")
        for line in outcome.problems:
            click.echo(f"  {name}: PROBLEM: {line}")
    return EXIT_INTERNAL if any(outcome.problems and outcome.repository for outcome in outcomes) else EXIT_OK


@provision.command(name="template")
@_course_option
@click.option("--starter", "starter_dir", type=click.Path(path_type=Path),
              help="A starter `grader starter` wrote (default: write it now with the course file's flavour).")
@click.option("--name", help="The template repository's name (default: template-PREFIX).")
@click.option("--dry-run", is_flag=True, help="Write nothing to GitHub; say what would be done.")
def provision_template(course_path: Path, lab_id: str, api_url: str, starter_dir: Path | None, name: str | None,
                       dry_run: bool) -> None:
    """Publish the lab's starter as a private template repository of the course's organisation."""
    import tempfile

    from grader.course.labs import load_lab
    from grader.platforms.github_api import GitHubError
    from grader.platforms.provision import Provisioner
    from grader.platforms.starter import StarterOptions, write_starter

    try:
        course, lab = course_and_lab(course_path, lab_id)
        with tempfile.TemporaryDirectory(prefix="starter-") as scratch:
            if starter_dir is None:
                starter_dir = Path(scratch) / "starter"
                write_starter(load_lab(lab_id), lab.flavour, starter_dir, StarterOptions())
            provisioner = Provisioner(_github_client(api_url), course.organisation, dry_run=dry_run)
            provisioner.check_token()
            outcome = provisioner.publish_template(starter_dir, name or f"template-{lab.prefix}")
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except (GitHubError, GraderError) as exc:
        _fail(str(exc), EXIT_INTERNAL)
    sys.exit(_show_outcomes([outcome]))


@provision.command(name="repos")
@_course_option
@click.option("--roster", "roster_path", type=click.Path(path_type=Path), help="The course roster (default: the course file's).")
@click.option("--template", help="The template repository, owner/name (default: ORG/template-PREFIX).")
@click.option("--dry-run", is_flag=True, help="Write nothing to GitHub; say what would be done.")
def provision_repos(course_path: Path, lab_id: str, api_url: str, roster_path: Path | None, template: str | None,
                    dry_run: bool) -> None:
    """Create each student's (or team's) private repository PREFIX-<login or team> from the template, invite
    them, and set up the feedback branch, the Feedback pull request and its protection."""
    from grader.platforms.github_api import GitHubError
    from grader.platforms.provision import Provisioner

    try:
        course, lab = course_and_lab(course_path, lab_id)
        entries = course_roster(course, roster_path)
        provisioner = Provisioner(_github_client(api_url), course.organisation, dry_run=dry_run)
        provisioner.check_token()
        outcomes = provisioner.provision(template or f"{course.organisation}/template-{lab.prefix}", lab.prefix, entries)
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except (GitHubError, GraderError) as exc:
        _fail(str(exc), EXIT_INTERNAL)
    code = _show_outcomes(outcomes)
    made = sum(bool(o.done) for o in outcomes if o.repository)
    click.echo(f"{len([o for o in outcomes if o.repository])} repositories: {made} {'to change' if dry_run else 'changed'}, "
               f"{sum(bool(o.found) for o in outcomes)} found changed, {sum(bool(o.problems) for o in outcomes)} with problems")
    sys.exit(code)


@provision.command(name="status")
@_course_option
@click.option("--roster", "roster_path", type=click.Path(path_type=Path), help="The course roster (default: the course file's).")
def provision_status(course_path: Path, lab_id: str, api_url: str, roster_path: Path | None) -> None:
    """A table of the lab's repositories: invited, accepted, pushes by the students and the last one."""
    from grader.platforms.github_api import GitHubError
    from grader.platforms.provision import explain, status

    try:
        course, lab = course_and_lab(course_path, lab_id)
        rows = status(_github_client(api_url), course.organisation, lab.prefix, course_roster(course, roster_path))
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GitHubError as exc:
        _fail(explain(exc, "", "reading the status"), EXIT_INTERNAL)
    click.echo(f"{'repository':40} {'students':24} {'invited':10} {'accepted':10} {'pushes':>6}  last push")
    for row in rows:
        invited = ", ".join(row.invited) or "-"
        accepted = ", ".join(row.accepted) or ("-" if row.exists else "no repository")
        click.echo(f"{row.repository:40} {', '.join(row.members):24} {invited:10} {accepted:10} {row.pushes:>6}  "
                   f"{row.last_push or '-'}")


@click.command()
@click.argument("submissions", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("grading"), show_default=True,
              help="The batch's folder (as given to grader batch).")
@click.option("--student", "students", multiple=True, help="Regrade this student's submissions; repeat for several.")
@click.option("--only-lab", "only_labs", multiple=True, help="Regrade this lab's submissions; repeat for several.")
@click.option("--lab", "labs", multiple=True, help="The batch's lab(s), as given to grader batch.")
@click.option("--framework", type=click.Choice(["keras", "torch"]), help="Flavour, as given to grader batch.")
@click.option("--roster", type=click.Path(path_type=Path), help="The roster, as given to grader batch.")
@click.option("--gradebook", "gradebooks", multiple=True, type=click.Choice(["csv", "canvas"]),
              help="The gradebook exports to write again, as given to grader batch.")
@click.option("--assignment", help='Canvas column of a one-lab batch, as given to grader batch.')
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Local Dask workers.")
@click.option("--sequential", is_flag=True, help="No Dask: grade one submission after the other in this process.")
@click.option("--timeout", "submission_timeout", type=click.FloatRange(min=1), default=1800.0, show_default=True,
              help="Seconds one submission's whole grading may take.")
@click.option("--no-sandbox", is_flag=True, help="Grade even where the kernel sandbox cannot start.")
def regrade(submissions: tuple[Path, ...], out_dir: Path, students: tuple[str, ...], only_labs: tuple[str, ...],
            labs: tuple[str, ...], framework: str | None, roster: Path | None, gradebooks: tuple[str, ...],
            assignment: str | None, jobs: int, sequential: bool, submission_timeout: float, no_sandbox: bool) -> None:
    """Grade again the submissions of the batch in OUT of --student and/or --only-lab (after a check was fixed or a
    request upheld); every other one is kept. Writes grades.csv and the exports anew and OUT/regrade-TIME.csv: every
    changed score, before and after. Exit status as grader batch's.
    """
    from grader.batch.class_grading import ClassOptions
    from grader.batch.planning import BatchOptions
    from grader.batch.progress import BatchProgress
    from grader.batch.regrade import regrade as regrade_batch

    if not students and not only_labs:
        _fail("say what to regrade: --student LOGIN and/or --only-lab LAB (everything: grader batch --force)", EXIT_INPUT)
    options = BatchOptions(out_dir, labs, framework, 0, submission_timeout, False, no_sandbox)
    how = ClassOptions(jobs, None, sequential, roster, gradebooks, assignment)
    try:
        result = regrade_batch(submissions, options, how, students, only_labs, BatchProgress())
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    click.echo(result.batch.summary_text, nl=False, err=True)
    click.echo(f"regraded {len(result.regraded)} submissions: {len(result.changes)} scores changed")
    for change in result.changes:
        click.echo(f"  {change.submission} ({change.student}, {change.lab}): {change.before or change.status_before} "
                   f"-> {change.after or change.status_after}")
    click.echo("wrote " + ", ".join(str(path) for path in [*result.batch.written, result.table]))
    sys.exit(result.batch.exit_code)
