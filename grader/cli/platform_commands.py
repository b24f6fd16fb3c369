"""Students' repositories and other platforms: grader starter, collect, gradescope."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from grader.cli.common import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, _fail
from grader.errors import GraderError, InputError


@click.command()
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
    from grader.course.labs import load_lab
    from grader.platforms.starter import (
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


@click.command()
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
    from grader.platforms import collect as collecting
    from grader.platforms.github_api import GitHubClient, GitHubError, token_from_environment

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
            from grader.cli.course_commands import course_and_lab, course_roster

            course, _ = course_and_lab(course_path, lab_id)
            from grader.platforms.course_collect import collect_course

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


@click.command()
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
    from grader.platforms.gradescope_package import PackageOptions, build_package

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
