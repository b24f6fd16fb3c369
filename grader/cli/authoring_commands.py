"""The commands for writing a lab: ``grader new`` (a lab scaffolded from a solved notebook).

Thin over :mod:`grader.authoring.scaffold`; ``grader.cli`` registers them on its group. Exit codes as the rest of the CLI:
0 written, 2 bad input (one line), 3 the grader failed.
"""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli.common import EXIT_INPUT, EXIT_INTERNAL, _fail
from grader.errors import GraderError, InputError


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
    from grader.authoring.scaffold import new_lab

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


@click.command(name="mutants")
@click.argument("lab")
@click.option("--framework", type=click.Choice(["keras", "torch"]),
              help="Flavour whose reference is mutated (default: the lab's first).")
@click.option("--function", "function", metavar="NAME", help="Mutate this student function only.")
@click.option("--max-mutants", type=click.IntRange(min=1), metavar="N",
              help="Grade at most N mutants, drawn with --seed (default: all).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Grading seed of the checks, and of the draw of --max-mutants.")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), default=Path("mutants"),
              show_default=True, help="Folder for the report (mutants_<lab>-<flavour>.md and .json).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Mutants graded at once (Dask workers).")
@click.option("--sequential", is_flag=True, help="Grade one mutant after the other in this process, without Dask.")
@click.option("--no-sandbox", is_flag=True, help="Run the kernels without bubblewrap.")
def mutants(lab: str, framework: str | None, function: str | None, max_mutants: int | None, seed: int, out: Path,
            jobs: int, sequential: bool, no_sandbox: bool) -> None:
    """Mutation analysis: which plausible bugs in the reference's student functions LAB's checks let through.

    Every function with a solution region is mutated one change at a time (operators, constants, slices, axes,
    activations, removed statements, swapped arguments, flipped flags); mutants equal to the reference on the
    checks' own inputs are left out as equivalent; the others are graded by the batch engine, and a mutant that
    loses no point survives. The report shows every survivor as a diff.
    """
    from grader.authoring.mutants import MutantsError, analyse, killed_share, write_report

    try:
        analysis = analyse(lab, framework, function, max_mutants, seed, jobs, sequential, no_sandbox,
                           progress=lambda message: click.echo(message, err=True))
    except InputError as exc:
        _fail(str(exc), EXIT_INPUT)
    except (MutantsError, GraderError) as exc:
        _fail(str(exc), EXIT_INTERNAL)
    for name in analysis.functions():
        counts = analysis.counts(name)
        click.echo(f"  {name}: {killed_share(counts)} killed, {counts['equivalent']} equivalent, "
                   f"{counts['survived']} survived" + (f", {counts['not graded']} not graded"
                                                      if counts["not graded"] else ""))
    totals = analysis.counts()
    click.echo(f"{analysis.lab} {analysis.framework}: {killed_share(totals)} non-equivalent mutants killed "
               f"({totals['equivalent']} equivalent of {totals['mutants']})")
    for path in write_report(analysis, out):
        click.echo(f"wrote {path}")
