"""Model factories: what the student's ``create_…``/``build_…`` functions return, judged by behaviour.

The kernel builds a model with the grader's arguments and runs it on inputs the grader chose, in
inference mode; the grader judges the type, output shapes, values and the parameter count.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.judging.checks.base import (
    CheckContext,
    CheckKind,
    Failed,
    Plan,
    Verdict,
    as_array,
    require_ok,
    run_judge,
)
from grader.judging.numerics import architecture
from grader.kernel.probing import CallResult

_MODEL_BASES = {
    "keras": ("keras.src.models.model.Model",),
    "torch": ("torch.nn.modules.module.Module",),
}
_RANGE_BATCH = 64
_MODEL_WORDS = {"keras": "a Keras model (keras.Model)", "torch": "a PyTorch module (torch.nn.Module)"}


def call_text(function: str, case: dict[str, Any]) -> str:
    parts = [repr(arg) for arg in case.get("args", [])]
    parts += [f"{key}={value!r}" for key, value in case.get("kwargs", {}).items()]
    return f"{function}({', '.join(parts)})"


def _error_text(error: dict[str, Any] | None) -> str:
    error = error or {}
    where = f" ({error['where']})" if error.get("where") else ""
    return f"raised {error.get('type', 'Exception')}: {error.get('message', '')}{where}"


def expected_params(case: dict[str, Any], framework: str) -> tuple[int, str] | None:
    """The parameter count a case asks for, and how it was worked out (for messages)."""
    if "architecture" in case:
        layers = case["architecture"]
        return architecture.count(framework, layers), architecture.describe(layers)
    if "n_params" in case:
        counts = case["n_params"]
        value = counts.get(framework) if isinstance(counts, dict) else counts
        return (int(value), "the architecture asked for") if value is not None else None
    return None


def random_inputs(shape: tuple[int, ...], params: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    low_high = params.get("input_range")
    if low_high:
        return rng.uniform(float(low_high[0]), float(low_high[1]), size=shape).astype(np.float32)
    return rng.normal(size=shape).astype(np.float32)


class ModelFactory(CheckKind):
    """``function(*args, **kwargs)`` returns a model mapping (batch, *input_shape) to (batch, *output_shape)."""

    name = "model_factory"
    kernel_modules = ("model_probes",)

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        batches = [int(b) for b in params.get("batches", [1, 5])]
        calls, singles = [], []
        for index, case in enumerate(params["cases"]):
            inputs = [random_inputs((batch, *case["input_shape"]), params, ctx.rng) for batch in batches]
            if params.get("output_range") is not None:
                # a wide batch, so that an output layer without its squashing activation shows
                wide = (ctx.rng.normal(scale=3.0, size=(_RANGE_BATCH, *case["input_shape"]))).astype(np.float32)
                inputs.append(wide)
            if params.get("batch_independent", False):
                # the largest batch again one example at a time: a batch-first model gives the same rows
                whole = int(np.argmax(batches))
                singles.append((whole, len(inputs)))
                inputs += [inputs[whole][i:i + 1] for i in range(batches[whole])]
            calls.append({
                "id": f"case{index}", "probe": "model_outputs", "function": params["function"],
                "args": list(case.get("args", [])), "kwargs": dict(case.get("kwargs", {})), "inputs": inputs,
                "training": bool(params.get("training", False)),
            })
        return Plan(calls, {"batches": batches, "singles": singles})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        function = params["function"]

        def body() -> str:
            counted = []
            for index, (call, case) in enumerate(zip(plan.calls, params["cases"], strict=True)):
                text = call_text(function, case)
                info = require_ok(results[call["id"]], text)
                if not isinstance(info, dict) or "outputs" not in info:
                    raise Failed(f"{text}: the grader could not read the model back")
                self._judge_type(ctx.framework, text, info)
                if not isinstance(info["outputs"], list) or len(info["outputs"]) != len(call["inputs"]):
                    raise Failed(f"{text}: the grader could not read the model's outputs back")
                for x, output in zip(call["inputs"], info["outputs"], strict=True):
                    self._judge_output(params, case, text, x, output)
                if plan.state.get("singles"):
                    whole, first = plan.state["singles"][index]
                    self._judge_independent(params, text, call["inputs"][whole], info["outputs"], whole, first)
                expected = expected_params(case, ctx.framework)
                if expected is not None:
                    counted.append(self._judge_count(text, info, *expected))
            shapes = ", ".join(str(b) for b in plan.state["batches"])
            if params.get("output_range") is not None:
                low, high = params["output_range"]
                shapes += f" (outputs within [{low:g}, {high:g}])"
            extra = f"; parameters {', '.join(str(c) for c in counted)} as asked" if counted else ""
            if plan.state.get("singles"):
                extra += "; each example's output is the same alone as in a batch (batch-first)"
            return f"{function} builds models with the right output shapes for batch sizes {shapes}{extra}"

        return run_judge(body)

    @staticmethod
    def _judge_type(framework: str, text: str, info: dict[str, Any]) -> None:
        mro = info.get("mro") or []
        if not any(base in mro for base in _MODEL_BASES[framework]):
            raise Failed(f"{text} returned a {info.get('class', '?')}; expected {_MODEL_WORDS[framework]}")

    @staticmethod
    def _judge_output(params: dict[str, Any], case: dict[str, Any], text: str, x: np.ndarray, output: Any) -> None:
        batch = x.shape[0]
        where = f"{text} called on inputs of shape {tuple(x.shape)}"
        if not isinstance(output, dict) or not output.get("ok"):
            raise Failed(f"{where} {_error_text(output.get('error') if isinstance(output, dict) else None)}")
        value = as_array(output.get("value"), f"{where}: the output")
        expected_shape = (batch, *case["output_shape"])
        if tuple(value.shape) != expected_shape:
            hint = ""
            if value.ndim == len(expected_shape) + 1:
                hint = " — an extra time axis: does a recurrent layer that feeds the head return sequences?"
            elif value.ndim == len(expected_shape) - 1 and len(expected_shape) == 3:
                hint = " — the time axis is missing: the recurrent layer should return sequences"
            raise Failed(f"{where}: output shape {tuple(value.shape)}, expected {expected_shape}{hint}")
        if not np.all(np.isfinite(value)):
            raise Failed(f"{where}: the output contains NaN or infinite values")
        bounds = params.get("output_range")
        if bounds is not None:
            low, high = float(bounds[0]), float(bounds[1])
            if value.min() < low - 1e-6 or value.max() > high + 1e-6:
                raise Failed(f"{where}: outputs range over [{value.min():.4g}, {value.max():.4g}], "
                             f"expected within [{low:g}, {high:g}] (is the output activation missing?)")

    @staticmethod
    def _judge_independent(params: dict[str, Any], text: str, x: np.ndarray, outputs: list[Any], whole: int,
                           first: int) -> None:
        """The rows of the batch's output equal the outputs of its examples run one at a time."""
        batched = np.asarray(outputs[whole]["value"], np.float64)
        alone = np.concatenate([np.asarray(outputs[first + i]["value"], np.float64) for i in range(len(x))])
        atol = float(params.get("batch_tolerance", 1e-4))
        error = np.abs(batched - alone)
        if np.any(error > atol + 1e-4 * np.abs(alone)):
            row = int(np.unravel_index(int(np.argmax(error)), error.shape)[0])
            raise Failed(
                f"{text} on a batch of shape {tuple(x.shape)}: row {row} of the output differs by {error.max():.3g} "
                f"from the output of example {row} run alone, so the examples of a batch influence each other; "
                "inputs are batch-first (batch, seq_len, n_features): in PyTorch pass batch_first=True to the "
                "recurrent layer"
            )

    @staticmethod
    def _judge_count(text: str, info: dict[str, Any], expected: int, how: str) -> int:
        if "n_params" not in info:
            raise Failed(f"{text}: counting the model's parameters {_error_text(info.get('n_params_error'))}")
        got = int(info["n_params"])
        if got != expected:
            raise Failed(f"{text} has {got} parameters; expected {expected} for {how}")
        return got




KINDS = (ModelFactory(),)
