"""Oracle checks: the student's function and the reference notebook's, called on the same inputs.

A check of kind ``oracle`` names a function of the lab's API and how to draw its inputs (``args``/``kwargs``:
arrays with dimensions drawn from ranges, integers, floats, choices, fixed values; or ``generator``, a function
of the private course). The inputs are drawn from the grading's seed and the check's own ``seed``, so that every
oracle check of a notebook is known before any is judged: the reference notebook runs once per grading, in a
kernel of its own, and answers all of them in one probe (:mod:`grader.judging.oracle_runner`, behind
``grader.judging.numerics.oracle``, so that a public install judges from the recorded answers like any other check).
How the inputs are drawn is :mod:`grader.judging.oracle_inputs`.

What comes back is compared value by value: numbers within ``atol``/``rtol``, shapes, dtypes (their kind:
bool, integer or float; exactly with ``dtype: exact``), the nesting of tuples, lists and dicts, the type of the
exception raised, and for a model or layer (with ``probe_inputs``) its parameter count and its outputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.judging.checks.base import CheckContext, CheckKind, Failed, Plan, Verdict, fmt_shape, run_judge
from grader.judging.numerics import oracle
from grader.judging.oracle_inputs import requests
from grader.judging.oracle_runner import kernel_call
from grader.kernel.probing import CallResult, Opaque

_KIND_WORDS = {"b": "bool", "i": "integer", "u": "integer", "f": "float"}


# -- comparing ---------------------------------------------------------------------------------------
def describe_value(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"tensor"}:
        return f"a tensor of shape {tuple(np.shape(value['tensor']))}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {tuple(value.shape)} ({value.dtype})"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(describe_value(v) for v in value[:4])
        return f"({inner}{', …' if len(value) > 4 else ''})" if isinstance(value, tuple) else f"[{inner}]"
    return repr(value)


def call_text(request: dict[str, Any]) -> str:
    parts = [describe_value(a) for a in request["args"]]
    parts += [f"{k}={describe_value(v)}" for k, v in request["kwargs"].items()]
    return f"{request['function']}({', '.join(parts)})"


def _number_like(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "biuf"
    return isinstance(value, (int, float, np.number, np.bool_))


def _dtype_kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return value.dtype.kind
    if isinstance(value, (bool, np.bool_)):
        return "b"
    if isinstance(value, (int, np.integer)):
        return "i"
    return "f"


def compare_values(expected: Any, got: Any, what: str, params: dict[str, Any]) -> None:
    """Raise :class:`Failed` at the first difference between the reference's value and the student's."""
    atol, rtol = float(params.get("atol", 1e-5)), float(params.get("rtol", 1e-4))
    if isinstance(expected, Opaque):
        if not isinstance(got, Opaque):
            raise Failed(f"{what}: expected {expected.type_name.rsplit('.', 1)[-1]} object, got {fmt_shape(got)}")
        return
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        if not isinstance(got, np.ndarray):
            raise Failed(f"{what}: expected an array of shape {tuple(expected.shape)}, got {fmt_shape(got)}")
        if got.shape != expected.shape:
            raise Failed(f"{what}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}")
        _compare_dtype(expected, got, what, params)
        _compare_numbers(expected, got, what, atol, rtol)
        return
    if _number_like(expected):
        if not _number_like(got):
            raise Failed(f"{what}: expected a number ({_show(expected)}), got {fmt_shape(got)}")
        _compare_dtype(np.asarray(expected), np.asarray(got), what, params)
        _compare_numbers(np.asarray(expected), np.asarray(got), what, atol, rtol)
        return
    if isinstance(expected, (list, tuple)):
        if type(got) is not type(expected):
            raise Failed(f"{what}: expected a {type(expected).__name__} of {len(expected)}, got {fmt_shape(got)}")
        if len(got) != len(expected):
            raise Failed(f"{what}: expected a {type(expected).__name__} of {len(expected)}, got one of {len(got)}")
        for index, (e, g) in enumerate(zip(expected, got, strict=True)):
            compare_values(e, g, f"{what}[{index}]", params)
        return
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            raise Failed(f"{what}: expected a dict with keys {sorted(expected)}, got {fmt_shape(got)}")
        if set(got) != set(expected):
            raise Failed(f"{what}: expected the keys {sorted(expected)}, got {sorted(got)}")
        for key in expected:
            compare_values(expected[key], got[key], f"{what}[{key!r}]", params)
        return
    if expected != got or type(expected) is not type(got):
        raise Failed(f"{what}: expected {_show(expected)}, got {_show(got)}")


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return repr(value.item())
    return repr(value)[:120]


def _compare_dtype(expected: np.ndarray, got: np.ndarray, what: str, params: dict[str, Any]) -> None:
    rule = params.get("dtype", "kind")
    if rule == "any":
        return
    if rule == "exact" and expected.dtype != got.dtype:
        raise Failed(f"{what}: expected dtype {expected.dtype}, got {got.dtype}")
    e, g = _dtype_kind(expected), _dtype_kind(got)
    if _KIND_WORDS.get(e) != _KIND_WORDS.get(g):
        raise Failed(f"{what}: expected {_KIND_WORDS.get(e, e)} values ({expected.dtype}), "
                     f"got {_KIND_WORDS.get(g, g)} ones ({got.dtype})")


def _compare_numbers(expected: np.ndarray, got: np.ndarray, what: str, atol: float, rtol: float) -> None:
    e, g = expected.astype(np.float64), got.astype(np.float64)
    nan_e, nan_g = np.isnan(e), np.isnan(g)
    if np.any(nan_e != nan_g):
        index = [int(i) for i in np.argwhere(nan_e != nan_g)[0]]
        raise Failed(f"{what}: NaN where the reference has none, or the other way round (at index {index})")
    e, g = np.where(nan_e, 0.0, e), np.where(nan_g, 0.0, g)
    if np.any(np.isinf(e) != np.isinf(g)) or np.any(np.isinf(e) & (e != g)):
        raise Failed(f"{what}: infinite values differ from the reference's")
    e, g = np.where(np.isinf(e), 0.0, e), np.where(np.isinf(g), 0.0, g)
    exact = expected.dtype.kind in "biu" and got.dtype.kind in "biu"
    error = np.abs(g - e)
    bound = np.zeros_like(e) if exact else atol + rtol * np.abs(e)
    if np.any(error > bound):
        worst = np.unravel_index(int(np.argmax(error - bound)), error.shape) if error.ndim else ()
        where = f" at index {[int(i) for i in worst]}" if error.ndim else ""
        tolerance = "exactly" if exact else f"within {atol:g} + {rtol:g}·|expected|"
        raise Failed(f"{what}: expected {e[worst]:.6g}, got {g[worst]:.6g}{where} (compared {tolerance})")


def compare_answers(expected: CallResult, got: CallResult, request: dict[str, Any], params: dict[str, Any]) -> None:
    text = call_text(request)
    if got.error is not None and got.error.missing:
        raise Failed(got.error.message)
    if not expected.ok:
        assert expected.error is not None
        if got.ok:
            raise Failed(f"{text} should raise {expected.error.type} (as the reference does), "
                         f"but it returned {fmt_shape(_value_of(got.value))}")
        assert got.error is not None
        if not got.error.is_a(expected.error.type):
            raise Failed(f"{text} should raise {expected.error.type}, but it {got.error.describe()}")
        return
    if not got.ok:
        assert got.error is not None
        raise Failed(f"{text} {got.error.describe()}")
    exp, val = expected.value, got.value
    if not isinstance(val, dict) or "value" not in val:
        raise Failed(f"{text}: the grader could not read what it returned")
    if "object" in exp:
        _compare_object(exp, val, text, params)
        return
    compare_values(exp["value"], val["value"], text, params)


def _value_of(answer: Any) -> Any:
    return answer.get("value") if isinstance(answer, dict) else answer


def _compare_object(exp: dict[str, Any], val: dict[str, Any], text: str, params: dict[str, Any]) -> None:
    if "object" not in val:
        raise Failed(f"{text}: expected a model or layer, got {fmt_shape(val.get('value'))}")
    if "n_params" in exp and exp.get("n_params") != val.get("n_params"):
        raise Failed(f"{text}: expected {exp['n_params']} parameters, got {val.get('n_params', 'none')}")
    for index, (e, g) in enumerate(zip(exp.get("outputs", []), val.get("outputs", []), strict=False)):
        what = f"{text} applied to probe input {index}"
        if e.get("ok") and not g.get("ok"):
            error = g.get("error") or {}
            raise Failed(f"{what} raised {error.get('type', 'an error')}: {error.get('message', '')}")
        if e.get("ok"):
            if params.get("probe_values", False):
                compare_values(e["value"], g["value"], what, params)
            else:
                compare_values(np.zeros(np.shape(e["value"])), np.zeros(np.shape(g["value"])), f"{what} (shape)",
                               {**params, "dtype": "any"})


# -- the kind ----------------------------------------------------------------------------------------
class OracleCall(CheckKind):
    """``function`` returns what the reference's ``function`` returns on the same grader-chosen inputs."""

    name = "oracle"
    kernel_modules = ("oracle_probes",)

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        reqs = requests(params, ctx.seed, ctx.framework, ctx.lab_id)
        calls = [kernel_call(f"c{i}", request) for i, request in enumerate(reqs)]
        return Plan(calls, {"requests": reqs})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        reqs = plan.state["requests"]

        def body() -> str:
            expected = oracle.answers(ctx.lab_id, ctx.framework, ctx.seed, reqs)
            for index, request in enumerate(reqs):
                compare_answers(expected[index], results[f"c{index}"], request, params)
            raised = sum(not e.ok for e in expected)
            tail = f" ({raised} of them raising, as the reference does)" if raised else ""
            return f"{params['function']} matches the reference on {len(reqs)} calls{tail}"

        return run_judge(body)


KINDS = [OracleCall()]


def weaknesses(lab_id: str, framework: str, seed: int, params: dict[str, Any]) -> list[str]:
    """What makes an oracle check easy to pass without the work, judged from the reference's own answers."""
    reqs = requests(params, seed, framework, lab_id)
    expected = oracle.answers(lab_id, framework, seed, reqs)
    if all(not answer.ok for answer in expected):
        return ["the reference raises on every call: only the exception's type is compared"]
    values = [answer.value for answer in expected if answer.ok]
    if len(values) >= 2:
        try:
            for value in values[1:]:
                compare_values(values[0]["value"] if "object" not in values[0] else values[0],
                               value["value"] if "object" not in value else value, "", {"dtype": "exact"})
        except Failed:
            return []
        return ["the reference returns the same value for every call: a function returning that constant passes"]
    return []
