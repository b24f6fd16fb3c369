"""The inputs of oracle checks: drawn from the check's declaration in the lab's YAML and a seed.

``args``/``kwargs`` declare arrays with dimensions drawn from ranges, integers, floats, choices and fixed
values; ``generator`` names a function of the private course (``reference/oracle_inputs/<lab>.py``). The
draw is a pure function of the params, the grading's seed and the flavour, so that every oracle check of a
notebook is known before any is judged and the reference answers them all in one run
(:mod:`grader.judging.oracle_runner`).
"""

from __future__ import annotations

import importlib.util
import zlib
from typing import Any

import numpy as np

from grader.course.paths import private_root

TODO = "TODO"
DEFAULT_CASES = 3


class OracleSpecError(ValueError):
    """The check's inputs cannot be drawn as declared (a TODO left by ``grader new``, a bad range)."""


# -- drawing inputs ----------------------------------------------------------------------------------
def spec_problems(params: dict[str, Any]) -> list[str]:
    """What keeps an oracle check from being planned or makes it weak, in an instructor's words."""
    problems = []
    if not params.get("function"):
        problems.append("no `function` named")
    if "generator" in params:
        return problems
    specs = list(params.get("args", [])) + list(params.get("kwargs", {}).values())
    if "args" not in params and "kwargs" not in params:
        problems.append("no inputs declared (`args`/`kwargs` or `generator`)")
    if _has_todo(specs) or _has_todo(params.get("dims", {})):
        problems.append("inputs still marked TODO: declare how to draw them")
    if int(params.get("cases", DEFAULT_CASES)) < 1:
        problems.append("`cases` must be at least 1")
    return problems


def _has_todo(tree: Any) -> bool:
    if isinstance(tree, str):
        return TODO in tree
    if isinstance(tree, dict):
        return any(_has_todo(v) for v in tree.values())
    if isinstance(tree, list):
        return any(_has_todo(v) for v in tree)
    return False


def draw_cases(params: dict[str, Any], seed: int, framework: str, lab_id: str = "") -> list[dict[str, Any]]:
    """The check's inputs as plain data: ``[{"args": [...], "kwargs": {...}}]``; an array passed as the
    flavour's tensor is ``{"tensor": array}``. A pure function of the params, the seed and the flavour."""
    problems = spec_problems(params)
    if problems:
        raise OracleSpecError("; ".join(problems))
    entropy = [int(seed) % 2**63, int(params.get("seed", 0)), zlib.crc32(str(params["function"]).encode())]
    if "generator" in params:  # the seed words, not a Generator: a recording looks the call up by its arguments
        return generated_cases(lab_id, str(params["generator"]), entropy, framework)
    rng = np.random.default_rng(entropy)
    cases = []
    for _ in range(int(params.get("cases", DEFAULT_CASES))):
        dims: dict[str, int] = {}
        for name, bounds in params.get("dims", {}).items():
            dims[name] = _integer(bounds, rng, dims, f"dims/{name}")
        args = [_draw(spec, rng, dims, f"args/{i}") for i, spec in enumerate(params.get("args", []))]
        kwargs = {key: _draw(spec, rng, dims, f"kwargs/{key}") for key, spec in params.get("kwargs", {}).items()}
        case = {"args": args, "kwargs": kwargs}
        if params.get("probe_inputs"):  # what a returned model or layer is applied to, with the case's dims
            case["probe_inputs"] = [_draw(spec, rng, dims, f"probe_inputs/{i}")
                                    for i, spec in enumerate(params["probe_inputs"])]
        cases.append(case)
    for example in params.get("examples", []):  # fixed cases written out in the spec (edge cases)
        cases.append({key: value for key, value in (("args", list(example.get("args", []))),
                                                     ("kwargs", dict(example.get("kwargs", {}))),
                                                     ("probe_inputs", example.get("probe_inputs"))) if value is not None})
    return cases


def _bound(value: Any, dims: dict[str, int], where: str) -> int:
    if isinstance(value, str):
        text = value.strip()
        for name in sorted(dims, key=len, reverse=True):  # "n", "n-1", "n+2"
            if text.startswith(name) and text[len(name):].strip()[:1] in ("", "+", "-"):
                rest = text[len(name):].replace(" ", "")
                return dims[name] + (int(rest) if rest else 0)
        raise OracleSpecError(f"{where}: {value!r} is neither a number nor a dimension drawn before it")
    return int(value)


def _integer(bounds: Any, rng: np.random.Generator, dims: dict[str, int], where: str) -> int:
    if isinstance(bounds, list):
        if len(bounds) != 2:
            raise OracleSpecError(f"{where}: a range is [low, high]")
        low, high = _bound(bounds[0], dims, where), _bound(bounds[1], dims, where)
        if high < low:
            raise OracleSpecError(f"{where}: empty range [{low}, {high}]")
        return int(rng.integers(low, high + 1))
    return _bound(bounds, dims, where)


def _draw(spec: Any, rng: np.random.Generator, dims: dict[str, int], where: str) -> Any:
    if not isinstance(spec, dict) or len(spec) != 1:
        raise OracleSpecError(f"{where}: an input is one of array, tensor, int, float, choice, value, list, tuple")
    (kind, body), = spec.items()
    if kind in ("array", "tensor"):
        array = _array(body or {}, rng, dims, where)
        return {"tensor": array} if kind == "tensor" else array
    if kind == "int":
        return _integer(body, rng, dims, where)
    if kind == "float":
        low, high = (float(body[0]), float(body[1])) if isinstance(body, list) else (float(body), float(body))
        return float(rng.uniform(low, high))
    if kind == "choice":
        return body[int(rng.integers(len(body)))]
    if kind == "value":
        return body
    if kind in ("list", "tuple"):
        items = [_draw(item, rng, dims, f"{where}/{i}") for i, item in enumerate(body)]
        return items if kind == "list" else tuple(items)
    raise OracleSpecError(f"{where}: unknown input kind {kind!r}")


def _array(body: dict[str, Any], rng: np.random.Generator, dims: dict[str, int], where: str) -> np.ndarray:
    shape = tuple(_integer(d, rng, dims, f"{where}/shape") for d in body.get("shape", []))
    dtype = np.dtype(body.get("dtype", "float32"))
    low_high = body.get("range")
    if dtype.kind in "iu":
        low, high = (int(low_high[0]), int(low_high[1])) if low_high else (0, 9)
        return rng.integers(low, high + 1, size=shape).astype(dtype)
    if dtype.kind == "b":
        return rng.random(size=shape) < 0.5
    if low_high:
        return rng.uniform(float(low_high[0]), float(low_high[1]), size=shape).astype(dtype)
    return (rng.normal(size=shape) * float(body.get("scale", 1.0))).astype(dtype)




def requests(params: dict[str, Any], seed: int, framework: str, lab_id: str = "") -> list[dict[str, Any]]:
    """The calls of one check as plain data (what the reference is asked, and how its answers are keyed)."""
    out = []
    for case in draw_cases(params, seed, framework, lab_id):
        request = {"function": str(params["function"]), "args": case["args"], "kwargs": case["kwargs"]}
        if case.get("probe_inputs"):
            request["probe_inputs"] = list(case["probe_inputs"])
            request["reseed"] = int(params.get("seed", 0))
        out.append(request)
    return out


def lab_requests(lab: Any, framework: str, seed: int) -> list[dict[str, Any]]:
    """Every call the lab's oracle checks make in this flavour at ``seed`` (those that can be planned)."""
    out: list[dict[str, Any]] = []
    for check in lab.checks_for(framework):
        if check.kind == "oracle":
            try:
                out += requests(check.params, seed, framework, lab.id)
            except OracleSpecError:
                continue
    return out


def generated_cases(lab_id: str, name: str, entropy: list[int], framework: str) -> list[dict[str, Any]]:
    """Inputs from a generator of the private course: ``generator: NAME`` calls ``NAME(rng, framework)`` in
    ``reference/oracle_inputs/<lab>.py`` (beside the reference notebooks, never shipped), ``rng`` NumPy's
    generator seeded with ``entropy``; it returns ``[{"args": [...], "kwargs": {...}}]``."""
    rng = np.random.default_rng(entropy)
    private = private_root()
    if private is None:
        raise OracleSpecError("oracle inputs from a generator need the private course")
    path = private / "reference" / "oracle_inputs" / f"{lab_id}.py"
    spec = importlib.util.spec_from_file_location(f"grader_oracle_inputs_{lab_id.replace('-', '_')}", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise OracleSpecError(f"{path}: not found (it defines the generator {name!r})")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cases = getattr(module, name)(rng, framework)
    return [{"args": list(case.get("args", [])), "kwargs": dict(case.get("kwargs", {})),
             **({"probe_inputs": list(case["probe_inputs"])} if case.get("probe_inputs") else {})} for case in cases]
