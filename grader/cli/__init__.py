"""The ``grader`` command line: thin over the library; exit codes are decided here only.

The group is here; its commands live in one module per group of work (grading one notebook, a class, the
course on GitHub, other platforms, authoring a lab) and are added to it below. A command module imports the
library and :mod:`grader.cli.common`, never this module.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from grader.cli.authoring_commands import mutants, new
from grader.cli.batch_commands import batch
from grader.cli.common import EXIT_INPUT, _fail
from grader.cli.course_commands import provision, regrade, roster
from grader.cli.grading_commands import check, comment, list_command, record, release, validate, warm_up
from grader.cli.platform_commands import collect, gradescope, starter


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
    from grader.course.paths import is_private_course

    named = private_dir or (Path(os.environ["GRADER_PRIVATE"]) if os.environ.get("GRADER_PRIVATE") else None)
    if named is not None:
        if not is_private_course(named):
            _fail(f"{named}: not a private course (no reference/ or grader/judging/numerics/ there)", EXIT_INPUT)
        os.environ["GRADER_PRIVATE"] = str(named.resolve())
    if public_only:
        os.environ["GRADER_PUBLIC_ONLY"] = "1"


for _command in (check, batch, list_command, release, record, validate, comment, starter, collect, gradescope,
                 roster, provision, regrade, new, mutants, warm_up):
    main.add_command(_command)
