"""``grader validate LAB``: the lab's checks are proven on its references and its wrong solutions.

For each flavour: the reference scores full marks; each wrong solution (a cell appended to the
executed reference, judged in the same kernel) fails exactly the checks it declares; every check is
failed by at least one wrong solution; the generated student notebook is up to date, runs without
error and scores 0. The public checks are proven too, as a public install judges them from their
recordings in the same kernel: the reference passes every recorded check, and no wrong solution passes a
check it fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.course.labs import load_lab
from grader.course.notebook import read_notebook
from grader.course.paths import private_root
from grader.course.release import build_release
from grader.errors import GraderError, InputError
from grader.judging.checks.oracle import weaknesses
from grader.judging.grading import PUBLIC, Grading
from grader.judging.oracle_inputs import spec_problems
from grader.kernel.notebook_run import Prestart
from grader.reports.report import FAILED, PASSED, SKIPPED, CheckResult

_EXPECT = re.compile(r"^#\s*expect-fail:\s*(?P<ids>.+)$", re.M)


@dataclass
class WrongSolution:
    name: str
    source: str
    expect_fail: frozenset[str]


@dataclass
class Validation:
    lab: str
    lines: list[tuple[bool, str]] = field(default_factory=list)

    def add(self, ok: bool, text: str) -> None:
        self.lines.append((ok, text))

    @property
    def ok(self) -> bool:
        return all(ok for ok, _ in self.lines)


def wrong_solutions_dir() -> Path:
    private = private_root()
    if private is None:
        raise InputError("validating a lab needs the private course (reference notebooks, wrong solutions): "
                         "pass --private DIR or set GRADER_PRIVATE")
    return private / "tests" / "wrong_solutions"


def load_wrong_solutions(lab_id: str, framework: str, root: Path | None = None) -> list[WrongSolution]:
    folder = (root or wrong_solutions_dir()) / lab_id / framework
    solutions = []
    for path in sorted(folder.glob("*.py")):
        text = path.read_text()
        match = _EXPECT.search(text)
        ids = frozenset(part.strip() for part in match.group("ids").split(",")) if match else frozenset()
        solutions.append(WrongSolution(path.stem, text, ids))
    return solutions


def _public_judge(run: Grading) -> list[CheckResult]:
    """The checks as a public install judges them (from their recordings), in the same kernel."""
    course, run.course = run.course, PUBLIC
    try:
        return run.judge()
    finally:
        run.course = course


def validate_lab(
    lab_id: str,
    seed: int = 0,
    wrong_root: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Validation:
    lab = load_lab(lab_id)
    say = progress or (lambda message: None)
    result = Validation(lab.id)
    releases = {release.framework: release for release in build_release(lab)}
    for check in lab.checks:
        if check.kind == "oracle":
            problems = spec_problems(check.params)
            result.add(not problems, f"oracle check {check.id}: " + ("; ".join(problems) if problems else
                                                                      "inputs declared"))
    # each kernel starts (its framework imported) while the run before it is judged: the flavours' references
    # and student notebooks, in this order, one kernel each
    order = [(framework, kind) for framework in lab.flavours for kind in ("reference", "student")
             if kind == "reference" or releases[framework].path.is_file()]
    ahead: dict[tuple[str, str], Prestart] = {}

    def start_next(after: tuple[str, str]) -> None:
        position = order.index(after) + 1
        if position < len(order) and order[position] not in ahead:
            ahead[order[position]] = Prestart(Grading(lab, order[position][0], seed, progress))

    def grading(key: tuple[str, str]) -> Grading:
        started = ahead.pop(key, None)
        return started.take() if started is not None else Grading(lab, key[0], seed, progress)

    try:
        for framework, flavour in lab.flavours.items():
            check_ids = {check.id for check in lab.checks_for(framework)}
            oracle_ids = {check.id for check in lab.checks_for(framework) if check.kind == "oracle"}
            say(f"{framework}: reference")
            with grading((framework, "reference")) as run:
                events = run.execute(read_notebook(flavour.reference), flavour.reference.name)
                start_next((framework, "reference"))
                for event in events:
                    result.add(False, f"{framework} reference: cell {event.index + 1} {event.status}: {event.message}")
                checks = run.judge()
                lost = [c for c in checks if not c.passed]
                result.add(not lost, f"{framework} reference scores {sum(c.score for c in checks):g}/"
                                     f"{sum(c.max_score for c in checks):g}"
                                     + "".join(f"\n    {c.id}: {c.message}" for c in lost))
                public = _public_judge(run)
                wrong_public = [c for c in public if c.status not in (PASSED, SKIPPED)]
                result.add(not wrong_public, f"{framework} reference, public checks only: "
                           f"{sum(c.status == PASSED for c in public)} passed from their recordings, "
                           f"{sum(c.status == SKIPPED for c in public)} await the private run"
                           + "".join(f"\n    {c.id}: {c.status}: {c.message}" for c in wrong_public))
                for check in lab.checks_for(framework):
                    if check.kind == "oracle" and not spec_problems(check.params):
                        try:
                            weak = weaknesses(lab.id, framework, seed, check.params)
                        except GraderError as exc:
                            weak = [f"the reference could not answer ({exc})"]
                        if weak:
                            result.add(False, f"{framework} oracle check {check.id} is weak: {'; '.join(weak)}")
                caught: set[str] = set()
                run.snapshot()
                for wrong in load_wrong_solutions(lab.id, framework, wrong_root):
                    say(f"{framework}: wrong solution {wrong.name}")
                    status = run.run_extra_cell(wrong.source)
                    failed = {c.id for c in run.judge() if not c.passed}
                    caught |= failed
                    unknown = wrong.expect_fail - check_ids
                    ok = status == "ok" and failed == wrong.expect_fail and not unknown
                    detail = "" if ok else (
                        f" (cell {status}; expected to fail: {', '.join(sorted(wrong.expect_fail)) or 'nothing declared'}; "
                        f"failed: {', '.join(sorted(failed)) or 'none'})"
                    )
                    result.add(ok, f"{framework} wrong solution {wrong.name} fails {', '.join(sorted(failed)) or 'nothing'}{detail}")
                    public = [c for c in _public_judge(run) if c.id in wrong.expect_fail]
                    slipped = sorted(c.id for c in public if c.status == PASSED)
                    caught_here = sum(c.status not in (PASSED, SKIPPED) for c in public)
                    result.add(not slipped, f"{framework} wrong solution {wrong.name}, public checks only: fails "
                               f"{caught_here} of its {len(wrong.expect_fail)} failing checks, the rest await the private run"
                               + (f" — passes {', '.join(slipped)}" if slipped else ""))
                    run.restore()
            release = releases[framework]
            result.add(release.up_to_date, f"{framework} student notebook {release.path.name} is "
                       + ("up to date" if release.up_to_date else "missing or out of date: run `grader release`"))
            if release.path.is_file():
                say(f"{framework}: student notebook")
                with grading((framework, "student")) as run:
                    events = run.execute(read_notebook(release.path), release.path.name)
                    start_next((framework, "student"))
                    result.add(not events, f"{framework} student notebook runs without error"
                               + "".join(f"\n    cell {e.index + 1} {e.status}: {e.message}" for e in events))
                    judged = run.judge()
                    scored = [c for c in judged if c.score > 0]
                    result.add(not scored, f"{framework} student notebook scores 0"
                               + "".join(f"\n    {c.id} gave {c.score:g} points" for c in scored))
                    # an oracle check's wrong solution of last resort: the stubs (NotImplementedError) it was released with
                    stubbed = {c.id for c in judged if c.id in oracle_ids and c.status == FAILED}
                    passed_stub = sorted(oracle_ids - stubbed)
                    caught |= stubbed
                    if oracle_ids:
                        result.add(not passed_stub, f"{framework}: every oracle check fails on the released stubs"
                                   + (f" — passes on a stub raising NotImplementedError: {', '.join(passed_stub)}"
                                      if passed_stub else ""))
            never = sorted(check_ids - caught)
            result.add(not never, f"{framework}: every check fails on some wrong solution"
                       + (" (the released stubs count for oracle checks)" if oracle_ids else "")
                       + (f" — never failed: {', '.join(never)}" if never else ""))
    finally:
        for started in ahead.values():
            started.discard()
    return result
