"""Check kinds of lab 01: the step functions, unrolling, built-in layers and parameter counts."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.judging.checks.base import (
    CheckContext,
    CheckKind,
    Failed,
    Plan,
    Verdict,
    compare,
    matches,
    optional,
    require_ok,
    run_judge,
)
from grader.judging.numerics import rnn
from grader.kernel.probing import CallResult, Opaque
from grader.reports.report import cut

_F32 = np.float32
_ATOL = 1e-5


def _tolerance(params: dict[str, Any]) -> float:
    return float(params.get("tolerance", _ATOL))


class CellStep(CheckKind):
    """One step of a cell (``rnn_step``, ``lstm_step``, ``gru_step``) on random parameters and states."""

    name = "cell_step"
    default_cases = ((1, 3, 4), (4, 5, 3), (2, 1, 1), (6, 7, 8))  # (batch, m, n)

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        cell = params["cell"]
        function = params.get("function", f"{cell}_step")
        calls = []
        for index, (batch, m, n) in enumerate(params.get("cases", self.default_cases)):
            p = rnn.random_params(cell, m, n, ctx.rng)
            x = ctx.rng.normal(size=(batch, m)).astype(_F32)
            h = ctx.rng.uniform(-1, 1, size=(batch, n)).astype(_F32)
            args: list[Any] = [x, h]
            if cell == "lstm":
                args.append(ctx.rng.normal(size=(batch, n)).astype(_F32))
            args.append(p)
            calls.append({"id": f"case{index}", "probe": "call", "function": function, "args": args})
        return Plan(calls, {"cell": cell, "function": function})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        cell, function = plan.state["cell"], plan.state["function"]
        atol = _tolerance(params)

        def body() -> str:
            for call in plan.calls:
                args = call["args"]
                batch, m = args[0].shape
                n = args[1].shape[1]
                text = f"{function}({'x_t, h_prev, c_prev, p' if cell == 'lstm' else 'x_t, h_prev, p'}) with batch={batch}, m={m}, n={n}"
                value = require_ok(results[call["id"]], text)
                p64 = {k: v.astype(np.float64) for k, v in args[-1].items()}
                x, h = args[0].astype(np.float64), args[1].astype(np.float64)
                if cell == "lstm":
                    self._judge_lstm(text, value, x, h, args[2].astype(np.float64), p64, atol)
                else:
                    expected = (rnn.rnn_step if cell == "rnn" else rnn.gru_step)(x, h, p64)
                    try:
                        compare(expected, value, f"{text}: h_t", atol)
                    except Failed as failure:
                        raise Failed(f"{failure}{self._diagnose(cell, value, x, h, p64, atol)}") from None
            return f"{function} matches the lecture's equations on {len(plan.calls)} random cases (batch 1 included)"

        return run_judge(body)

    @staticmethod
    def _judge_lstm(text: str, value: Any, x: np.ndarray, h: np.ndarray, c: np.ndarray, p: dict, atol: float) -> None:
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise Failed(f"{text}: should return the pair (h_t, c_t), got {type(value).__name__}")
        h_new, c_new = rnn.lstm_step(x, h, c, p)
        try:
            compare(c_new, value[1], f"{text}: c_t", atol)
        except Failed as failure:
            raise Failed(f"{failure}{CellStep._lstm_hint(value, x, h, c, p, atol)}") from None
        compare(h_new, value[0], f"{text}: h_t", atol)

    @staticmethod
    @optional(str)
    def _lstm_hint(value: Any, x: np.ndarray, h: np.ndarray, c: np.ndarray, p: dict, atol: float) -> str:
        if matches(rnn.lstm_step(x, h, np.zeros_like(c), p)[1], value[1], atol):
            return " — c_t ignores c_prev: the forget gate must multiply the previous cell state (f ⊙ c_prev)"
        return ""

    @staticmethod
    @optional(str)
    def _diagnose(cell: str, value: Any, x: np.ndarray, h: np.ndarray, p: dict, atol: float) -> str:
        if cell == "gru" and matches(rnn.gru_step_update_swapped(x, h, p), value, atol):
            return " — the update gate is swapped: the lecture keeps u ⊙ h_prev and mixes in (1 − u) ⊙ h̃"
        return ""


def _error_per_step(cell: str, text: str, expected: np.ndarray, value: Any, atol: float) -> dict[str, Any]:
    """Plot data: the largest error of the student's sequence at every time step (empty if shapes differ)."""
    if not isinstance(value, np.ndarray) or value.shape != expected.shape:
        return {}
    with np.errstate(invalid="ignore"):
        error = np.abs(value.astype(np.float64) - expected).max(axis=(0, 2))
    return {"plot": "error_per_step", "cell": cell, "call": text, "error": error.tolist(), "tolerance": atol}


class RunSequence(CheckKind):
    """``run_sequence(cell, xs, p, return_sequences)`` in both modes, T = 1 and batch 1 included."""

    name = "run_sequence"
    default_cases = ((1, 1, 3, 2), (3, 5, 4, 3), (2, 8, 2, 5))  # (batch, T, m, n)

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        cell = params["cell"]
        calls = []
        cases = list(params.get("cases", self.default_cases))
        default_at = min(1, len(cases) - 1)  # a case with T > 1, where the default's shape tells
        for index, (batch, steps, m, n) in enumerate(cases):
            p = rnn.random_params(cell, m, n, ctx.rng)
            xs = ctx.rng.normal(size=(batch, steps, m)).astype(_F32)
            for mode in (True, False):
                calls.append({
                    "id": f"case{index}-{'seq' if mode else 'last'}", "probe": "call", "function": "run_sequence",
                    "args": [cell, xs, p], "kwargs": {"return_sequences": mode},
                })
            if index == default_at:  # the contract's default: return_sequences=True (the same inputs, nothing drawn)
                calls.append({"id": f"case{index}-default", "probe": "call", "function": "run_sequence",
                              "args": [cell, xs, p], "kwargs": {}})
        # the student's own step function on a first step, to tell a wrong step from a wrong loop
        p = rnn.random_params(cell, 3, 2, ctx.rng)
        x, h, c = (ctx.rng.normal(size=shape).astype(_F32) for shape in ((2, 3), (2, 2), (2, 2)))
        step_args = [x, np.tanh(h), c, p] if cell == "lstm" else [x, np.tanh(h), p]
        calls.append({"id": "step", "probe": "call", "function": f"{cell}_step", "args": step_args})
        return Plan(calls, {"cell": cell})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        cell = plan.state["cell"]
        atol = _tolerance(params)
        details: dict[str, Any] = {}

        def body() -> str:
            for call in plan.calls:
                if call["id"] == "step":
                    continue
                _, xs, p = call["args"]
                mode = call["kwargs"].get("return_sequences", True)
                batch, steps, m = xs.shape
                given = f", return_sequences={mode}" if call["kwargs"] else " (return_sequences left to its default)"
                text = (f"run_sequence({cell!r}, xs, p{given}) with batch={batch}, T={steps}, "
                        f"m={m}, n={p[rnn.PARAM_NAMES[cell][-1]].shape[0]}")
                value = require_ok(results[call["id"]], text)
                sequence = rnn.run_sequence(cell, xs, p, return_sequences=True)
                expected = sequence if mode else sequence[:, -1]
                if mode:
                    details.update(_error_per_step(cell, text, sequence, value, atol))
                try:
                    compare(expected, value, text, atol)
                except Failed as failure:
                    hint = ""
                    if not mode and steps > 1 and matches(sequence[:, 0], value, atol):
                        hint = " — this is the state after the first step; many-to-one returns the state after the last step"
                    elif not mode and matches(sequence, value, atol):
                        hint = " — with return_sequences=False return only the last state, shape (batch, n)"
                    elif self._step_is_wrong(cell, plan.calls[-1], results.get("step"), atol):
                        hint = f" — {cell}_step itself is wrong (see its check), and run_sequence uses it"
                    raise Failed(f"{failure}{hint}") from None
            sequences = sum(1 for call in plan.calls if call["id"].endswith("-seq"))
            return (f"run_sequence({cell!r}) matches in both modes and with the default on {sequences} random sequences "
                    f"(T = 1 included)")

        return run_judge(body, details)


    @staticmethod
    @optional(bool)
    def _step_is_wrong(cell: str, call: dict[str, Any], result: CallResult | None, atol: float) -> bool:
        if result is None or not result.ok:
            return result is not None
        args = [a.astype(np.float64) if isinstance(a, np.ndarray) else a for a in call["args"]]
        if cell == "lstm":
            value = result.value
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                return True
            h_new, c_new = rnn.lstm_step(*args)
            return not (matches(h_new, value[0], atol) and matches(c_new, value[1], atol))
        expected = (rnn.rnn_step if cell == "rnn" else rnn.gru_step)(*args)
        return not matches(expected, result.value, atol)


_LAYER_CLASSES = {
    "keras": {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"},
    "torch": {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"},
}
_FRAMEWORK_MODULE = {"keras": "keras", "torch": "torch.nn"}


def _is_framework_class(info: dict, framework: str, class_name: str) -> bool:
    return any(
        entry.rsplit(".", 1)[-1] == class_name and entry.startswith(_FRAMEWORK_MODULE[framework])
        for entry in info.get("mro", [])
    )


def _builtin_call(cell: str, ctx: CheckContext, batch: int, steps: int, m: int, n: int, index: int) -> dict:
    p = rnn.random_params(cell, m, n, ctx.rng)
    xs = ctx.rng.normal(size=(batch, steps, m)).astype(_F32)
    return {"id": f"case{index}", "probe": "builtin_layer", "function": "to_builtin", "args": [cell, p], "xs": xs}


class BuiltinLayer(CheckKind):
    """``to_builtin(cell, p)`` returns the framework's own layer that computes ``run_sequence`` exactly.

    The layer's output is checked, and so are its stored weights: the grader recomputes the layer from
    them with its own implementation of the framework's gate layout, so a patched ``forward`` cannot pass.
    """

    name = "builtin_layer"
    kernel_modules = ("layer_probes",)
    default_cases = ((2, 5, 3, 4), (1, 1, 2, 3))

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        cell = params["cell"]
        cases = params.get("cases", self.default_cases)
        return Plan([_builtin_call(cell, ctx, *case, index) for index, case in enumerate(cases)], {"cell": cell})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        cell = plan.state["cell"]
        atol = float(params.get("tolerance", 1e-5))
        expected_class = _LAYER_CLASSES[ctx.framework][cell]

        def body() -> str:
            for call in plan.calls:
                xs = call["xs"]
                text = f"to_builtin({cell!r}, p) with m={xs.shape[2]}, n={call['args'][1][rnn.PARAM_NAMES[cell][-1]].shape[0]}"
                info = require_ok(results[call["id"]], text)
                if not isinstance(info, dict):
                    raise Failed(f"{text} returned {type(info).__name__}, not a layer")
                if not _is_framework_class(info, ctx.framework, expected_class):
                    raise Failed(f"{text} returned {info.get('class')}; expected the built-in {expected_class} layer")
                expected = rnn.run_sequence(cell, xs, call["args"][1])
                if "output" not in info:
                    error = info.get("output_error", {})
                    raise Failed(f"{text}: calling the layer on xs {xs.shape} raised "
                                 f"{error.get('type')}: {error.get('message')}")
                try:
                    compare(expected, info["output"], f"{text}: the layer's output sequence on xs {tuple(xs.shape)}", atol)
                except Failed as failure:
                    raise Failed(f"{failure}{self._config_hint(ctx.framework, cell, info.get('config', {}))}") from None
                recomputed = self._forward_from_weights(ctx.framework, cell, info.get("weights", {}), xs)
                if recomputed is None or not matches(expected, recomputed, atol):
                    raise Failed(
                        f"{text}: the layer's output matched, but its stored weights do not compute run_sequence "
                        f"in {expected_class}'s own gate layout; set the weights themselves, not the forward pass"
                    )
            article = "an" if expected_class in ("RNN", "LSTM") else "a"
            return f"to_builtin({cell!r}) returns {article} {expected_class} whose weights reproduce run_sequence"

        return run_judge(body)

    @staticmethod
    def _forward_from_weights(framework: str, cell: str, weights: Any, xs: np.ndarray) -> np.ndarray | None:
        if not isinstance(weights, dict):
            return None
        try:
            if framework == "keras":
                ordered = [weights[key] for key in sorted(weights, key=lambda k: int(k.split(":", 1)[0]))]
                return rnn.keras_layer_forward(cell, ordered, xs) if len(ordered) == 3 else None
            return rnn.torch_layer_forward(cell, weights, xs)
        except (KeyError, ValueError, IndexError, TypeError):
            return None

    @staticmethod
    def _config_hint(framework: str, cell: str, config: dict) -> str:
        wanted = ({"return_sequences": True, "go_backwards": False, "activation": "tanh"}
                  if framework == "keras" else {"batch_first": True, "num_layers": 1, "bidirectional": False})
        if framework == "keras" and cell == "gru":
            wanted["reset_after"] = False
        wrong = [f"{key}={config.get(key)!r} (should be {value!r})" for key, value in wanted.items()
                 if key in config and config.get(key) != value]
        return f" — the layer has {', '.join(wrong)}" if wrong else ""


class BuiltinRaises(CheckKind):
    """``to_builtin(cell, p)`` must refuse, with a given exception, a cell the framework cannot express."""

    name = "builtin_raises"
    kernel_modules = ("layer_probes",)

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        return Plan([_builtin_call(params["cell"], ctx, 2, 3, 3, 4, 0)], {"cell": params["cell"]})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        cell = plan.state["cell"]
        error_name = params.get("error", "ValueError")
        result = results["case0"]
        text = f"to_builtin({cell!r}, p)"
        if result.ok:
            kind = result.value.get("class") if isinstance(result.value, dict) else type(result.value).__name__
            return Verdict(False, f"{text} returned {kind}; {params.get('reason', 'the framework layer cannot compute this cell')}, "
                                  f"so it must raise {error_name} saying so")
        assert result.error is not None
        if result.error.missing:
            return Verdict(False, result.error.message)
        if not result.error.is_a(error_name):
            return Verdict(False, f"{text} raised {result.error.type} ({cut(result.error.message, 200)}); expected {error_name}")
        if not result.error.message.strip():
            return Verdict(False, f"{text} raised {error_name} without a message; say why the layer cannot be used")
        return Verdict(True, f"{text} raises {error_name}: {cut(result.error.message, 200)}")


class CountParams(CheckKind):
    """``count_params(cell, n_features, n_units, n_outputs)`` on the lecture's example and hidden sizes."""

    name = "count_params"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        cases = [tuple(case) for case in params.get("cases", [(14, 16, 1)])]
        for _ in range(int(params.get("random_cases", 3))):
            cases.append(tuple(int(v) for v in (ctx.rng.integers(1, 40), ctx.rng.integers(1, 64), ctx.rng.integers(1, 10))))
        calls = [
            {"id": f"{cell}-{index}", "probe": "call", "function": "count_params", "args": [cell, *case]}
            for cell in rnn.CELLS for index, case in enumerate(cases)
        ]
        return Plan(calls)

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        def body() -> str:
            for call in plan.calls:
                cell, m, n, k = call["args"]
                text = f"count_params({cell!r}, n_features={m}, n_units={n}, n_outputs={k})"
                value = require_ok(results[call["id"]], text)
                got = _as_int(value)
                if got is None:
                    raise Failed(f"{text} returned {value!r}; expected an int")
                expected = rnn.count_params(ctx.framework, cell, m, n, k)
                if got != expected:
                    raise Failed(f"{text} returned {got}, expected {expected}{self._hint(ctx.framework, cell, m, n, k, got)}")
            return f"count_params is right for {len(plan.calls)} (cell, m, n, k) combinations"

        return run_judge(body)

    @staticmethod
    def _hint(framework: str, cell: str, m: int, n: int, k: int, got: int) -> str:
        gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
        one_bias = gates * (n * m + n * n + n) + k * n + k
        if got == one_bias and framework == "torch":
            return " — PyTorch's recurrent layers keep two bias vectors per gate block (bias_ih and bias_hh)"
        if got == one_bias and cell == "gru":
            return " — Keras's GRU defaults to reset_after=True, which keeps two bias vectors"
        if got == gates * (n * m + n * n + n * (2 if framework == "torch" else 1)):
            return " — the dense output layer's k·n + k parameters are missing"
        return ""


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iu":
        return int(value)
    if isinstance(value, (float, np.ndarray)) and not isinstance(value, Opaque):
        number = float(np.asarray(value).reshape(-1)[0]) if np.asarray(value).size == 1 else None
        if number is not None and number.is_integer():
            return int(number)
    return None


KINDS = (CellStep(), RunSequence(), BuiltinLayer(), BuiltinRaises(), CountParams())
