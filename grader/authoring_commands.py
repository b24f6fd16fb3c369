"""The commands for writing a lab: ``grader new`` (a lab scaffolded from a solved notebook).

Thin over :mod:`grader.scaffold`; ``grader.cli`` registers them on its group. Exit codes as the rest of the CLI:
0 written, 2 bad input (one line), 3 the grader failed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader.errors import GraderError, InputError

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3  # grader.cli's


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.command(name="new")
@click.argument("lab")
@click.option("--from", "reference", required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The solved notebook (solution regions between '# BEGIN SOLUTION' and '# END SOLUTION').")
@click.option("--framework", type=click.Choice(["keras", "torch"]),
              help="Flavour of the lab (default: the notebook's metadata or imports, else torch).")
@click.option("--force", is_flag=True, help="Overwrite the spec, README and notebooks of an existing lab (without it, "
              "a lab that lacks this flavour gets it added).")
def new(lab: str, reference: Path, framework: str | None, force: bool) -> None:
    """Scaffold LAB from a solved notebook: one oracle check per solution function, the student notebook, a README."""
    from grader.scaffold import new_lab

    try:
        made = new_lab(lab, reference, framework, force)
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except GraderError as exc:
        _fail(str(exc), EXIT_INTERNAL)
    for path in made.written:
        click.echo(f"wrote {path}")
    for note in made.notes:
        click.echo(f"note: {note}")
    for function in made.functions:
        state = f"TODO inputs: {', '.join(function.todo)}" if function.todo else "inputs declared"
        click.echo(f"  check {function.name}: oracle, 1 point ({state})")
    click.echo(f"next: grader validate {lab}")
