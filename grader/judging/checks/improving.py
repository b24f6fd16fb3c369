"""Check kinds of lab 05: weight penalties in the loss, dropout in training versus inference mode,
stacked recurrent layers that pass whole sequences on, stateful models, and bidirectional layers that
really read the sequence backwards.

Each kind builds models with the student's factories and the grader's arguments (kernel side:
``improving_probes``) and judges the raw values that come back: the expected penalty is computed here
from the weights the probe returns.
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
from grader.judging.numerics import regularization
from grader.kernel.probing import CallResult

_F32 = np.float32


def _call_text(function: str, args: list[Any], kwargs: dict[str, Any]) -> str:
    parts = [repr(a) if not isinstance(a, (list, tuple)) else repr(tuple(a)) for a in args]
    parts += [f"{key}={value!r}" if not isinstance(value, list) else f"{key}={tuple(value)!r}"
              for key, value in kwargs.items()]
    return f"{function}({', '.join(parts)})"


def _batch(ctx: CheckContext, batch: int, seq_len: int, n_features: int) -> np.ndarray:
    return ctx.rng.normal(size=(batch, seq_len, n_features)).astype(_F32)


def _differ(a: np.ndarray, b: np.ndarray, atol: float = 1e-6) -> bool:
    return a.shape != b.shape or not np.allclose(a, b, rtol=0.0, atol=atol)


def _max_diff(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape:
        return f"shapes {a.shape} and {b.shape}"
    return f"largest difference {float(np.max(np.abs(a - b))) if a.size else 0.0:.3g}"


class PenaltyInLoss(CheckKind):
    """The L1/L2 penalty enters the loss with the requested coefficients, on the recurrent input weights only.

    Keras: ``sum(model.losses)`` after a forward pass equals l1·Σ|K| + l2·ΣK² over the ``kernel`` of every
    recurrent cell. PyTorch: ``regularization_penalty(model, l1, l2)`` equals the same sum over the
    parameters named ``weight_ih…``, on the student's model and (``module: probe``) on a two-layer
    ``nn.GRU`` plus ``nn.Linear`` built by the probe.
    """

    name = "penalty_in_loss"
    kernel_modules = ("improving_probes",)

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        calls = []
        for index, case in enumerate(params["cases"]):
            seq_len, n_features = int(case.get("seq_len", 6)), int(case.get("n_features", 3))
            kwargs = {"l1": float(case.get("l1", 0.0)), "l2": float(case.get("l2", 0.0))}
            call = {"id": f"case{index}", "probe": "improving_penalty", "framework": ctx.framework,
                    "function": params.get("function", "build_regularized_gru"),
                    "args": [seq_len, n_features, int(case.get("units", 4))], "kwargs": kwargs,
                    "l1": kwargs["l1"], "l2": kwargs["l2"], "module": case.get("module", "student"),
                    "seed": int(ctx.rng.integers(0, 2**31 - 1)), "x": _batch(ctx, 2, seq_len, n_features)}
            if case.get("module") == "probe" and ctx.framework != "torch":
                continue
            calls.append(call)
        return Plan(calls)

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        def body() -> str:
            for call in plan.calls:
                l1, l2 = call["l1"], call["l2"]
                built = _call_text(call["function"], call["args"], call["kwargs"])
                if ctx.framework == "torch":
                    on = ("nn.GRU(3, 4, num_layers=2) followed by nn.Linear(4, 1)" if call["module"] == "probe"
                          else built)
                    text = f"regularization_penalty(model, l1={l1}, l2={l2}) with model = {on}"
                    value = require_ok(results[call["id"]], text)
                    named = {k: as_array(v, k) for k, v in value["parameters"].items()}
                    covered = {k: v for k, v in named.items() if k.rsplit(".", 1)[-1].startswith("weight_ih")}
                    if not covered:
                        raise Failed(f"{on} has no parameter named weight_ih…: the penalty covers the input "
                                     f"weights of the recurrent layers (parameters: {sorted(named)})")
                    got = float(np.asarray(value["penalty"]))
                    expected = regularization.penalty(covered, l1, l2)
                    where = f"over {', '.join(sorted(covered))}"
                else:
                    text = f"sum(model.losses) after a forward pass of model = {built}"
                    value = require_ok(results[call["id"]], text)
                    kernels = {k: as_array(v, k) for k, v in value["kernels"].items()}
                    if not kernels:
                        raise Failed(f"{built} has no recurrent layer with an input kernel")
                    got = float(sum(value["losses"]))
                    expected = regularization.penalty(kernels, l1, l2)
                    where = "over the input kernel of the recurrent layers"
                if not np.isclose(got, expected, rtol=1e-4, atol=1e-6):
                    raise Failed(f"{text}: expected l1·Σ|W| + l2·ΣW² = {expected:.6g} {where}, got {got:.6g}. "
                                 "The penalty must use exactly these coefficients on the recurrent layers' input "
                                 "weights (not the recurrent weights, biases or the dense layer).")
            return f"the penalty equals l1·Σ|W| + l2·ΣW² on the recurrent input weights in {len(plan.calls)} cases"
        return run_judge(body)


class DropoutModes(CheckKind):
    """Dropout acts in training mode only: with dropout or recurrent dropout > 0 two inference passes are
    equal and two training passes differ; with both 0 (given, or the defaults) training mode equals inference
    mode."""

    name = "dropout_modes"
    kernel_modules = ("improving_probes",)

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        calls = []
        for index, case in enumerate(params["cases"]):
            seq_len, n_features = int(case.get("seq_len", 8)), int(case.get("n_features", 5))
            calls.append({"id": f"case{index}", "probe": "improving_dropout", "framework": ctx.framework,
                          "function": params.get("function", "build_regularized_gru"),
                          "args": [seq_len, n_features, int(case.get("units", 8))],
                          # a rate the case does not set is left to the function's default, which the
                          # contract fixes at 0.0
                          "kwargs": {key: float(case[key]) for key in ("dropout", "recurrent_dropout") if key in case},
                          "x": _batch(ctx, int(case.get("batch", 16)), seq_len, n_features)})
        return Plan(calls)

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        modes = {"keras": ("model(x, training=False)", "model(x, training=True)"),
                 "torch": ("model.eval(); model(x)", "model.train(); model(x)")}[ctx.framework]

        def body() -> str:
            for call in plan.calls:
                built = _call_text(call["function"], call["args"], call["kwargs"])
                batch = tuple(np.shape(call["x"]))
                value = require_ok(results[call["id"]], f"two inference and two training passes of {built}")
                inf = [as_array(v, "output") for v in value["inference"]]
                tr = [as_array(v, "output") for v in value["training"]]
                where = f"model = {built} on one batch x of shape {batch}"
                if _differ(inf[0], inf[1]):
                    raise Failed(f"{where}: two calls of {modes[0]} differ ({_max_diff(inf[0], inf[1])}); "
                                 "at inference nothing may be dropped")
                active = call["kwargs"].get("dropout", 0.0) > 0 or call["kwargs"].get("recurrent_dropout", 0.0) > 0
                if active and not _differ(tr[0], tr[1]):
                    raise Failed(f"{where}: two calls of {modes[1]} gave the same output; with this dropout "
                                 "the training-mode outputs must differ (new random masks each call)")
                if not active and _differ(tr[0], inf[0]):
                    zero = "with dropout = recurrent_dropout = 0" if call["kwargs"] else \
                        "with the default rates (0.0 and 0.0 in the contract)"
                    raise Failed(f"{where}: {zero}, {modes[1]} differs from {modes[0]} ({_max_diff(tr[0], inf[0])})")
            return "dropout acts in training mode only, and only when asked for"
        return run_judge(body)


class StatefulState(CheckKind):
    """A stateful model's second call on the same batch differs from its first, and after a reset it
    gives the first call's output again (inference mode); outputs have shape (batch_size, 1)."""

    name = "stateful_state"
    kernel_modules = ("improving_probes",)

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        calls = []
        for index, case in enumerate(params["cases"]):
            batch, seq_len, n_features = int(case["batch_size"]), int(case["seq_len"]), int(case["n_features"])
            calls.append({"id": f"case{index}", "probe": "improving_stateful", "framework": ctx.framework,
                          "function": params.get("function", "build_stateful_gru"),
                          "args": [batch, seq_len, n_features, int(case["units"])], "kwargs": {},
                          "x": _batch(ctx, batch, seq_len, n_features)})
        return Plan(calls)

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        reset = {"keras": "reset_state() on its stateful layers", "torch": "model.reset_state()"}[ctx.framework]

        def body() -> str:
            for call in plan.calls:
                built = _call_text(call["function"], call["args"], call["kwargs"])
                batch = call["args"][0]
                value = require_ok(results[call["id"]], f"model = {built}: model(x) twice, {reset}, model(x)")
                first, second, third = (as_array(value[k], "output") for k in ("first", "second", "after_reset"))
                where = f"model = {built}, x of shape {tuple(np.shape(call['x']))}, inference mode"
                if first.shape != (batch, 1):
                    raise Failed(f"{where}: expected an output of shape ({batch}, 1), got {first.shape}")
                if not _differ(first, second):
                    raise Failed(f"{where}: the second call on the same batch gave the same output as the first: "
                                 "the last state of a batch must be the initial state of the next call")
                if _differ(first, third, atol=1e-5):
                    raise Failed(f"{where}: after the reset ({value.get('reset')}) model(x) should give the first "
                                 f"call's output again ({_max_diff(first, third)}): the reset must forget the state")
            return "the state carries over from call to call and the reset forgets it"
        return run_judge(body)


class StackedSequences(CheckKind):
    """Every recurrent layer of the stacked model reads the whole sequence; the output is (batch, 1)."""

    name = "stacked_sequences"
    kernel_modules = ("improving_probes",)

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        calls = []
        for index, case in enumerate(params["cases"]):
            seq_len, n_features = int(case["seq_len"]), int(case["n_features"])
            calls.append({"id": f"case{index}", "probe": "improving_stacked", "framework": ctx.framework,
                          "function": params.get("function", "build_stacked_gru"),
                          "args": [seq_len, n_features], "kwargs": {"units": list(case["units"])},
                          "x": _batch(ctx, int(case.get("batch", 3)), seq_len, n_features)})
        return Plan(calls)

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        def body() -> str:
            for call in plan.calls:
                built = _call_text(call["function"], call["args"], call["kwargs"])
                batch, steps = np.shape(call["x"])[:2]
                value = require_ok(results[call["id"]], f"model = {built}; model(x) with x of shape "
                                                        f"{tuple(np.shape(call['x']))}")
                output = as_array(value["output"], "output")
                where = f"model = {built} on x of shape {tuple(np.shape(call['x']))}"
                if output.shape != (batch, 1):
                    raise Failed(f"{where}: expected an output of shape ({batch}, 1), got {output.shape}")
                layers = value["layers"]
                n_layers = len(call["kwargs"]["units"])
                if ctx.framework == "torch" and len(layers) != n_layers:
                    raise Failed(f"{where}: expected {n_layers} recurrent layers to run (one per entry of units), "
                                 f"recorded {len(layers)}: {[layer['layer'] for layer in layers]}")
                short = [f"{layer['layer']} ({layer['steps']} steps)" for layer in layers
                         if layer["steps"] not in (steps, -2)]
                if short:
                    raise Failed(f"{where}: every recurrent layer must receive the whole sequence of {steps} steps "
                                 f"(the layers before it return sequences); got {', '.join(short)}")
            return "every recurrent layer reads the whole sequence and the output shape is right"
        return run_judge(body)


class ReadsBackwards(CheckKind):
    """Some recurrent layer of the model reads the sequence backwards: when only the last time step of the
    input changes, its output at the first step of its processing order changes."""

    name = "reads_backwards"
    kernel_modules = ("improving_probes",)

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        calls = []
        for index, case in enumerate(params["cases"]):
            seq_len, n_features = int(case["seq_len"]), int(case["n_features"])
            x = _batch(ctx, int(case.get("batch", 4)), seq_len, n_features)
            x_perturbed = x.copy()
            x_perturbed[:, -1] += ctx.rng.normal(size=x_perturbed[:, -1].shape).astype(_F32) + 1.0
            calls.append({"id": f"case{index}", "probe": "improving_direction", "framework": ctx.framework,
                          "function": params.get("function", "build_bidirectional_gru"),
                          "args": [seq_len, n_features, int(case["units"])], "kwargs": {},
                          "x": x, "x_perturbed": x_perturbed})
        return Plan(calls)

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        def body() -> str:
            for call in plan.calls:
                built = _call_text(call["function"], call["args"], call["kwargs"])
                value = require_ok(results[call["id"]], f"model = {built}, run on x and on x with only its last "
                                                        "time step changed")
                if not value:
                    raise Failed(f"model = {built}: no recurrent layer (GRU/LSTM/RNN) was found or ran")
                changed = [layer["layer"] for layer in value
                           if _differ(as_array(layer["first"], "output"), as_array(layer["first_perturbed"], "output"))]
                if not changed:
                    names = ", ".join(layer["layer"] for layer in value)
                    raise Failed(f"model = {built}: only the last time step of the input was changed, and the output "
                                 f"at the first processed step of every recurrent layer ({names}) stayed the same: "
                                 "no layer reads the sequence backwards (a bidirectional layer runs one direction "
                                 "forwards and one backwards)")
            return "a recurrent layer reads the sequence backwards"
        return run_judge(body)


KINDS: tuple[CheckKind, ...] = (PenaltyInLoss(), DropoutModes(), StatefulState(), StackedSequences(), ReadsBackwards())
