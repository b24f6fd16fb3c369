"""Mutation analysis of a lab's checks (``grader mutants LAB``).

1. **Mutants.** Every function of the reference notebook that holds a solution region is mutated, one change at a
   time (:mod:`grader.authoring.mutation_operators`); a mutant is the reference notebook with that one function rewritten.
2. **Equivalent mutants.** In one sandboxed kernel per flavour the reference notebook runs, its student functions
   are wrapped so that every call the lab's own checks make is recorded (arguments copied), and the checks are
   judged. Then each mutated definition is executed in a copy of the notebook's namespace and called on the
   recorded arguments, seeded alike, next to the reference's definition: a mutant whose return values (and
   arguments afterwards, for functions that change them) equal the reference's on every recorded call is
   equivalent on the grader's inputs and is not graded.
3. **Grading.** The other mutants are written into a temporary submissions folder with the reference itself and
   graded by the batch engine (:func:`grader.batch.class_grading.grade_class`). A mutant is killed when it scores less than the
   reference or fails a check the reference passes.
4. **Report.** Per function, killed and surviving mutants, each survivor as a unified diff (Markdown and JSON).
"""

from __future__ import annotations

import ast
import difflib
import json
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from grader.authoring.mutation_operators import Mutant, function_mutants
from grader.errors import GraderError, InputError

BEGIN = "# BEGIN SOLUTION"
RESULT_MARK = "__GRADER_MUTANTS__"
RECORDED_CALLS = 32  # per function and check: the first calls each check makes
CALL_SECONDS = 20  # one call of a mutant on the equivalence inputs


class MutantsError(GraderError):
    """The reference notebook could not be run to filter the equivalent mutants."""


@dataclass
class Case:
    """One mutant: the reference notebook with one function rewritten."""

    id: str
    function: str
    operator: str
    description: str
    cell: int  # index of the notebook cell that changed
    source: str  # the mutated definition
    original: str  # the reference's definition as the mutant's is written (ast.unparse), for the diff
    equivalence: str = ""  # equivalent | differs | untested (no recorded call of the function)
    status: str = ""  # killed | survived | equivalent | not graded
    score: float | None = None
    failed_checks: list[str] = field(default_factory=list)
    message: str = ""

    def diff(self) -> str:
        return "".join(difflib.unified_diff((self.original + "\n").splitlines(True),
                                            (self.source + "\n").splitlines(True),
                                            f"reference/{self.function}", f"mutant/{self.function}"))


# -- the mutants -------------------------------------------------------------------------------------

def student_functions(nb: nbformat.NotebookNode) -> list[tuple[int, ast.FunctionDef]]:
    """(cell index, definition) of every top-level function (or method of a top-level class) with a solution region."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or BEGIN not in cell.source:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as exc:
            raise InputError(f"cell {index + 1} of the reference does not parse: {exc}") from None
        lines = cell.source.split("\n")
        marked = {i + 1 for i, line in enumerate(lines) if line.strip() == BEGIN}
        nodes = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for klass in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            nodes += [n for n in klass.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for node in nodes:
            if any(node.lineno <= line <= node.end_lineno for line in marked):
                found.append((index, node))
    return found


def _replace(source: str, node: ast.FunctionDef, new: str) -> str:
    lines = source.split("\n")
    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    indent = lines[node.lineno - 1][:node.col_offset]
    body = [indent + line if line else line for line in new.split("\n")]
    return "\n".join(lines[:start] + body + lines[node.end_lineno:])


def make_cases(nb: nbformat.NotebookNode, function: str | None = None, max_mutants: int | None = None,
               seed: int = 0) -> list[Case]:
    """The mutants of ``nb``'s student functions (of ``function`` only if given), at most ``max_mutants`` drawn
    with ``seed``, in the notebook's order."""
    cases: list[Case] = []
    defined = student_functions(nb)
    if function is not None and function not in {node.name for _, node in defined}:
        names = ", ".join(node.name for _, node in defined) or "none"
        raise InputError(f"the reference has no student function {function!r} (it has: {names})")
    for index, node in defined:
        if function is not None and node.name != function:
            continue
        original = ast.unparse(node)
        mutants: list[Mutant] = function_mutants(node)
        for number, mutant in enumerate(mutants, 1):
            cases.append(Case(f"{node.name}-{number:03d}", node.name, mutant.operator, mutant.description, index,
                              mutant.source, original))
    return draw(cases, max_mutants, seed)


def draw(cases: list[Case], max_mutants: int | None, seed: int) -> list[Case]:
    """At most ``max_mutants`` of ``cases`` drawn with ``seed``, in their order (all of them without a bound)."""
    if max_mutants is None or len(cases) <= max_mutants:
        return cases
    chosen = set(random.Random(seed).sample(range(len(cases)), max_mutants))
    return [case for i, case in enumerate(cases) if i in chosen]


def mutant_notebook(nb: nbformat.NotebookNode, case: Case) -> nbformat.NotebookNode:
    """The reference notebook with ``case``'s function rewritten; every other cell untouched."""
    new = nbformat.from_dict(json.loads(json.dumps(nb)))
    cell = new.cells[case.cell]
    tree = ast.parse(cell.source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == case.function:
            cell.source = _replace(cell.source, node, case.source)
            return new
    raise GraderError(f"cell {case.cell + 1} no longer defines {case.function}")  # pragma: no cover


# -- equivalent mutants ------------------------------------------------------------------------------

# Runs in the reference's kernel after the notebook: wraps the student functions to record their arguments.
RECORD_CODE = r'''
import copy as __mut_copy, functools as __mut_functools
__mut_calls, __mut_originals, __mut_per_check, __mut_phase = {}, {}, {}, ""
def __mut_clone(call):
    # a deep copy that keeps the gradients of a module's parameters (a Parameter's own deepcopy drops them)
    import sys
    new = __mut_copy.deepcopy(call)
    torch = sys.modules.get("torch")
    if torch is not None:
        olds, news = [*call[0], *call[1].values()], [*new[0], *new[1].values()]
        for old, copied in zip(olds, news):
            if isinstance(old, torch.nn.Module):
                for a, b in zip(old.parameters(), copied.parameters()):
                    if a.grad is not None:
                        b.grad = a.grad.detach().clone()
    return new
def __mut_wrap(__name, __fn):
    @__mut_functools.wraps(__fn)
    def __mut_wrapper(*args, **kwargs):
        calls = __mut_calls.setdefault(__name, [])
        per_check = __mut_per_check.setdefault((__name, __mut_phase), [0])
        if per_check[0] < %(limit)d:
            per_check[0] += 1
            try:
                calls.append(__mut_clone((args, kwargs)))
            except Exception:
                pass
        return __fn(*args, **kwargs)
    return __mut_wrapper
for __mut_name in %(names)r:
    if callable(globals().get(__mut_name)):
        __mut_originals[__mut_name] = globals()[__mut_name]
        globals()[__mut_name] = __mut_wrap(__mut_name, globals()[__mut_name])
'''

RESTORE_CODE = "globals().update(__mut_originals)\n"

# Runs after the checks: calls the reference's and each mutant's definition on the recorded arguments.
COMPARE_CODE = r'''
def __mut_compare(__sources, __mutants, __seconds):
    import json, random, signal, sys
    import numpy as np
    base = {k: v for k, v in globals().items() if not k.startswith("__mut_")}

    def seed():
        random.seed(0)
        np.random.seed(0)
        if "torch" in sys.modules:
            sys.modules["torch"].manual_seed(0)
        if "keras" in sys.modules:
            try:
                sys.modules["keras"].utils.set_random_seed(0)
            except Exception:
                pass

    def fp(v, depth=0):
        if depth > 6:
            return ("deep",)
        if v is None or isinstance(v, (bool, int, float, str, complex)):
            return v
        if isinstance(v, np.ndarray) or isinstance(v, np.generic):
            return np.array(v)
        torch = sys.modules.get("torch")
        if torch is not None:
            if isinstance(v, torch.Tensor):
                return np.array(v.detach().cpu().numpy())
            if isinstance(v, torch.nn.Module):
                return ("module", type(v).__name__, repr(v), [m.training for m in v.modules()],
                        {k: fp(t, depth + 1) for k, t in v.state_dict().items()},
                        [fp(q.grad, depth + 1) for q in v.parameters()])
            if isinstance(v, torch.optim.Optimizer):
                return ("optimizer", type(v).__name__,
                        [{k: fp(x, depth + 1) for k, x in g.items() if k != "params"} for g in v.param_groups])
        if isinstance(v, (list, tuple)):
            return (type(v).__name__, [fp(x, depth + 1) for x in v])
        if isinstance(v, dict):
            return ("dict", [(repr(k), fp(x, depth + 1)) for k, x in v.items()])
        weights = getattr(v, "weights", None)
        if isinstance(weights, list) and hasattr(v, "get_config"):
            try:
                config = json.dumps(v.get_config(), sort_keys=True, default=str)
            except Exception:
                config = ""
            return ("layer", type(v).__name__, config, [fp(w, depth + 1) for w in weights])
        if hasattr(v, "numpy"):
            try:
                return np.array(v.numpy())
            except Exception:
                pass
        return ("object", type(v).__name__)

    def same(a, b):
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
                return False
            if a.shape != b.shape or a.dtype != b.dtype:
                return False
            if a.dtype.kind in "fc":
                return bool(np.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True))
            return bool(np.array_equal(a, b))
        if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
            return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        if isinstance(a, dict) or isinstance(b, dict):
            return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and \
                all(same(a[k], b[k]) for k in a)
        if isinstance(a, float) and isinstance(b, float):
            return a == b or abs(a - b) <= 1e-6 + 1e-5 * abs(b) or (a != a and b != b)
        return type(a) is type(b) and a == b

    class Slow(Exception):
        pass

    def alarm(*_):
        raise Slow()

    def run(fn, call):
        args, kwargs = __mut_clone(call)
        seed()
        old = signal.signal(signal.SIGALRM, alarm)
        signal.alarm(__seconds)
        try:
            out = fn(*args, **kwargs)
            return ("ok", fp(out), fp((args, kwargs)))
        except Slow:
            return ("slow",)
        except Exception as exc:
            return ("raised", type(exc).__name__)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)

    def define(name, source):
        ns = dict(base)
        exec(compile(source, "<" + name + ">", "exec"), ns)
        return ns[name]

    verdicts = {}
    for name, source in __sources.items():
        calls = __mut_calls.get(name, [])
        reference = define(name, source)
        first = [run(reference, c) for c in calls]
        again = [run(reference, c) for c in calls]
        keep = [i for i in range(len(calls)) if first[i][0] == "ok" and same(first[i], again[i])
                or first[i][0] == "raised" and first[i] == again[i]]
        for mutant_id, (function, mutated) in __mutants.items():
            if function != name:
                continue
            if not keep:
                verdicts[mutant_id] = "untested"
                continue
            try:
                fn = define(name, mutated)
            except Exception:
                verdicts[mutant_id] = "differs"
                continue
            verdict = "equivalent"
            for i in keep:
                result = run(fn, calls[i])
                if result[0] != first[i][0] or not same(result, first[i]):
                    verdict = "differs"
                    break
            verdicts[mutant_id] = verdict
    return verdicts

print("%(mark)s" + __import__("json").dumps(__mut_compare(%(sources)r, %(mutants)r, %(seconds)d)))
'''


@dataclass
class Baseline:
    """What the reference kernel gave: the checks' results on the reference and the recorded calls per function."""

    checks: dict[str, str]  # check id -> passed | failed | ...
    recorded: dict[str, int] = field(default_factory=dict)


def _printed(outputs: list) -> str:
    return "".join(out.get("text", "") for out in outputs if out.get("output_type") == "stream")


def filter_equivalent(lab: Any, framework: str, cases: list[Case], seed: int = 0,
                      use_sandbox: bool | None = None) -> Baseline:
    """Set each case's ``equivalence`` from one reference kernel (see the module's docstring)."""
    from grader.course.notebook import read_notebook
    from grader.judging.grading import Grading

    flavour = lab.flavours[framework]
    nb = read_notebook(flavour.reference)
    names = sorted({case.function for case in cases} | {node.name for _, node in student_functions(nb)})
    sources = {node.name: ast.unparse(node) for _, node in student_functions(nb)}
    with Grading(lab, framework, seed, use_sandbox=use_sandbox) as run:
        events = run.execute(nb, flavour.reference.name)
        if events:
            event = events[0]
            raise MutantsError(f"the reference notebook did not run: cell {event.index + 1} {event.status}: "
                               f"{event.message}")
        assert run.session is not None
        outcome = run.session.run_code(RECORD_CODE % {"limit": RECORDED_CALLS, "names": names}, 60)
        if outcome.status != "ok":
            raise MutantsError(f"could not wrap the reference's functions: {outcome.message}")
        results = []
        for check in lab.checks_for(framework):  # the first calls of every check, not only of the first
            run.session.run_code(f"__mut_phase = {check.id!r}", 30)
            results.append(run.judge_check(check))
        baseline = Baseline({result.id: result.status for result in results})
        outcome = run.session.run_code(RESTORE_CODE, 60)
        if outcome.status != "ok":
            raise MutantsError(f"could not restore the reference's functions: {outcome.message}")
        counted = run.session.run_code(
            f"print({RESULT_MARK!r} + __import__('json').dumps({{k: len(v) for k, v in __mut_calls.items()}}))", 60)
        baseline.recorded = _marked(counted)
        mutants = {case.id: (case.function, case.source) for case in cases}
        timeout = 120 + CALL_SECONDS * 3 * max(1, len(cases)) * RECORDED_CALLS * len(results)
        outcome = run.session.run_code(COMPARE_CODE % {"mark": RESULT_MARK, "sources": sources, "mutants": mutants,
                                                       "seconds": CALL_SECONDS}, timeout)
        verdicts = _marked(outcome)
    for case in cases:
        case.equivalence = verdicts.get(case.id, "untested")
    return baseline


def _marked(outcome: Any) -> dict[str, Any]:
    text = _printed(outcome.outputs)
    for line in text.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    raise MutantsError(f"the reference kernel gave no answer ({outcome.status}: {outcome.message})")


# -- grading ------------------------------------------------------------------------------------------

def grade_cases(lab: Any, framework: str, cases: list[Case], seed: int = 0, jobs: int = 1,
                sequential: bool = False, no_sandbox: bool = False, work: Path | None = None) -> dict[str, Any]:
    """Grade the reference and every case not equivalent through the batch engine; set each case's status.

    Returns the reference's row (score, per-check scores)."""
    from grader.course.notebook import read_notebook

    flavour = lab.flavours[framework]
    nb = read_notebook(flavour.reference)
    folder = Path(tempfile.mkdtemp(prefix="grader-mutants-", dir=work))
    try:
        return _grade_in(folder, lab, framework, nb, cases, seed, jobs, sequential, no_sandbox)
    finally:  # the mutants and their reports are the analysis's own: nothing of them is kept
        shutil.rmtree(folder, ignore_errors=True)


def _grade_in(folder: Path, lab: Any, framework: str, nb: nbformat.NotebookNode, cases: list[Case], seed: int,
              jobs: int, sequential: bool, no_sandbox: bool) -> dict[str, Any]:
    from grader.batch.class_grading import ClassOptions, grade_class
    from grader.batch.planning import BatchOptions

    submissions, out = folder / "submissions", folder / "out"
    submissions.mkdir()
    graded = [case for case in cases if case.equivalence != "equivalent"]
    nbformat.write(nb, submissions / "reference.ipynb")
    for case in graded:
        nbformat.write(mutant_notebook(nb, case), submissions / f"{_submission_name(case.id)}.ipynb")
    options = BatchOptions(out_dir=out, labs=(lab.id,), framework=framework, seed=seed, no_sandbox=no_sandbox)
    result = grade_class([submissions], options, ClassOptions(jobs=jobs, sequential=sequential))
    rows = {row.name: row for row in result.batch.rows}
    reference = rows.get("reference")
    if reference is None or reference.status != "graded":
        raise MutantsError("the reference notebook was not graded: " + (reference.message if reference else "no row"))
    passed = {check for check, score in reference.checks.items()
              if score >= reference.check_max.get(check, score) and score > 0}
    for case in cases:
        if case.equivalence == "equivalent":
            case.status = "equivalent"
            continue
        row = rows.get(_submission_name(case.id))
        if row is None or row.status != "graded":
            case.status, case.message = "not graded", row.message if row else "no row"
            continue
        case.score = row.score
        case.failed_checks = sorted(check for check in passed if row.checks.get(check, 0.0) < reference.checks[check])
        case.status = "killed" if row.score < reference.score or case.failed_checks else "survived"
    return {"score": reference.score, "max_score": reference.max_score, "checks": dict(reference.checks)}


# -- the whole analysis and its report -----------------------------------------------------------------

@dataclass
class Analysis:
    lab: str
    framework: str
    seed: int
    cases: list[Case]
    reference: dict[str, Any]
    recorded: dict[str, int]
    seconds: float
    drawn_from: int | None = None  # with --max-mutants: how many mutants there were to draw from

    def counts(self, function: str | None = None) -> dict[str, int]:
        chosen = [c for c in self.cases if function is None or c.function == function]
        result = {key: sum(c.status == key for c in chosen)
                  for key in ("killed", "survived", "equivalent", "not graded")}
        result["mutants"] = len(chosen)
        return result

    def functions(self) -> list[str]:
        return list(dict.fromkeys(c.function for c in self.cases))


def _submission_name(case_id: str) -> str:
    """The batch's name of a mutant's notebook: a prefix keeps a method's mutant (``__init__-002``) from losing
    the underscores the batch strips from the ends of a name."""
    return f"mutant-{case_id}"


def analyse(lab_id: str, framework: str | None = None, function: str | None = None, max_mutants: int | None = None,
            seed: int = 0, jobs: int = 1, sequential: bool = False, no_sandbox: bool = False,
            progress: Callable[[str], None] = lambda message: None) -> Analysis:
    from grader.course.labs import load_lab
    from grader.course.notebook import read_notebook

    started = time.monotonic()
    lab = load_lab(lab_id)
    if framework is None:
        framework = next(iter(lab.flavours))
    if framework not in lab.flavours:
        raise InputError(f"lab {lab_id} has no {framework!r} flavour (it has: {', '.join(lab.flavours)})")
    reference = lab.flavours[framework].reference
    if not reference.is_file():
        raise InputError(f"{reference}: no reference notebook (mutation analysis needs the private course)")
    every = make_cases(read_notebook(reference), function)
    cases = draw(every, max_mutants, seed)
    if not cases:
        raise InputError(f"no mutants: the {framework} reference of {lab_id} has no student function to mutate")
    progress(f"{len(cases)} mutants; running the reference and filtering the equivalent ones")
    baseline = filter_equivalent(lab, framework, cases, seed, use_sandbox=False if no_sandbox else None)
    wrapped_failures = [check for check, status in baseline.checks.items() if status != "passed"]
    if wrapped_failures:  # a check that inspects the function itself: its calls may be missing from the recording
        progress(f"note: with its functions wrapped to record their calls, the reference did not pass "
                 f"{', '.join(wrapped_failures)}; mutants of the functions those checks call may be taken for "
                 "equivalent too readily")
    equivalent = sum(c.equivalence == "equivalent" for c in cases)
    progress(f"{equivalent} equivalent on the checks' inputs; grading {len(cases) - equivalent} mutants")
    reference_row = grade_cases(lab, framework, cases, seed, jobs, sequential, no_sandbox)
    return Analysis(lab_id, framework, seed, cases, reference_row, baseline.recorded, time.monotonic() - started,
                    len(every) if len(every) > len(cases) else None)


def to_json(analysis: Analysis) -> dict[str, Any]:
    return {
        "lab": analysis.lab, "framework": analysis.framework, "seed": analysis.seed,
        "drawn_from": analysis.drawn_from, "seconds": round(analysis.seconds, 1), "reference": analysis.reference,
        "recorded_calls": analysis.recorded, "totals": analysis.counts(),
        "functions": {name: analysis.counts(name) for name in analysis.functions()},
        "mutants": [{**asdict(case),
                     "diff": case.diff() if case.status == "survived" else ""} for case in analysis.cases],
    }


def killed_share(counts: dict[str, int]) -> str:
    graded = counts["killed"] + counts["survived"]
    return f"{counts['killed']}/{graded} ({100 * counts['killed'] / graded:.0f}%)" if graded else "0/0"


def to_markdown(analysis: Analysis) -> str:
    totals = analysis.counts()
    lines = [f"# Mutation analysis: {analysis.lab} ({analysis.framework})", "",
             f"`grader mutants {analysis.lab} --framework {analysis.framework} --seed {analysis.seed}"
             + (f" --max-mutants {totals['mutants']}" if analysis.drawn_from else "") + "`: "
             + (f"{totals['mutants']} first-order mutants drawn at random from the {analysis.drawn_from} "
                if analysis.drawn_from else f"{totals['mutants']} first-order mutants ")
             + "of the reference's student functions, "
             f"{totals['equivalent']} equivalent on the checks' own inputs (not graded), "
             f"**{killed_share(totals)} of the others killed** by the lab's checks"
             + (f", {totals['not graded']} not graded" if totals["not graded"] else "")
             + f". The reference scores {analysis.reference['score']:g}/{analysis.reference['max_score']:g}; "
             f"{analysis.seconds:.0f} s in all.", "",
             "| function | mutants | equivalent | killed | survived | killed of non-equivalent |",
             "|---|---:|---:|---:|---:|---:|"]
    for name in analysis.functions():
        c = analysis.counts(name)
        lines.append(f"| `{name}` | {c['mutants']} | {c['equivalent']} | {c['killed']} | {c['survived']} | "
                     f"{killed_share(c)} |")
    equivalent = [c for c in analysis.cases if c.status == "equivalent"]
    if equivalent:
        lines += ["", "## Equivalent on the checks' inputs", "",
                  "Not graded: on every call the checks made, these returned what the reference returns. Each is "
                  "behaviour the checks never exercise (a default they always pass, an error they never provoke) "
                  "or a true equivalent.", ""]
        lines += [f"- {c.id}: {c.operator}, {c.description}" for c in equivalent]
    survivors = [c for c in analysis.cases if c.status == "survived"]
    lines += ["", "## Survivors", ""]
    if not survivors:
        lines.append("None: every non-equivalent mutant fails a check.")
    for case in survivors:
        lines += [f"### {case.id}: {case.operator}, {case.description}", "", "```diff", case.diff().rstrip(), "```", ""]
    failed = [c for c in analysis.cases if c.status == "not graded"]
    if failed:
        lines += ["", "## Not graded", ""] + [f"- {c.id}: {c.message}" for c in failed]
    return "\n".join(lines).rstrip() + "\n"


def write_report(analysis: Analysis, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    stem = f"mutants_{analysis.lab}-{analysis.framework}"
    markdown, data = out / f"{stem}.md", out / f"{stem}.json"
    markdown.write_text(to_markdown(analysis), encoding="utf-8")
    data.write_text(json.dumps(to_json(analysis), indent=1) + "\n", encoding="utf-8")
    return [markdown, data]
