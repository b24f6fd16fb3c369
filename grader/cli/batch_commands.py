"""Grading a class: grader batch, and the feedback it posts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from grader.cli.common import EXIT_INPUT, EXIT_INTERNAL, _fail
from grader.errors import GraderError, InputError


@click.command()
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
@click.option("--sequential", is_flag=True, help="No Dask: grade one submission after the other (the next one's kernel starts while the "
                   "current one is graded).")
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

    from grader.batch.class_grading import ClassOptions, grade_class
    from grader.batch.planning import BatchOptions
    from grader.batch.progress import BatchProgress
    from grader.batch.resume import batch_seed

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
    from grader.platforms.feedback import NOT_POSTED, post_class_feedback
    from grader.platforms.github_api import GitHubClient, token_from_environment

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
