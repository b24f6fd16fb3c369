"""Stand-in students for the seed sweep (``tests/test_seed_sweep.py``): no kernel, no framework.

A check's calls are answered the way the kernel answers them, in this process:

* :class:`KernelStandIn` runs the real kernel-side harness (``grader/kernel/inside/harness.py``: decoding the
  request, the ``call`` probe, encoding the raw values) and the real ``model_probes`` and ``layer_probes``,
  over a NumPy adapter in place of the Keras/PyTorch one (tensors are float32 NumPy arrays). The probes of
  labs 04 and 05 build framework models and optimizers, so they are replaced by NumPy stand-ins that follow
  the real probes line by line and return exactly their answer format. What comes back goes through JSON and
  :func:`grader.kernel.probing.decode_value` as it does from a kernel.
* :func:`student` is a correct solution of a lab written in NumPy (float32, as the frameworks compute;
  lab 04's stand-in model backpropagates in float32 with its own code), from the grader's numerics only
  for the built-in layers' forward pass and the weather file reader; models are small NumPy recurrent
  networks (:class:`StandInModel`) whose classes carry the framework's base class name, whose parameters
  have the framework's shapes (two bias vectors in PyTorch and in Keras's GRU) and which behave as the
  contract says (batch-first, masking, dropout in training mode only, state carried and reset, a backward
  direction).
* The "trained" predictors are stand-ins too: lab 03/05 ``predict`` is a linear autoregression fitted on
  the public weather (a real model, no hidden labels); lab 02 ``predict_tracing``/``predict_passfail`` are
  the two LSTMs of the PyTorch reference trained on the public data (their weights in
  ``tests/data/lab02_trained_lstms.npz``) run as stand-in models, which the notebook's namespace holds as
  ``tracing_model`` and ``passfail_model`` (the metric checks require the predictions to be a trained LSTM's
  of the notebook). They show that plan/judge never error and that the trained model passes (and a naive
  predictor fails) on every seed; how good a trained LSTM is, over training seeds, is
  ``benchmarks/calibrate_02.py``'s.
* :func:`variants` are other correct solutions where the contract leaves a choice (Adam instead of SGD, the
  unbiased std, sizes rounded up, a NumPy integer or a Python float returned); they must pass too.
* :func:`wrong_student` replaces one function with a typical bug for one check (:func:`wrong_students` adds
  a few more where a check might catch a bug on some seeds only: logits, Adam with clipnorm, no zero_grad,
  a reset that forgets nothing); the sweep requires the check to fail each on every seed. A new check needs
  its wrong solution here (the sweep says so).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from grader.judging.checks.tracing import MASK_VALUE
from grader.judging.numerics import rnn as num_rnn
from grader.judging.numerics import windowing as num_win
from grader.kernel.inside import source
from grader.kernel.probing import CallResult, _decode_result, encode_inputs

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "assignments"
F32 = np.float32
Namespace = dict[str, Any]


# == the kernel, in this process ======================================================================

# What keras_adapter / torch_adapter define, for NumPy stand-ins (kernel-side source text, run like theirs).
NUMPY_ADAPTER = """
import numpy as np


def to_tensor(array):
    return np.array(array, dtype=np.float32) if array.dtype.kind == "f" else np.array(array)


def to_numpy(value):
    return np.asarray(value)


def describe_layer(layer):
    return layer.describe()


def run_layer(layer, xs):
    return layer(xs)


def count_parameters(model):
    return int(model.count_params())


def run_model(model, x, training=False):
    return model(x, training=training)
"""


class KernelStandIn:
    """The kernel side of :func:`grader.kernel.probing.probe`, run here on a student namespace."""

    def __init__(self, framework: str) -> None:
        self.framework = framework
        self.ns: Namespace = {"__name__": "__grader__"}
        exec(compile(source("harness"), "<grader-harness>", "exec"), self.ns)  # noqa: S102 - the project's own code
        exec(compile(NUMPY_ADAPTER, "<grader-numpy_adapter>", "exec"), self.ns)  # noqa: S102
        exec(compile(_RUN_ONE, "<grader-run_one>", "exec"), self.ns)  # noqa: S102
        for module in ("model_probes", "layer_probes"):
            exec(compile(source(module), f"<grader-{module}>", "exec"), self.ns)  # noqa: S102
        self.ns["PROBES"].update(_STAND_IN_PROBES)

    def answer(self, calls: list[dict[str, Any]], student_ns: Namespace) -> Mapping[str, CallResult]:
        """One result per call id, as :func:`grader.kernel.probing.probe` returns them; a call runs when its result is
        first read (a judge that stops at the first problem never needs the rest)."""
        arrays: dict[str, np.ndarray] = {}
        request = json.loads(json.dumps([encode_inputs(call, arrays) for call in calls]))
        arrays = {key: np.array(value) for key, value in arrays.items()}  # copies, as np.savez/np.load give
        return _Results(self, request, arrays, student_ns)

    def run_one(self, index: int, item: dict[str, Any], arrays: dict, student_ns: Namespace) -> CallResult:
        out: dict[str, np.ndarray] = {}
        entry = self.ns["_run_one"](index, item, student_ns, arrays, out)
        stored = {key: np.array(value) for key, value in out.items()}  # what np.savez/np.load give back
        return _decode_result(json.loads(json.dumps(entry)), stored)


# one call as harness.run_request runs it, compiled as kernel-side code (its frame is not the student's)
_RUN_ONE = """
def _run_one(index, item, ns, arrays, out):
    try:
        return {"ok": True, "value": encode(PROBES[item["probe"]](item, ns, arrays), out, f"c{index}")}
    except KeyboardInterrupt:
        return {"ok": False, "error": {"type": "TimeLimit", "mro": [], "missing": False,
                                       "message": "interrupted: the time limit was reached", "where": ""}}
    except BaseException as exc:
        return {"ok": False, "error": describe_error(exc)}
"""


class _Results(Mapping):
    def __init__(self, kernel: KernelStandIn, request: list[dict[str, Any]], arrays: dict, student_ns: Namespace) -> None:
        self.kernel, self.arrays, self.student_ns = kernel, arrays, student_ns
        self.items = {item["id"]: (index, item) for index, item in enumerate(request)}
        self.done: dict[str, CallResult] = {}

    def __getitem__(self, call_id: str) -> CallResult:
        if call_id not in self.done:
            index, item = self.items[call_id]
            self.done[call_id] = self.kernel.run_one(index, item, self.arrays, self.student_ns)
        return self.done[call_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


# == NumPy models with the frameworks' names and shapes =====================================================

def _fake_class(qualified: str) -> type:
    module, name = qualified.rsplit(".", 1)
    return type(name, (), {"__module__": module, "__qualname__": name})


KERAS_MODEL = _fake_class("keras.src.models.model.Model")
TORCH_MODULE = _fake_class("torch.nn.modules.module.Module")
GATES = {"simple": 1, "rnn": 1, "lstm": 4, "gru": 3}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))  # float32 in, float32 out


class Recurrent:
    """One recurrent layer in PyTorch's weight layout (gates stacked on the first axis), float32."""

    def __init__(self, cell: str, inputs: int, units: int, rng: np.random.Generator, name: str) -> None:
        self.cell, self.units, self.name = cell, units, name
        k, bound = GATES[cell] * units, 1.0 / np.sqrt(units)
        draw = lambda *shape: rng.uniform(-bound, bound, size=shape).astype(F32)  # noqa: E731
        self.w_ih, self.w_hh, self.b_ih, self.b_hh = draw(k, inputs), draw(k, units), draw(k), draw(k)
        self.state: tuple[np.ndarray, np.ndarray] | None = None

    def n_params(self, framework: str) -> int:
        two_biases = framework == "torch" or self.cell == "gru"  # Keras's GRU: reset_after=True
        return self.w_ih.size + self.w_hh.size + self.b_ih.size + (self.b_hh.size if two_biases else 0)

    def parameters(self, prefix: str, suffix: str = "") -> dict[str, np.ndarray]:
        return {f"{prefix}.weight_ih_l0{suffix}": self.w_ih, f"{prefix}.weight_hh_l0{suffix}": self.w_hh,
                f"{prefix}.bias_ih_l0{suffix}": self.b_ih, f"{prefix}.bias_hh_l0{suffix}": self.b_hh}

    def _step(self, zx: np.ndarray, h: np.ndarray, c: np.ndarray, h_in: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = self.units
        zh = h_in @ self.w_hh.T + self.b_hh
        if self.cell in ("simple", "rnn"):
            return np.tanh(zx + zh), c
        if self.cell == "lstm":
            gates = _sigmoid(zx + zh)
            c = gates[:, n:2 * n] * c + gates[:, :n] * np.tanh(zx[:, 2 * n:3 * n] + zh[:, 2 * n:3 * n])
            return gates[:, 3 * n:] * np.tanh(c), c
        gates = _sigmoid(zx[:, :2 * n] + zh[:, :2 * n])
        r, u = gates[:, :n], gates[:, n:]
        candidate = np.tanh(zx[:, 2 * n:] + r * zh[:, 2 * n:])
        return (1 - u) * candidate + u * h, c

    def run(self, x: np.ndarray, masked: np.ndarray | None = None, in_mask: np.ndarray | None = None,
            rec_mask: np.ndarray | None = None, carry: bool = False) -> np.ndarray:
        """The output sequence for x (batch, T, m) in float32; a masked step keeps the state (Keras's
        Masking); dropout masks are drawn once per sequence (as Keras's recurrent layers do)."""
        batch, steps, _ = x.shape
        if carry and self.state is not None and self.state[0].shape[0] == batch:
            h, c = self.state
        else:
            h, c = np.zeros((batch, self.units), F32), np.zeros((batch, self.units), F32)
        zx = (x if in_mask is None else x * in_mask[:, None, :]) @ self.w_ih.T + self.b_ih
        outputs = []
        for t in range(steps):
            h_new, c_new = self._step(zx[:, t], h, c, h if rec_mask is None else h * rec_mask)
            if masked is not None:
                keep = masked[:, t][:, None]
                h_new, c_new = np.where(keep, h, h_new), np.where(keep, c, c_new)
            h, c = h_new, c_new
            outputs.append(h)
        if carry:
            self.state = (h, c)
        return np.stack(outputs, axis=1)

    def reset_state(self) -> None:
        self.state = None


class StandInModel:
    """A stack of recurrent layers and a dense head of one output, as the labs' factories build them."""

    def __init__(self, framework: str, n_features: int, layers: list[tuple[str, int]], rng: np.random.Generator,
                 *, per_step: bool = False, sigmoid: bool = False, masking: bool = False, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, stateful: bool = False, bidirectional: bool = False,
                 batch_first: bool = True, l1: float = 0.0, l2: float = 0.0, sequences_between: bool = True) -> None:
        self.framework, self.rng = framework, rng
        self.per_step, self.sigmoid, self.masking = per_step, sigmoid, masking
        self.dropout, self.recurrent_dropout, self.stateful = dropout, recurrent_dropout, stateful
        self.batch_first, self.l1, self.l2, self.sequences_between = batch_first, l1, l2, sequences_between
        self.directions: list[list[Recurrent]] = []
        inputs = n_features
        for index, (cell, units) in enumerate(layers):
            count = 2 if bidirectional else 1
            self.directions.append([Recurrent(cell, inputs, units, rng, f"{cell}_{index}" + ("_reverse" * d))
                                    for d in range(count)])
            inputs = units * count
        self.head_w = rng.uniform(-0.5, 0.5, size=(1, inputs)).astype(F32)
        self.head_b = rng.uniform(-0.1, 0.1, size=1).astype(F32)
        self.training = False
        self.trace: list[dict[str, Any]] = []
        self.firsts: dict[str, np.ndarray] = {}
        self.losses: list[float] = []
        self.rows: dict[bytes, np.ndarray] = {}

    # -- what the probes look at --
    @property
    def layers(self) -> list[Recurrent]:
        return [layer for group in self.directions for layer in group]

    def count_params(self) -> int:
        return sum(layer.n_params(self.framework) for layer in self.layers) + self.head_w.size + self.head_b.size

    def named_parameters(self) -> dict[str, np.ndarray]:
        named: dict[str, np.ndarray] = {}
        for index, group in enumerate(self.directions):
            for direction, layer in enumerate(group):
                named.update(layer.parameters(f"rnns.{index}", "_reverse" if direction else ""))
        named.update({"head.weight": self.head_w, "head.bias": self.head_b})
        return named

    def reset_state(self) -> None:
        for layer in self.layers:
            layer.reset_state()

    # -- the forward pass --
    def _masks(self, batch: int, size: int, rate: float) -> np.ndarray | None:
        if not self.training or rate <= 0:
            return None
        return ((self.rng.random((batch, size)) >= rate) / (1.0 - rate)).astype(F32)

    def __call__(self, x: Any, training: bool = False) -> np.ndarray:
        self.training = bool(training)
        x = np.asarray(x, dtype=F32)
        # each row of a batch-first, stateless model in inference mode is computed on its own: one example
        # already seen in a batch gets its row back (the model_outputs probe runs a batch, then its examples)
        remember = self.batch_first and not self.stateful and not self.training
        if remember and len(x) == 1 and x.tobytes() in self.rows:
            return self.rows[x.tobytes()][None]
        out = self._forward(x)
        if remember:
            self.rows.update((row.tobytes(), value) for row, value in zip(x, out, strict=True))
        return out

    def _forward(self, x: np.ndarray) -> np.ndarray:
        if not self.batch_first:  # a recurrence across the examples of the batch (PyTorch's default layout)
            x = x.transpose(1, 0, 2)
        masked = np.all(x == MASK_VALUE, axis=-1) if self.masking else None
        self.trace, self.firsts = [], {}
        sequence = x
        for index, group in enumerate(self.directions):
            self.trace.append({"layer": f"rnns.{index}", "steps": int(sequence.shape[1])})
            outs = []
            for direction, layer in enumerate(group):
                seq_in = sequence[:, ::-1] if direction else sequence
                mask_in = masked[:, ::-1] if (direction and masked is not None) else masked
                out = layer.run(seq_in, mask_in, self._masks(len(x), seq_in.shape[-1], self.dropout),
                                self._masks(len(x), layer.units, self.recurrent_dropout), carry=self.stateful)
                if self.framework == "keras":  # the probe clones each direction: its first processed step
                    self.firsts[layer.name] = out[:, 0]
                outs.append(out[:, ::-1] if direction else out)
            sequence = np.concatenate(outs, axis=-1)
            if self.framework == "torch":  # the probe hooks each nn.GRU: its output sequence at t = 0
                self.firsts[f"rnns.{index}"] = sequence[:, 0]
            if not self.sequences_between and index < len(self.directions) - 1:
                sequence = sequence[:, -1:]  # the bug: the next layer gets the last state only
        self.losses = [float(F32(self.l1) * np.abs(layer.w_ih).sum() + F32(self.l2) * np.square(layer.w_ih).sum())
                       for layer in self.layers if self.l1 or self.l2]
        if not self.batch_first:
            sequence = sequence.transpose(1, 0, 2)
        last = sequence if self.per_step else sequence[:, -1]
        out = (last @ self.head_w.T + self.head_b).astype(F32)
        return _sigmoid(out) if self.sigmoid else out

    # torch-style mode switches
    def train(self, mode: bool = True) -> StandInModel:
        self.training = mode
        return self

    def eval(self) -> StandInModel:
        return self.train(False)


def _model_class(framework: str) -> type:
    base = KERAS_MODEL if framework == "keras" else TORCH_MODULE
    return type("Regressor", (StandInModel, base), {"__module__": "__main__", "__qualname__": "Regressor"})


def build(framework: str, rng: np.random.Generator, n_features: int, layers: list[tuple[str, int]],
          **options: Any) -> StandInModel:
    return _model_class(framework)(framework, n_features, layers, rng, **options)


# == probes that need a framework, in NumPy ==================================================================

def _rnn32(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The states of the lab 04 RNN in float32, as the frameworks compute them: (batch, T, n)."""
    h = np.zeros((x.shape[0], params["weight_hh"].shape[0]), F32)
    states = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ params["weight_ih"].T + params["bias_ih"] + h @ params["weight_hh"].T + params["bias_hh"])
        states.append(h)
    return np.stack(states, axis=1)


def _backward32(params: dict[str, np.ndarray], x: np.ndarray, d_out: np.ndarray,
                many_to_many: bool) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Backpropagation through time in float32 (written apart from the grader's float64 numerics)."""
    states = _rnn32(params, x)
    d_states = np.zeros_like(states)
    if many_to_many:
        d_states += d_out @ params["weight_out"]
        grads = {"weight_out": np.einsum("bto,btn->on", d_out, states), "bias_out": d_out.sum(axis=(0, 1))}
    else:
        d_states[:, -1] += d_out @ params["weight_out"]
        grads = {"weight_out": d_out.T @ states[:, -1], "bias_out": d_out.sum(axis=0)}
    for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        grads[key] = np.zeros_like(params[key])
    d_x = np.zeros_like(x)
    carry = np.zeros_like(states[:, 0])
    for t in reversed(range(x.shape[1])):
        d_pre = (d_states[:, t] + carry) * (1 - states[:, t] ** 2)
        grads["weight_ih"] += d_pre.T @ x[:, t]
        if t:
            grads["weight_hh"] += d_pre.T @ states[:, t - 1]
        grads["bias_ih"] += d_pre.sum(axis=0)
        grads["bias_hh"] += d_pre.sum(axis=0)
        d_x[:, t] = d_pre @ params["weight_ih"]
        carry = d_pre @ params["weight_hh"]
    return {key: value.astype(F32) for key, value in grads.items()}, d_x.astype(F32)


def _outputs32(params: dict[str, np.ndarray], x: np.ndarray, many_to_many: bool) -> np.ndarray:
    states = _rnn32(params, x)
    return (states if many_to_many else states[:, -1]) @ params["weight_out"].T + params["bias_out"]


class RNNRegressorStandIn:
    """The lab 04 probe's model (vanilla RNN + linear head, PyTorch parameter names) with a float32 autograd."""

    def __init__(self, params: dict[str, Any], many_to_many: bool) -> None:
        self.params = {key: np.array(value, dtype=F32) for key, value in params.items()}
        self.many_to_many = many_to_many
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}

    def __call__(self, x: np.ndarray) -> dict[str, Any]:
        x = np.asarray(x, F32)
        return {"model": self, "x": x, "value": _outputs32(self.params, x, self.many_to_many)}

    def parameters(self) -> RNNRegressorStandIn:
        return self

    def input_gradient(self, x: np.ndarray) -> np.ndarray:
        """∂(Σ outputs)/∂x, as autograd gives it."""
        x = np.asarray(x, F32)
        out = _outputs32(self.params, x, self.many_to_many)
        return _backward32(self.params, x, np.ones_like(out), self.many_to_many)[1]


class LossStandIn:
    def __init__(self, output: dict[str, Any], y: np.ndarray) -> None:
        self.model, self.x, self.y = output["model"], output["x"], np.asarray(y, F32)
        self.value = np.mean(np.square(output["value"] - self.y.reshape(output["value"].shape)))

    def backward(self) -> None:
        out = _outputs32(self.model.params, self.x, False)
        diff = out - self.y.reshape(out.shape)
        grads, _ = _backward32(self.model.params, self.x, F32(2.0) * diff / F32(diff.size), False)
        for key, grad in grads.items():
            self.model.grads[key] = self.model.grads[key] + grad

    def item(self) -> float:
        return float(self.value)


class SGDStandIn:
    """``torch.optim.SGD``: zero_grad and step on the model's parameters."""

    def __init__(self, model: RNNRegressorStandIn, lr: float) -> None:
        self.model, self.lr = model, F32(lr)

    def zero_grad(self) -> None:
        self.model.grads = {key: np.zeros_like(value) for key, value in self.model.params.items()}

    def step(self) -> None:
        for key in self.model.params:
            self.model.params[key] = (self.model.params[key] - self.lr * self.model.grads[key]).astype(F32)


def clip_grad_norm_(parameters: RNNRegressorStandIn, max_norm: float) -> np.ndarray:
    """``torch.nn.utils.clip_grad_norm_``: the coefficient max_norm / (‖g‖ + 1e-6), at most 1."""
    grads = parameters.grads
    total = F32(np.sqrt(sum(np.sum(np.square(g, dtype=F32)) for g in grads.values())))
    coefficient = min(float(max_norm) / (float(total) + 1e-6), 1.0)
    for key in grads:
        grads[key] = (grads[key] * F32(coefficient)).astype(F32)
    return np.asarray(total)


class KerasVariableStandIn:
    def __init__(self, value: np.ndarray) -> None:
        self.value = np.array(value, dtype=F32)


class KerasSGDStandIn:
    """``keras.optimizers.SGD`` with ``global_clipnorm``/``clipnorm``, as Keras 3 clips."""

    def __init__(self, learning_rate: float, global_clipnorm: float | None = None, clipnorm: float | None = None) -> None:
        self.learning_rate, self.global_clipnorm, self.clipnorm = F32(learning_rate), global_clipnorm, clipnorm

    def clip(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        if self.global_clipnorm is not None:
            norm, limit = F32(np.sqrt(sum(np.sum(np.square(g)) for g in grads))), F32(self.global_clipnorm)
            grads = [g * limit / max(norm, limit) for g in grads]
        if self.clipnorm is not None:
            limit = F32(self.clipnorm)
            grads = [g * limit / max(F32(np.sqrt(np.sum(np.square(g)))), limit) for g in grads]
        return grads

    def apply_gradients(self, pairs: Any) -> None:
        pairs = list(pairs)
        for grad, (_, variable) in zip(self.clip([np.asarray(g, F32) for g, _ in pairs]), pairs, strict=True):
            variable.value = (variable.value - self.learning_rate * grad).astype(F32)


class KerasAdamStandIn(KerasSGDStandIn):
    """``keras.optimizers.Adam`` (Keras 3's update rule) with the same clipping."""

    def __init__(self, learning_rate: float, global_clipnorm: float | None = None, clipnorm: float | None = None) -> None:
        super().__init__(learning_rate, global_clipnorm, clipnorm)
        self.moments: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.iterations = 0

    def apply_gradients(self, pairs: Any) -> None:
        pairs = list(pairs)
        self.iterations += 1
        b1, b2, eps = F32(0.9), F32(0.999), F32(1e-7)
        alpha = self.learning_rate * np.sqrt(1 - b2 ** self.iterations) / (1 - b1 ** self.iterations)
        for index, (grad, (_, variable)) in enumerate(zip(self.clip([np.asarray(g, F32) for g, _ in pairs]), pairs,
                                                          strict=True)):
            m, v = self.moments.get(index, (np.zeros_like(grad), np.zeros_like(grad)))
            m, v = m + (grad - m) * (1 - b1), v + (np.square(grad) - v) * (1 - b2)
            self.moments[index] = (m, v)
            variable.value = (variable.value - alpha * m / (np.sqrt(v) + eps)).astype(F32)


def _function(ns: Namespace, name: str) -> Callable[..., Any]:
    function = _HARNESS["student_object"](ns, name)
    if not callable(function):
        raise TypeError(f"{name} is not a function")
    return function


def _decode(tree: Any, arrays: dict) -> Any:
    return _HARNESS["decode"](tree, arrays)


def _probe_clip_input_gradients(request: dict, ns: Namespace, arrays: dict) -> Any:
    decode = _decode
    model = RNNRegressorStandIn(decode(request["params"], arrays), bool(request.get("many_to_many", False)))
    return _function(ns, request["function"])(model, decode(request["x"], arrays))


def _probe_clip_train_step(request: dict, ns: Namespace, arrays: dict) -> Any:
    decode = _decode
    function = _function(ns, request["function"])
    model = RNNRegressorStandIn(decode(request["params"], arrays), False)
    optimizer = SGDStandIn(model, float(request["learning_rate"]))
    steps = []
    for step in request["steps"]:
        x, y = decode(step["x"], arrays), decode(step["y"], arrays)
        returned = function(model, optimizer, LossStandIn, x, y, step["max_norm"])
        steps.append({"returned": returned, "params": {key: value.copy() for key, value in model.params.items()}})
    return steps


def _probe_clip_optimizer(request: dict, ns: Namespace, arrays: dict) -> Any:
    decode = _decode
    function = _function(ns, request["function"])
    initial = [np.asarray(value, dtype=F32) for value in decode(request["initial"], arrays)]
    trajectories = []
    for run in request["runs"]:
        optimizer = function(run["learning_rate"], run["max_norm"])
        variables = [KerasVariableStandIn(value.copy()) for value in initial]
        values = []
        for grads in decode(run["grads"], arrays):
            optimizer.apply_gradients(zip([np.asarray(g, F32) for g in grads], variables, strict=True))
            values.append([variable.value.copy() for variable in variables])
        trajectories.append(values)
    return trajectories


def _build_from(request: dict, ns: Namespace) -> Any:
    return _function(ns, request["function"])(*request.get("args", []), **request.get("kwargs", {}))


def _x(request: dict, arrays: dict, key: str = "x") -> np.ndarray:
    return np.asarray(_decode(request[key], arrays), dtype=F32)


class TwoLayerGRUStandIn(StandInModel):
    """The probe's own ``nn.GRU(3, 4, num_layers=2)`` + ``nn.Linear(4, 1)``, named as PyTorch names them."""

    def named_parameters(self) -> dict[str, np.ndarray]:
        named: dict[str, np.ndarray] = {}
        for index, layer in enumerate(self.layers):
            named.update({f"gru.weight_ih_l{index}": layer.w_ih, f"gru.weight_hh_l{index}": layer.w_hh,
                          f"gru.bias_ih_l{index}": layer.b_ih, f"gru.bias_hh_l{index}": layer.b_hh})
        named.update({"head.weight": self.head_w, "head.bias": self.head_b})
        return named


def _probe_improving_penalty(request: dict, ns: Namespace, arrays: dict) -> Any:
    l1, l2 = float(request["l1"]), float(request["l2"])
    if request["framework"] == "torch":
        penalty = _function(ns, request.get("penalty_function", "regularization_penalty"))
        if request.get("module") == "probe":
            model = TwoLayerGRUStandIn("torch", 3, [("gru", 4), ("gru", 4)], np.random.default_rng(int(request["seed"])))
        else:
            model = _build_from(request, ns)
        value = penalty(model, l1, l2)
        return {"penalty": float(value), "parameters": {k: v.copy() for k, v in model.named_parameters().items()}}
    model = _build_from(request, ns)
    model(_x(request, arrays), training=False)
    kernels = {f"{index}:{layer.name}": layer.w_ih.T.copy() for index, layer in enumerate(model.layers)}
    return {"losses": list(model.losses), "kernels": kernels}


def _probe_improving_dropout(request: dict, ns: Namespace, arrays: dict) -> Any:
    model = _build_from(request, ns)
    x = _x(request, arrays)
    return {"inference": [model(x, training=False) for _ in range(2)],
            "training": [model(x, training=True) for _ in range(2)]}


def _probe_improving_stateful(request: dict, ns: Namespace, arrays: dict) -> Any:
    model = _build_from(request, ns)
    x = _x(request, arrays)
    first, second = model(x, training=False), model(x, training=False)
    if request["framework"] == "torch":
        model.reset_state()
        how = "model.reset_state()"
    else:
        for layer in model.layers:
            layer.reset_state()
        how = ", ".join(f"{layer.name}.reset_state()" for layer in model.layers)
    return {"first": first, "second": second, "after_reset": model(x, training=False), "reset": how}


def _probe_improving_stacked(request: dict, ns: Namespace, arrays: dict) -> Any:
    model = _build_from(request, ns)
    output = model(_x(request, arrays), training=False)
    return {"output": output, "layers": list(model.trace)}


def _probe_improving_direction(request: dict, ns: Namespace, arrays: dict) -> Any:
    model = _build_from(request, ns)
    model(_x(request, arrays), training=False)
    firsts = dict(model.firsts)
    model(_x(request, arrays, "x_perturbed"), training=False)
    found = [{"layer": name, "first": firsts[name], "first_perturbed": model.firsts[name]} for name in firsts]
    if request["framework"] == "keras":  # the Keras probe also says which clone reads backwards
        for entry in found:
            entry["go_backwards"] = entry["layer"].endswith("_reverse")
    return found


_HARNESS: Namespace = {}  # the harness's own functions (decode, student_object), set by kernel()
_STAND_IN_PROBES = {
    "clip_input_gradients": _probe_clip_input_gradients,
    "clip_train_step": _probe_clip_train_step,
    "clip_optimizer": _probe_clip_optimizer,
    "improving_penalty": _probe_improving_penalty,
    "improving_dropout": _probe_improving_dropout,
    "improving_stateful": _probe_improving_stateful,
    "improving_stacked": _probe_improving_stacked,
    "improving_direction": _probe_improving_direction,
}


@lru_cache(maxsize=2)
def kernel(framework: str) -> KernelStandIn:
    stand_in = KernelStandIn(framework)
    _HARNESS.setdefault("decode", stand_in.ns["decode"])
    _HARNESS.setdefault("student_object", stand_in.ns["student_object"])
    return stand_in


# == lab 01 ==================================================================================================

def _lab01(framework: str, rng: np.random.Generator) -> Namespace:
    ns: Namespace = {}

    def affine(x: np.ndarray, h: np.ndarray, p: dict, gate: str) -> np.ndarray:
        return x @ p[f"W_{gate}x"].T + h @ p[f"W_{gate}h"].T + p[f"b_{gate}"]

    def rnn_step(x_t, h_prev, p):
        return np.tanh(affine(x_t, h_prev, p, "h"))

    def lstm_step(x_t, h_prev, c_prev, p):
        f, i, o = (_sigmoid(affine(x_t, h_prev, p, g)) for g in "fio")
        c = f * c_prev + i * np.tanh(affine(x_t, h_prev, p, "c"))
        return o * np.tanh(c), c

    def gru_step(x_t, h_prev, p):
        r, u = _sigmoid(affine(x_t, h_prev, p, "r")), _sigmoid(affine(x_t, h_prev, p, "u"))
        candidate = np.tanh(x_t @ p["W_hx"].T + (r * h_prev) @ p["W_hh"].T + p["b_h"])
        return u * h_prev + (1 - u) * candidate

    def run_sequence(cell, xs, p, return_sequences=True):
        batch, steps, _ = xs.shape
        n = p[num_rnn.PARAM_NAMES[cell][-1]].shape[0]
        h, c, outputs = np.zeros((batch, n), F32), np.zeros((batch, n), F32), []
        for t in range(steps):
            if cell == "lstm":
                h, c = ns["lstm_step"](xs[:, t], h, c, p)
            else:
                h = ns[f"{cell}_step"](xs[:, t], h, p)
            outputs.append(h)
        return np.stack(outputs, axis=1) if return_sequences else h

    def to_builtin(cell, p):
        if framework == "torch" and cell == "gru":
            raise ValueError("nn.GRU applies the reset gate after the matrix product: no weights reproduce the "
                             "lecture's GRU")
        return BuiltinLayerStandIn(framework, cell, p)

    def count_params(cell, n_features, n_units, n_outputs):
        gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
        biases = 2 if framework == "torch" or cell == "gru" else 1
        return gates * (n_units * n_features + n_units * n_units + biases * n_units) + n_outputs * n_units + n_outputs

    ns.update(rnn_step=rnn_step, lstm_step=lstm_step, gru_step=gru_step, run_sequence=run_sequence,
              to_builtin=to_builtin, count_params=count_params)
    return ns


_KERAS_ORDER = {"rnn": ("h",), "lstm": ("i", "f", "c", "o"), "gru": ("u", "r", "h")}
_TORCH_ORDER = {"rnn": ("h",), "lstm": ("i", "f", "c", "o"), "gru": ("r", "u", "h")}
_LAYER_NAMES = {"keras": {"rnn": "keras.src.layers.rnn.simple_rnn.SimpleRNN", "lstm": "keras.src.layers.rnn.lstm.LSTM",
                          "gru": "keras.src.layers.rnn.gru.GRU"},
                "torch": {"rnn": "torch.nn.modules.rnn.RNN", "lstm": "torch.nn.modules.rnn.LSTM",
                          "gru": "torch.nn.modules.rnn.GRU"}}


class BuiltinLayerStandIn:
    """The framework's own layer with its weights set from lecture parameters (``to_builtin``)."""

    def __init__(self, framework: str, cell: str, p: dict, order: dict | None = None, transpose_hh: bool = True,
                 both_biases: bool = False) -> None:
        self.framework, self.cell = framework, cell
        gates = (order or (_KERAS_ORDER if framework == "keras" else _TORCH_ORDER))[cell]
        w_x = np.concatenate([p[f"W_{g}x"] for g in gates])  # (k·n, m)
        w_h = np.concatenate([p[f"W_{g}h"] for g in gates])
        bias = np.concatenate([p[f"b_{g}"] for g in gates])
        if framework == "keras":
            recurrent = w_h.T if transpose_hh else w_h
            self.weights = {"0:kernel": w_x.T.copy(), "1:recurrent_kernel": recurrent.copy(), "2:bias": bias}
        else:
            self.weights = {"weight_ih_l0": w_x, "weight_hh_l0": w_h, "bias_ih_l0": bias,
                            "bias_hh_l0": bias.copy() if both_biases else np.zeros_like(bias)}

    def describe(self) -> dict[str, Any]:
        qualified = _LAYER_NAMES[self.framework][self.cell]
        base = "keras.src.layers.layer.Layer" if self.framework == "keras" else "torch.nn.modules.module.Module"
        config = ({"return_sequences": True, "go_backwards": False, "activation": "tanh"}
                  if self.framework == "keras" else {"batch_first": True, "num_layers": 1, "bidirectional": False})
        if self.framework == "keras" and self.cell == "gru":
            config["reset_after"] = False
        return {"class": qualified, "mro": [qualified, base, "builtins.object"], "config": config,
                "weights": {key: np.asarray(value, F32) for key, value in self.weights.items()}}

    def __call__(self, xs: np.ndarray) -> np.ndarray:
        if self.framework == "keras":
            ordered = [self.weights[key] for key in sorted(self.weights)]
            return num_rnn.keras_layer_forward(self.cell, ordered, xs).astype(F32)
        return num_rnn.torch_layer_forward(self.cell, self.weights, xs).astype(F32)


# == lab 02 ==================================================================================================

TRAINED_LSTMS = ROOT / "tests" / "data" / "lab02_trained_lstms.npz"


@lru_cache(maxsize=2)
def trained_lstms(framework: str) -> dict[str, StandInModel]:
    """The two LSTMs of the PyTorch reference trained with SEED 0 on the public data (weights in
    ``tests/data/lab02_trained_lstms.npz``), as stand-in models of ``framework``: masked weeks skipped, a
    sigmoid head; the tracing model one output per week, the pass/fail model one from weeks 1-5."""
    stored = np.load(TRAINED_LSTMS)
    models = {}
    for name, per_step in (("tracing_model", True), ("passfail_model", False)):
        model = build(framework, np.random.default_rng(0), 15, [("lstm", 32)], per_step=per_step, sigmoid=True,
                      masking=True)
        layer = model.layers[0]
        layer.w_ih, layer.w_hh, layer.b_ih, layer.b_hh = (np.array(stored[f"{name}.{key}"], F32)
                                                          for key in ("w_ih", "w_hh", "b_ih", "b_hh"))
        model.head_w = np.array(stored[f"{name}.head_w"], F32).reshape(1, -1)
        model.head_b = np.array(stored[f"{name}.head_b"], F32).reshape(1)
        models[name] = model
    return models


class _Predictions:
    """The trained model's predictions on an input, computed once per distinct input (the sweep sends the same
    hidden students for every seed)."""

    def __init__(self, name: str, weeks: int) -> None:
        self.name, self.weeks, self.seen = name, weeks, {}

    def __call__(self, x: Any) -> np.ndarray:
        x = np.ascontiguousarray(np.asarray(x, F32)[:, :self.weeks])
        key = zlib.crc32(x.tobytes()), x.shape
        if key not in self.seen:
            if len(self.seen) > 64:
                self.seen.clear()
            out = trained_lstms("torch")[self.name]._forward(x)
            self.seen[key] = out.reshape(len(x), -1) if self.name == "tracing_model" else out.reshape(-1)
        return self.seen[key].copy()


_PASSFAIL = _Predictions("passfail_model", 5)
_PASSFAIL_TEN_WEEKS = _Predictions("passfail_model", 10)
_TRACING = _Predictions("tracing_model", 10)


def _unmasked_term(x: np.ndarray, weeks: int) -> np.ndarray:
    """What an LSTM without Masking adds: a recurrence that reads the −1.0 weeks as values, (N, weeks)."""
    w = np.random.default_rng(7).normal(0, 0.3, size=x.shape[-1]).astype(F32)
    h, out = np.zeros(len(x), F32), []
    for t in range(weeks):
        h = np.tanh(0.6 * h + x[:, t] @ w + 0.5).astype(F32)
        out.append(h)
    return np.stack(out, axis=1)


def predict_passfail_good(x: np.ndarray) -> np.ndarray:
    """The trained pass/fail LSTM on weeks 1-5 of ``x``, (N,)."""
    return _PASSFAIL(x)


def predict_tracing_good(x: np.ndarray) -> np.ndarray:
    """The trained tracing LSTM on ``x``, (N, 10)."""
    return _TRACING(x)


def _probe_trained_lstms(request: dict, ns: Namespace, arrays: dict) -> Any:
    """``trained_lstms`` (tracing_probes.py) on stand-in models: the notebook's models with one LSTM layer, their
    weights in PyTorch's layout with one summed bias."""
    models = []
    for where, value in list(ns.items()):
        if isinstance(value, StandInModel) and [layer.cell for layer in value.layers] == ["lstm"]:
            layer = value.layers[0]
            models.append({"where": where, "class": type(value).__name__, "w_ih": layer.w_ih, "w_hh": layer.w_hh,
                           "bias": layer.b_ih + layer.b_hh, "head_w": value.head_w.reshape(-1),
                           "head_b": value.head_b.reshape(-1), "activation": "", "cell_activation": "tanh",
                           "recurrent_activation": "sigmoid"})
    return {"models": models, "others": []}


_STAND_IN_PROBES["trained_lstms"] = _probe_trained_lstms


@lru_cache(maxsize=1)
def _feature_ranges() -> dict[str, tuple[float, float]]:
    import pandas as pd

    table = pd.read_csv(ASSIGNMENTS / "02-tracing-vs-passfail" / "public" / "mooc_feature_ranges.csv")
    return {str(row.feature): (float(row.min), float(row.max)) for row in table.itertuples()}


def prepare_sequences_numpy(features: Any, quizzes: Any, clip: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The lab's rules written with NumPy indexing (not the grader's pandas reindexing)."""
    ranges = _feature_ranges()
    columns = [c for c in features.columns if c not in ("student_id", "week")]
    students = np.unique(features["student_id"].to_numpy())
    low = np.array([ranges[c][0] for c in columns])
    high = np.array([ranges[c][1] for c in columns])
    x = np.zeros((len(students), 10, len(columns)))
    rows = np.searchsorted(students, features["student_id"].to_numpy())
    weeks = features["week"].to_numpy().astype(int) - 1
    values = (features[columns].to_numpy(np.float64) - low) / (high - low)
    x[rows, weeks] = np.clip(values, 0.0, 1.0) if clip else values
    y = np.full((len(students), 10, 1), MASK_VALUE)
    q_students = quizzes["student_id"].to_numpy()
    score = quizzes["quiz_score"].to_numpy(np.float64)
    keep = np.isin(q_students, students) & ~np.isnan(score)
    y[np.searchsorted(students, q_students[keep]), quizzes["week"].to_numpy().astype(int)[keep] - 1, 0] = score[keep]
    x[y[:, :, 0] == MASK_VALUE] = MASK_VALUE
    return x.astype(F32), y.astype(F32)


def _lab02(framework: str, rng: np.random.Generator) -> Namespace:
    def masked_loss(y_true, y_pred):
        seen = (y_true != MASK_VALUE).astype(F32)
        return F32(np.sum(np.square(y_true - y_pred) * seen) / np.sum(seen))

    def create_tracing_model(n_features, units=32, dropout=0.1):
        return build(framework, rng, n_features, [("lstm", units)], per_step=True, masking=True)

    def create_passfail_model(n_features, n_weeks=5, units=32, dropout=0.1):
        return build(framework, rng, n_features, [("lstm", units)], sigmoid=True, masking=True)

    return {"prepare_sequences": prepare_sequences_numpy, "masked_loss": masked_loss,
            "create_tracing_model": create_tracing_model, "create_passfail_model": create_passfail_model,
            **trained_lstms(framework),
            "predict_tracing": predict_tracing_good, "predict_passfail": predict_passfail_good}


# == labs 03 and 05 ==========================================================================================

@lru_cache(maxsize=1)
def _autoregression() -> np.ndarray:
    """A linear forecast of the next hour from the 24 hours of every feature, least squares on the public year."""
    data = num_win.read_weather(ASSIGNMENTS / "03-windowing-forecast" / "public" / "weather_public.csv")
    x, y = num_win.make_windows(data, 24)
    design = np.c_[x.reshape(len(x), -1), np.ones(len(x))].astype(np.float64)
    return np.linalg.lstsq(design, y.astype(np.float64), rcond=None)[0]


def predict_forecast(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return (np.c_[x.reshape(len(x), -1), np.ones(len(x))] @ _autoregression()).astype(F32)


def make_windows_loop(data, seq_len, target_shift=1, step_shift=1, target_col=0):
    data = np.asarray(data)
    starts = list(range(0, len(data) - seq_len - target_shift + 1, step_shift))
    if not starts:
        return np.zeros((0, seq_len, data.shape[1]), data.dtype), np.zeros((0,), data.dtype)
    X = np.stack([data[s:s + seq_len] for s in starts])
    return X, np.array([data[s + seq_len - 1 + target_shift, target_col] for s in starts])


def _lab03(framework: str, rng: np.random.Generator) -> Namespace:
    def reshape_windows(data, seq_len):
        n = len(data) // seq_len
        return np.asarray(data)[:n * seq_len].reshape(n, seq_len, data.shape[1])

    def split_chronological(X, y, train=0.64, val=0.16):
        a = int(len(X) * train)
        b = a + int(len(X) * val)
        return (X[:a], y[:a]), (X[a:b], y[a:b]), (X[b:], y[b:])

    def standardize(train, *others):
        flat = train.reshape(-1, train.shape[-1])
        mean, std = flat.mean(axis=0), flat.std(axis=0)
        return (*((a - mean) / std for a in (train, *others)), (mean, std))

    def naive_forecast(X, target_col=0):
        return X[:, -1, target_col]

    def build_simple_rnn(seq_len, n_features, units=16):
        return build(framework, rng, n_features, [("simple", units)])

    def build_gru(seq_len, n_features, units=16):
        return build(framework, rng, n_features, [("gru", units)])

    return {"make_windows": make_windows_loop, "reshape_windows": reshape_windows,
            "split_chronological": split_chronological, "standardize": standardize, "naive_forecast": naive_forecast,
            "build_simple_rnn": build_simple_rnn, "build_gru": build_gru, "predict": predict_forecast}


def _lab05(framework: str, rng: np.random.Generator) -> Namespace:
    def build_regularized_gru(seq_len, n_features, units, l1=0.0, l2=0.0, dropout=0.0, recurrent_dropout=0.0):
        return build(framework, rng, n_features, [("gru", units)], l1=l1, l2=l2, dropout=dropout,
                     recurrent_dropout=recurrent_dropout)

    def build_stacked_gru(seq_len, n_features, units=(32, 16)):
        return build(framework, rng, n_features, [("gru", u) for u in units])

    def build_stateful_gru(batch_size, seq_len, n_features, units):
        return build(framework, rng, n_features, [("gru", units)], stateful=True)

    def build_bidirectional_gru(seq_len, n_features, units):
        return build(framework, rng, n_features, [("gru", units)], bidirectional=True)

    def regularization_penalty(model, l1, l2):
        covered = [w for name, w in model.named_parameters().items() if name.rsplit(".", 1)[-1].startswith("weight_ih")]
        return F32(sum(F32(l1) * np.abs(w).sum() + F32(l2) * np.square(w).sum() for w in covered))

    return {"build_regularized_gru": build_regularized_gru, "build_stacked_gru": build_stacked_gru,
            "build_stateful_gru": build_stateful_gru, "build_bidirectional_gru": build_bidirectional_gru,
            "regularization_penalty": regularization_penalty, "predict": predict_forecast}


# == lab 04 ==================================================================================================

def _lab04(framework: str, rng: np.random.Generator) -> Namespace:
    def global_norm(grads):
        return F32(np.sqrt(sum(np.sum(np.square(np.asarray(g, F32))) for g in grads)))

    def clip_by_global_norm(grads, max_norm):
        norm = global_norm(grads)
        if norm <= max_norm:
            return list(grads)
        return [g * F32(max_norm / norm) for g in grads]

    def clip_by_value(grads, limit):
        return [np.clip(g, -limit, limit) for g in grads]

    def train_step(model, optimizer, loss_fn, x, y, max_norm):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        return loss.item()

    def make_optimizer(learning_rate, max_norm):
        return KerasSGDStandIn(learning_rate, global_clipnorm=max_norm)

    def input_gradient_norms(model, x):
        return np.sqrt(np.sum(np.square(model.input_gradient(x)), axis=(0, 2)))

    return {"global_norm": global_norm, "clip_by_global_norm": clip_by_global_norm, "clip_by_value": clip_by_value,
            "train_step": train_step, "make_optimizer": make_optimizer, "input_gradient_norms": input_gradient_norms}


# -- lab 06: a text classifier stand-in and a reader of the lab's grammar --------------------------------------

class TextStandIn:
    """Embedding (id 0: padding, masked) -> one recurrent layer, both directions if asked -> sigmoid unit.

    A masked step keeps the state (Keras's mask, PyTorch's packed sequence); each direction's final state goes
    to the head. ``reads_padding`` is the bug: the padding is read as input."""

    def __init__(self, framework: str, vocab_size: int, embed_dim: int, units: int, bidirectional: bool,
                 rng: np.random.Generator, *, reads_padding: bool = False) -> None:
        self.framework, self.reads_padding = framework, reads_padding
        self.table = rng.normal(size=(vocab_size, embed_dim)).astype(F32)
        self.table[0] = 0.0
        self.directions = [Recurrent("lstm", embed_dim, units, rng, f"lstm{'_reverse' * d}")
                           for d in range(2 if bidirectional else 1)]
        self.head_w = rng.uniform(-0.5, 0.5, size=(1, units * len(self.directions))).astype(F32)
        self.head_b = rng.uniform(-0.1, 0.1, size=1).astype(F32)

    def count_params(self) -> int:
        return self.table.size + sum(layer.n_params(self.framework) for layer in self.directions) + \
            self.head_w.size + self.head_b.size

    def __call__(self, x: Any, training: bool = False) -> np.ndarray:
        ids = np.asarray(x).astype(np.int64)
        embedded = self.table[ids]
        masked = None if self.reads_padding else ids == 0
        finals = []
        for direction, layer in enumerate(self.directions):
            seq = embedded[:, ::-1] if direction else embedded
            mask = None if masked is None else (masked[:, ::-1] if direction else masked)
            finals.append(layer.run(seq, mask)[:, -1])
        out = (np.concatenate(finals, axis=-1) @ self.head_w.T + self.head_b).astype(F32)
        return _sigmoid(out)


_POSITIVE = {"good", "great", "excellent", "fun", "lovely", "brilliant", "clever", "moving", "superb", "charming"}
_NEGATIONS = {"not", "never", "hardly"}


def _clause_polarity(tokens: list[str]) -> int:
    """The polarity of a clause of the lab's grammar: its adjective's, flipped by a negation."""
    adjective = next((t for t in tokens if t in _POSITIVE), None)
    positive = adjective is not None
    return int(positive != any(t in _NEGATIONS for t in tokens))


def _read_review(text: str) -> int:
    """The label the grammar gives: the single clause, the clause after "but", the main clause of "although"."""
    tokens = text.lower().split()
    if "but" in tokens:
        return _clause_polarity(tokens[tokens.index("but") + 1:])
    if tokens and tokens[0] == "although":
        return _clause_polarity(tokens[tokens.index(",") + 1:])
    if "although" in tokens:
        return _clause_polarity(tokens[:tokens.index("although")])
    return _clause_polarity(tokens)


def predict_texts_reader(texts: list[str]) -> np.ndarray:
    """A "trained" predictor: the grammar read in order, confident but not certain."""
    return np.array([0.9 if _read_review(t) else 0.1 for t in texts], dtype=F32)


def predict_texts_counts(texts: list[str]) -> np.ndarray:
    """Bag of words: positive when the sentence holds more positive adjectives than negated clauses flip."""
    out = []
    for text in texts:
        tokens = text.lower().split()
        score = sum(t in _POSITIVE for t in tokens) - 0.5 * sum(t in _NEGATIONS for t in tokens)
        out.append(0.7 if score > 0.5 else 0.3)
    return np.array(out, dtype=F32)


def _lab06(framework: str, rng: np.random.Generator) -> Namespace:
    model_class = type("TextClassifier", (TextStandIn, KERAS_MODEL if framework == "keras" else TORCH_MODULE),
                       {"__module__": "__main__", "__qualname__": "TextClassifier"})

    def build_text_classifier(vocab_size, embed_dim, units, bidirectional=False):
        return model_class(framework, vocab_size, embed_dim, units, bidirectional, rng)

    return {"build_text_classifier": build_text_classifier, "predict_texts": predict_texts_reader,
            "_text_model_class": model_class}


def _wrong06(check_id: str, framework: str) -> tuple[str, Callable[[Namespace], None]]:
    if check_id == "classifier":
        def reads_padding(ns: Namespace) -> Callable:
            model_class, rng = ns["_text_model_class"], np.random.default_rng(6)

            def factory(vocab_size, embed_dim, units, bidirectional=False):
                return model_class(framework, vocab_size, embed_dim, units, bidirectional, rng, reads_padding=True)
            return factory
        return "the padding read as input (no mask)", _replace("build_text_classifier", reads_padding)
    if check_id == "accuracy":
        return "a bag-of-words predictor", _replace("predict_texts", lambda ns: predict_texts_counts)
    raise KeyError(f"no wrong solution for check {check_id!r}: add one to tests/sweep_oracles.py")


_LABS = {"01-rnn-cells": _lab01, "02-tracing-vs-passfail": _lab02, "03-windowing-forecast": _lab03,
         "04-gradient-clipping": _lab04, "05-improving-rnns": _lab05, "06-text-classification": _lab06}


def student(lab_id: str, framework: str, seed: int = 0) -> Namespace:
    """A correct solution of the lab (its student API), as the notebook's namespace."""
    return _LABS[lab_id](framework, np.random.default_rng([seed, zlib.crc32(lab_id.encode())]))


# == one typical bug per check =================================================================================

def _factory_bug(lab_id: str, framework: str, function: str, batch_independent: bool) -> tuple[str, Callable]:
    """A model factory with a typical bug: PyTorch's sequence-first default layout, or the units argument ignored."""

    def wrong(ns: Namespace) -> None:
        right = ns[function]

        def factory(*args: Any, **kwargs: Any) -> Any:
            if framework == "torch" and batch_independent:
                model = right(*args, **kwargs)
                model.batch_first = False
                return model
            if "units" in kwargs:
                kwargs["units"] = (32, 16) if isinstance(kwargs["units"], (list, tuple)) else 32
            elif function in ("build_simple_rnn", "build_gru") and len(args) > 2:
                args = (*args[:2], 32)
            return right(*args, **kwargs)

        ns[function] = factory

    said = "batch_first=False (recurrence across the batch)" if framework == "torch" and batch_independent \
        else "the units argument ignored"
    return said, wrong


def _replace(name: str, function: Callable) -> Callable[[Namespace], None]:
    def patch(ns: Namespace) -> None:
        ns[name] = function(ns)

    return patch


def _wrong01(check_id: str, framework: str) -> tuple[str, Callable[[Namespace], None]]:
    if check_id == "rnn-step":
        return "b_h left out", _replace("rnn_step", lambda ns: lambda x, h, p: np.tanh(x @ p["W_hx"].T + h @ p["W_hh"].T))

    if check_id == "lstm-step":
        def no_memory(ns: Namespace) -> Callable:
            right = ns["lstm_step"]
            return lambda x, h, c, p: right(x, h, np.zeros_like(c), p)
        return "c_t ignores c_prev", _replace("lstm_step", no_memory)
    if check_id == "gru-step":
        def swapped(ns: Namespace) -> Callable:
            def step(x, h, p):
                u = _sigmoid(x @ p["W_ux"].T + h @ p["W_uh"].T + p["b_u"])
                r = _sigmoid(x @ p["W_rx"].T + h @ p["W_rh"].T + p["b_r"])
                return (1 - u) * h + u * np.tanh(x @ p["W_hx"].T + (r * h) @ p["W_hh"].T + p["b_h"])
            return step
        return "update gate swapped", _replace("gru_step", swapped)
    if check_id.startswith("run-sequence"):
        def first_state(ns: Namespace) -> Callable:
            right = ns["run_sequence"]

            def run(cell, xs, p, return_sequences=True):
                sequence = right(cell, xs, p, True)
                return sequence if return_sequences else sequence[:, 0]
            return run
        return "many-to-one returns the first state", _replace("run_sequence", first_state)
    if check_id.startswith("to-builtin"):
        cell = check_id.rsplit("-", 1)[-1]
        if framework == "torch" and cell == "gru":
            return "returns an nn.GRU-like layer instead of raising", _replace("to_builtin", _returns_gru)
        if cell == "rnn":
            options = {"transpose_hh": False} if framework == "keras" else {"both_biases": True}
            said = "recurrent kernel not transposed" if framework == "keras" else "b_h in both bias_ih and bias_hh"
            return said, _replace("to_builtin", lambda ns: lambda c, p: BuiltinLayerStandIn(framework, c, p, **options))
        lecture_order = {"lstm": ("f", "i", "o", "c"), "gru": ("r", "u", "h"), "rnn": ("h",)}
        return ("the lecture's gate order, not the framework's",
                _replace("to_builtin", lambda ns: lambda c, p: BuiltinLayerStandIn(framework, c, p, lecture_order)))
    if check_id == "count-params":
        def one_bias(ns: Namespace) -> Callable:
            def count(cell, m, n, k):
                return {"rnn": 1, "lstm": 4, "gru": 3}[cell] * (n * m + n * n + n) + k * n + k
            return count
        return "one bias vector per gate block", _replace("count_params", one_bias)
    raise KeyError(f"no wrong solution for check {check_id!r}: add one to tests/sweep_oracles.py")


def _returns_gru(ns: Namespace) -> Callable:
    class GRULayer:
        def describe(self) -> dict[str, Any]:
            return {"class": "torch.nn.modules.rnn.GRU", "mro": ["torch.nn.modules.rnn.GRU", "builtins.object"],
                    "config": {}, "weights": {}}

        def __call__(self, xs: np.ndarray) -> np.ndarray:
            return np.zeros((*xs.shape[:2], 4), F32)

    return lambda cell, p: GRULayer()


def _wrong02(check_id: str, framework: str, params: dict) -> tuple[str, Callable[[Namespace], None]]:
    if check_id == "prepare-sequences":
        return "scaled values not clipped to [0, 1]", _replace(
            "prepare_sequences", lambda ns: lambda f, q: prepare_sequences_numpy(f, q, clip=False))
    if check_id == "masked-loss":
        def all_entries(ns: Namespace) -> Callable:
            return lambda t, p: F32(np.sum(np.square(t - p) * (t != MASK_VALUE)) / t.size)
        return "divided by every entry, not the observed ones", _replace("masked_loss", all_entries)
    if check_id in ("tracing-model", "passfail-model"):
        return _factory_bug("02", framework, params["function"], bool(params.get("batch_independent")))
    if check_id == "tracing-masking":
        return "no Masking: the −1.0 weeks are read as values", _replace(
            "predict_tracing", lambda ns: lambda x: predict_tracing_good(x) + 0.05 * _unmasked_term(np.asarray(x, F32), 10))
    if check_id == "passfail-masking":
        return "no Masking: the −1.0 weeks are read as values", _replace(
            "predict_passfail",
            lambda ns: lambda x: np.clip(predict_passfail_good(x) + 0.05 * _unmasked_term(np.asarray(x, F32), 5)[:, -1], 0, 1))
    if check_id == "passfail-first-5-weeks":
        return "reads all 10 weeks", _replace(
            "predict_passfail",
            lambda ns: lambda x: np.clip(predict_passfail_good(x) + 0.05 * _unmasked_term(np.asarray(x, F32), 10)[:, -1], 0, 1))
    if check_id == "passfail-probabilities":
        return "returns logits", _replace(
            "predict_passfail", lambda ns: lambda x: np.log(predict_passfail_good(x) / (1 - predict_passfail_good(x))))
    if check_id == "tracing-rmse":
        return "a constant 0.67 every week", _replace("predict_tracing", lambda ns: lambda x: np.full(x.shape[:2], 0.67, F32))
    if check_id == "passfail-auc":
        return "noise, unrelated to the inputs", _replace(
            "predict_passfail", lambda ns: lambda x: np.random.default_rng(0).random(len(x)).astype(F32))
    if check_id == "passfail-balanced-accuracy":
        return "probabilities halved: every student predicted to fail", _replace(
            "predict_passfail", lambda ns: lambda x: predict_passfail_good(x) * F32(0.5))
    raise KeyError(f"no wrong solution for check {check_id!r}: add one to tests/sweep_oracles.py")


def _wrong03(check_id: str, framework: str, params: dict) -> tuple[str, Callable[[Namespace], None]]:
    if check_id.startswith("make-windows"):
        def last_row(ns: Namespace) -> Callable:
            def windows(data, seq_len, target_shift=1, step_shift=1, target_col=0):
                X, _ = make_windows_loop(data, seq_len, target_shift, step_shift, target_col)
                starts = np.arange(len(X)) * step_shift
                return X, np.asarray(data)[starts + seq_len - 2 + target_shift, target_col]
            return windows
        return "target one row too early", _replace("make_windows", last_row)
    if check_id == "reshape-windows":
        def padded(ns: Namespace) -> Callable:
            def reshape(data, seq_len):
                n = -(-len(data) // seq_len)
                out = np.zeros((n * seq_len, data.shape[1]), data.dtype)
                out[:len(data)] = data
                return out.reshape(n, seq_len, data.shape[1])
            return reshape
        return "the remainder kept (zero-padded)", _replace("reshape_windows", padded)
    if check_id == "split-chronological":
        def of_rest(ns: Namespace) -> Callable:
            def split(X, y, train=0.64, val=0.16):
                a = int(len(X) * train)
                b = a + int((len(X) - a) * val)
                return (X[:a], y[:a]), (X[a:b], y[a:b]), (X[b:], y[b:])
            return split
        return "validation a fraction of the rest", _replace("split_chronological", of_rest)
    if check_id == "standardize":
        def leaky(ns: Namespace) -> Callable:
            def standardize(train, *others):
                flat = np.concatenate([a.reshape(-1, train.shape[-1]) for a in (train, *others)])
                mean, std = flat.mean(axis=0), flat.std(axis=0)
                return (*((a - mean) / std for a in (train, *others)), (mean, std))
            return standardize
        return "statistics of all the arrays", _replace("standardize", leaky)
    if check_id == "naive-forecast":
        return "target_col ignored", _replace("naive_forecast", lambda ns: lambda X, target_col=0: X[:, -1, 0])
    if check_id in ("build-simple-rnn", "build-gru"):
        return _factory_bug("03", framework, params["function"], bool(params.get("batch_independent")))
    if check_id == "predict-beats-naive":
        return "the naive forecast", _replace("predict", lambda ns: lambda X: X[:, -1, 0])
    raise KeyError(f"no wrong solution for check {check_id!r}: add one to tests/sweep_oracles.py")


def _wrong04(check_id: str, framework: str) -> tuple[str, Callable[[Namespace], None]]:
    if check_id == "global-norm":
        return "sum of the per-tensor norms", _replace(
            "global_norm", lambda ns: lambda grads: F32(sum(np.sqrt(np.sum(np.square(g))) for g in grads)))
    if check_id == "clip-by-global-norm":
        return "each tensor clipped on its own", _replace(
            "clip_by_global_norm",
            lambda ns: lambda grads, u: [g * F32(min(1.0, u / float(np.sqrt(np.sum(np.square(g)))))) for g in grads])
    if check_id == "clip-below-threshold":
        return "always rescaled to max_norm", _replace(
            "clip_by_global_norm", lambda ns: lambda grads, u: [g * F32(u / ns["global_norm"](grads)) for g in grads])
    if check_id == "clip-by-value":
        return "only the upper limit", _replace("clip_by_value", lambda ns: lambda grads, limit: [np.minimum(g, limit) for g in grads])
    if check_id == "train-step-clips":
        def late(ns: Namespace) -> Callable:
            def step(model, optimizer, loss_fn, x, y, max_norm):
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                clip_grad_norm_(model.parameters(), max_norm)
                return loss.item()
            return step
        return "clipped after optimizer.step()", _replace("train_step", late)
    if check_id == "train-step-loss":
        def norm(ns: Namespace) -> Callable:
            def step(model, optimizer, loss_fn, x, y, max_norm):
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                total = clip_grad_norm_(model.parameters(), max_norm)
                optimizer.step()
                return float(total)
            return step
        return "returns clip_grad_norm_'s norm", _replace("train_step", norm)
    if check_id == "make-optimizer-clips":
        return "clipnorm (per variable)", _replace("make_optimizer", lambda ns: lambda lr, u: KerasSGDStandIn(lr, clipnorm=u))
    if check_id == "make-optimizer-learning-rate":
        return "learning rate fixed at 0.01", _replace(
            "make_optimizer", lambda ns: lambda lr, u: KerasSGDStandIn(0.01, global_clipnorm=u))
    if check_id == "input-gradient-norms":
        return "time order reversed", _replace(
            "input_gradient_norms", lambda ns: lambda model, x: np.sqrt(np.sum(np.square(model.input_gradient(x)), axis=(0, 2)))[::-1])
    raise KeyError(f"no wrong solution for check {check_id!r}: add one to tests/sweep_oracles.py")


def _wrong05(check_id: str, framework: str, params: dict) -> tuple[str, Callable[[Namespace], None]]:
    if check_id == "bidirectional-shapes" or check_id == "bidirectional-reads-backwards":
        def forwards(ns: Namespace) -> Callable:
            return lambda seq_len, n_features, units: build(framework, np.random.default_rng(0), n_features, [("gru", units)])
        return "one direction only", _replace("build_bidirectional_gru", forwards)
    if check_id in ("regularized-gru-shapes", "stacked-gru-shapes", "stateful-shapes"):
        return _factory_bug("05", framework, params["function"], bool(params.get("batch_independent")))
    if check_id == "penalty-in-loss":
        if framework == "torch":
            def everything(ns: Namespace) -> Callable:
                return lambda model, l1, l2: F32(sum(F32(l1) * np.abs(w).sum() + F32(l2) * np.square(w).sum()
                                                     for w in model.named_parameters().values()))
            return "every parameter penalised", _replace("regularization_penalty", everything)

        def swapped(ns: Namespace) -> Callable:
            right = ns["build_regularized_gru"]
            return lambda seq_len, n_features, units, l1=0.0, l2=0.0, **kw: right(seq_len, n_features, units, l1=l2, l2=l1, **kw)
        return "l1 and l2 swapped", _replace("build_regularized_gru", swapped)
    if check_id == "dropout-training-only":
        def always(ns: Namespace) -> Callable:
            right = ns["build_regularized_gru"]

            def factory(*args: Any, **kwargs: Any) -> Any:
                model = right(*args, **kwargs)
                call = model.__call__
                model.__class__ = type("AlwaysDropout", (model.__class__,),
                                       {"__call__": lambda self, x, training=False: call(x, training=True)})
                return model
            return factory
        return "dropout at inference too", _replace("build_regularized_gru", always)
    if check_id == "stacked-returns-sequences":
        def last_only(ns: Namespace) -> Callable:
            return lambda seq_len, n_features, units=(32, 16): build(
                framework, np.random.default_rng(0), n_features, [("gru", u) for u in units], sequences_between=False)
        return "intermediate layers pass on their last state only", _replace("build_stacked_gru", last_only)
    if check_id == "stateful-carries-and-resets":
        def stateless(ns: Namespace) -> Callable:
            return lambda batch_size, seq_len, n_features, units: build(framework, np.random.default_rng(0), n_features,
                                                                        [("gru", units)])
        return "not stateful", _replace("build_stateful_gru", stateless)
    if check_id == "predict-beats-naive":
        return "the naive forecast", _replace("predict", lambda ns: lambda X: X[:, -1, 0])
    raise KeyError(f"no wrong solution for check {check_id!r}: add one to tests/sweep_oracles.py")


# == other correct solutions, where the contract leaves a choice =============================================

def _variant(lab_id: str, framework: str, check_id: str) -> tuple[str, Callable[[Namespace], None]] | None:
    if lab_id == "04-gradient-clipping" and check_id.startswith("make-optimizer"):
        return "Adam instead of SGD", _replace("make_optimizer", lambda ns: lambda lr, u: KerasAdamStandIn(lr, global_clipnorm=u))
    if lab_id == "04-gradient-clipping" and check_id == "global-norm":
        return "a Python float", _replace("global_norm", lambda ns: (lambda right: lambda grads: float(right(grads)))(ns["global_norm"]))
    if lab_id == "03-windowing-forecast" and check_id == "standardize":
        def unbiased(ns: Namespace) -> Callable:
            def standardize(train, *others):
                flat = train.reshape(-1, train.shape[-1])
                mean, std = flat.mean(axis=0), flat.std(axis=0, ddof=1)
                return (*((a - mean) / std for a in (train, *others)), (mean, std))
            return standardize
        return "the unbiased std (ddof=1, PyTorch's default)", _replace("standardize", unbiased)
    if lab_id == "03-windowing-forecast" and check_id == "split-chronological":
        def rounded_up(ns: Namespace) -> Callable:
            def split(X, y, train=0.64, val=0.16):
                a = int(np.ceil(len(X) * train))
                b = a + int(np.ceil(len(X) * val))
                return (X[:a], y[:a]), (X[a:b], y[a:b]), (X[b:], y[b:])
            return split
        return "sizes rounded up", _replace("split_chronological", rounded_up)
    if lab_id == "03-windowing-forecast" and check_id.startswith("make-windows"):
        def column(ns: Namespace) -> Callable:
            return lambda *args, **kwargs: (lambda X, y: (X, y[:, None]))(*make_windows_loop(*args, **kwargs))
        return "y of shape (n, 1)", _replace("make_windows", column)
    if lab_id == "01-rnn-cells" and check_id == "count-params":
        return "a NumPy integer", _replace("count_params", lambda ns: (lambda right: lambda *a: np.int64(right(*a)))(ns["count_params"]))
    if lab_id == "02-tracing-vs-passfail" and check_id == "masked-loss":
        return "a tensor of shape (1,)", _replace("masked_loss", lambda ns: (lambda right: lambda t, p: np.reshape(right(t, p), (1,)))(ns["masked_loss"]))
    return None


def variants(lab_id: str, framework: str, check_id: str, seed: int = 0) -> list[tuple[str, Namespace]]:
    """Other correct solutions of ``check_id`` (another optimizer, ddof, rounding, return type) that must pass too."""
    found = _variant(lab_id, framework, check_id)
    if found is None:
        return []
    said, patch = found
    ns = student(lab_id, framework, seed)
    patch(ns)
    return [(said, ns)]


def wrong_student(lab_id: str, framework: str, check_id: str, params: dict, seed: int = 0) -> tuple[str, Namespace]:
    """A solution of the lab with one typical bug that ``check_id`` must catch; returns (the bug, namespace)."""
    ns = student(lab_id, framework, seed)
    if lab_id == "01-rnn-cells":
        said, patch = _wrong01(check_id, framework)
    elif lab_id == "02-tracing-vs-passfail":
        said, patch = _wrong02(check_id, framework, params)
    elif lab_id == "03-windowing-forecast":
        said, patch = _wrong03(check_id, framework, params)
    elif lab_id == "04-gradient-clipping":
        said, patch = _wrong04(check_id, framework)
    elif lab_id == "05-improving-rnns":
        said, patch = _wrong05(check_id, framework, params)
    elif lab_id == "06-text-classification":
        said, patch = _wrong06(check_id, framework)
    else:
        raise KeyError(f"no stand-in students for lab {lab_id}: add them to tests/sweep_oracles.py")
    patch(ns)
    return said, ns


def _more_wrongs(lab_id: str, framework: str, check_id: str) -> list[tuple[str, Callable[[Namespace], None]]]:
    """Further typical bugs for some checks, where a check could catch a bug on some seeds only."""
    found: list[tuple[str, Callable[[Namespace], None]]] = []
    if lab_id == "02-tracing-vs-passfail" and check_id == "passfail-model":
        def logits(ns: Namespace) -> Callable:
            right = ns["create_passfail_model"]

            def factory(*args: Any, **kwargs: Any) -> Any:
                model = right(*args, **kwargs)
                model.sigmoid = False
                return model
            return factory
        found.append(("no sigmoid on the output", _replace("create_passfail_model", logits)))
    if lab_id == "02-tracing-vs-passfail" and check_id == "tracing-rmse":
        def both_ways(ns: Namespace) -> Callable:
            def predict(x):
                x = np.asarray(x, F32)
                return F32(0.7) * predict_tracing_good(x) + F32(0.3) * predict_tracing_good(x[:, ::-1])[:, ::-1]
            return predict
        found.append(("the trained model also run backwards over the weeks (reads the future)",
                      _replace("predict_tracing", both_ways)))
    if lab_id == "02-tracing-vs-passfail" and check_id in ("passfail-auc", "passfail-balanced-accuracy"):
        found.append(("the trained pass/fail model run on all 10 weeks (reads the future)",
                      _replace("predict_passfail", lambda ns: _PASSFAIL_TEN_WEEKS)))
    if lab_id == "04-gradient-clipping" and check_id == "make-optimizer-clips":
        found.append(("Adam with clipnorm (per variable)", _replace(
            "make_optimizer", lambda ns: lambda lr, u: KerasAdamStandIn(lr, clipnorm=u))))
    if lab_id == "04-gradient-clipping" and check_id == "train-step-clips":
        def accumulates(ns: Namespace) -> Callable:
            def step(model, optimizer, loss_fn, x, y, max_norm):
                loss = loss_fn(model(x), y)
                loss.backward()
                clip_grad_norm_(model.parameters(), max_norm)
                optimizer.step()
                return loss.item()
            return step
        found.append(("no optimizer.zero_grad()", _replace("train_step", accumulates)))
    if lab_id == "05-improving-rnns" and check_id == "stateful-carries-and-resets":
        def no_reset(ns: Namespace) -> Callable:
            right = ns["build_stateful_gru"]

            def factory(*args: Any, **kwargs: Any) -> Any:
                model = right(*args, **kwargs)
                for layer in model.layers:
                    layer.reset_state = lambda: None
                model.reset_state = lambda: None
                return model
            return factory
        found.append(("a reset that forgets nothing", _replace("build_stateful_gru", no_reset)))
    return found


def wrong_students(lab_id: str, framework: str, check_id: str, params: dict, seed: int = 0) -> list[tuple[str, Namespace]]:
    """Every wrong solution ``check_id`` must fail: :func:`wrong_student`'s, then any further ones."""
    found = [wrong_student(lab_id, framework, check_id, params, seed)]
    for said, patch in _more_wrongs(lab_id, framework, check_id):
        ns = student(lab_id, framework, seed)
        patch(ns)
        found.append((said, ns))
    return found
