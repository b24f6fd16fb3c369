"""Check kinds of lab 04: global norms, clipping by norm and by value, clipping inside training, and
input-gradient norms over time (backpropagation through time).

Every expected value comes from the grader's own NumPy code (:mod:`grader.judging.numerics.clipping`): the
gradients of the small RNN the kernel builds are computed here by backpropagation through time, and
an optimizer is judged by what it does to gradients the grader feeds it.
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
    compare,
    matches,
    require_ok,
    run_judge,
)
from grader.judging.numerics import clipping as num
from grader.kernel.probing import CallResult, Opaque

_F32 = np.float32
_RTOL = 1e-5


# -- lists of gradients -----------------------------------------------------------------------------

def _random_shape(rng: np.random.Generator) -> tuple[int, ...]:
    rank = int(rng.integers(1, 5))
    return tuple(int(d) for d in rng.integers(1, 6, size=rank))


def _random_list(rng: np.random.Generator, count: int, norm: float, spread: bool = True) -> list[np.ndarray]:
    """``count`` tensors of random shapes whose global norm is ``norm`` (tensors of unequal norms if spread)."""
    tensors = [rng.normal(size=_random_shape(rng)) * (10.0 ** rng.uniform(-1, 1) if spread else 1.0)
               for _ in range(count)]
    scale = norm / num.global_norm(tensors)
    return [(t * scale).astype(_F32) for t in tensors]


def _equal_norm_list(rng: np.random.Generator, count: int, norm: float) -> list[np.ndarray]:
    tensors = [rng.normal(size=_random_shape(rng)) for _ in range(count)]
    each = norm / np.sqrt(count)
    return [(t * each / num.global_norm([t])).astype(_F32) for t in tensors]


def _describe_list(grads: list[np.ndarray]) -> str:
    shapes = ", ".join(str(tuple(g.shape)) for g in grads)
    return f"{len(grads)} tensor{'s' if len(grads) != 1 else ''} of shapes [{shapes}]"


def _as_scalar(value: Any, what: str) -> float:
    if isinstance(value, (bool, str, Opaque, dict)) or value is None:
        raise Failed(f"{what} returned {_kind_of(value)}; expected a number")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (list, tuple)):
        raise Failed(f"{what} returned a {type(value).__name__} of {len(value)} values; expected one number "
                     "(the norm of all the tensors taken together, not one norm per tensor)")
    array = np.asarray(value)
    if array.dtype.kind not in "iuf" or array.size != 1:
        raise Failed(f"{what} returned an array of shape {tuple(array.shape)}; expected one number"
                     + (" (one norm over the whole list, not one per tensor)" if array.size > 1 else ""))
    return float(array.reshape(-1)[0])


def _kind_of(value: Any) -> str:
    if isinstance(value, Opaque):
        return f"a {value.type_name}"
    return f"a {type(value).__name__}" if value is not None else "None"


def _as_list(value: Any, grads: list[np.ndarray], what: str) -> list[np.ndarray]:
    if not isinstance(value, (list, tuple)):
        raise Failed(f"{what} returned {_kind_of(value)}; expected a list of {len(grads)} tensors")
    if len(value) != len(grads):
        raise Failed(f"{what} returned {len(value)} tensors; expected {len(grads)}, one per gradient")
    arrays = []
    for index, (item, grad) in enumerate(zip(value, grads, strict=True)):
        array = as_array(item, f"{what}: item {index}").astype(np.float64)
        if array.shape != grad.shape:
            raise Failed(f"{what}: item {index} has shape {tuple(array.shape)}; expected {tuple(grad.shape)} "
                         "(the same shape as the gradient)")
        if not np.all(np.isfinite(array)):
            raise Failed(f"{what}: item {index} contains NaN or infinite values"
                         + (" — the gradients were all zero: guard the division by ‖g‖"
                            if num.global_norm(grads) == 0 else ""))
        arrays.append(array)
    return arrays


def _lists_match(expected: list[np.ndarray], got: list[np.ndarray], scale: float) -> bool:
    atol = 1e-6 * max(scale, 1e-12)
    return all(matches(e, g, atol, _RTOL) for e, g in zip(expected, got, strict=True))


def _list_error(expected: list[np.ndarray], got: list[np.ndarray]) -> str:
    worst = max(range(len(expected)), key=lambda i: float(np.max(np.abs(expected[i] - got[i]), initial=0.0)))
    error = np.abs(expected[worst] - got[worst])
    where = np.unravel_index(int(np.argmax(error)), error.shape) if error.size else ()
    return (f"max abs error {float(error.max(initial=0.0)):.3g} in item {worst}"
            + (f" at index {[int(i) for i in where]}: expected {expected[worst][where]:.6g}, got {got[worst][where]:.6g}"
               if error.size else ""))


class GlobalNorm(CheckKind):
    """``global_norm(grads)``: one Euclidean norm over every entry of every tensor of the list."""

    name = "global_norm"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        lists = [_random_list(ctx.rng, count, float(10.0 ** ctx.rng.uniform(-1, 2))) for count in (1, 2, 3, 4)]
        lists.append(_equal_norm_list(ctx.rng, 3, 2.0))
        lists.append([np.zeros((3, 2), _F32), np.zeros((4,), _F32)])
        calls = [{"id": f"list{i}", "probe": "call", "function": "global_norm", "args": [grads]}
                 for i, grads in enumerate(lists)]
        return Plan(calls)

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        def body() -> str:
            for call in plan.calls:
                grads = call["args"][0]
                text = f"global_norm(grads) with {_describe_list(grads)}"
                got = _as_scalar(require_ok(results[call["id"]], text), text)
                expected = num.global_norm(grads)
                if not np.isfinite(got) or abs(got - expected) > 1e-6 + _RTOL * expected:
                    raise Failed(f"{text} returned {got:.6g}; expected {expected:.6g}{self._hint(grads, got)}")
            return f"global_norm is right on {len(plan.calls)} lists of 1 to 4 tensors (all zeros included)"

        return run_judge(body)

    @staticmethod
    def _hint(grads: list[np.ndarray], got: float) -> str:
        norms = [num.global_norm([g]) for g in grads]
        close = lambda value: abs(got - value) <= 1e-6 + 1e-4 * abs(value)  # noqa: E731
        if len(grads) > 1 and close(sum(norms)):
            return (" — that is the sum of the per-tensor norms; the global norm is sqrt(Σ over all tensors of "
                    "Σ g²), every entry of every tensor in one vector")
        if len(grads) > 1 and any(close(n) for n in norms):
            return " — that is the norm of one tensor only; take every tensor of the list into account"
        if close(num.global_norm(grads) ** 2):
            return " — that is the squared norm: take the square root"
        return ""


def _clip_hint(grads: list[np.ndarray], got: list[np.ndarray], max_norm: float) -> str:
    scale = max(num.global_norm(grads), 1e-12)
    if _lists_match([g.astype(np.float64) for g in grads], got, scale):
        return " — the gradients came back unchanged although their global norm is above max_norm"
    if len(grads) > 1 and _lists_match(num.clip_per_tensor(grads, max_norm), got, scale):
        return (" — each tensor was clipped to max_norm on its own; clipping by global norm rescales the whole "
                "list by one factor max_norm/‖g‖, with ‖g‖ the norm of all the tensors together")
    if _lists_match(num.clip_by_value(grads, max_norm), got, scale):
        return (" — every entry was clamped to [-max_norm, max_norm]: that is clipping by value, which changes "
                "the direction; clipping by norm multiplies every entry by max_norm/‖g‖")
    norm = num.global_norm(got)
    flat_g = np.concatenate([g.reshape(-1) for g in grads]).astype(np.float64)
    flat_r = np.concatenate([r.reshape(-1) for r in got])
    cosine = float(flat_g @ flat_r / max(np.linalg.norm(flat_g) * np.linalg.norm(flat_r), 1e-300))
    if abs(norm - max_norm) <= 1e-4 * max_norm and cosine < 1 - 1e-6:
        return f" — the norm is max_norm but the direction changed (cosine {cosine:.4f} with the gradient)"
    return f" — the result has global norm {norm:.6g} (expected {max_norm:.6g}) and cosine {cosine:.4f} with the gradient"


class ClipByGlobalNorm(CheckKind):
    """``clip_by_global_norm(grads, max_norm)``: above the threshold, norm max_norm and the same direction;
    with ``params.below: true``, at or below the threshold the gradients are unchanged (zeros included)."""

    name = "clip_by_global_norm"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        rng = ctx.rng
        cases: list[tuple[list[np.ndarray], float]] = []
        if params.get("below", False):
            for count in (1, 2, 3, 4):
                max_norm = float(rng.uniform(0.5, 5))
                cases.append((_random_list(rng, count, max_norm * float(rng.uniform(0.1, 0.95))), max_norm))
            cases.append((_equal_norm_list(rng, 4, 0.9), 1.0))
            cases.append(([np.zeros((2, 3), _F32), np.zeros((3,), _F32)], 1.0))
        else:
            for count in (1, 2, 3, 4, 3):
                max_norm = float(rng.uniform(0.5, 5))
                cases.append((_random_list(rng, count, max_norm * float(rng.uniform(3, 50))), max_norm))
        calls = [{"id": f"case{i}", "probe": "call", "function": "clip_by_global_norm", "args": [grads, max_norm]}
                 for i, (grads, max_norm) in enumerate(cases)]
        return Plan(calls)

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        below = bool(params.get("below", False))

        def body() -> str:
            for call in plan.calls:
                grads, max_norm = call["args"]
                norm = num.global_norm(grads)
                text = (f"clip_by_global_norm(grads, max_norm={max_norm:.4g}) with {_describe_list(grads)} "
                        f"of global norm {norm:.4g}")
                got = _as_list(require_ok(results[call["id"]], text), grads, text)
                expected = num.clip_by_global_norm(grads, max_norm)
                if _lists_match(expected, got, max(norm, max_norm)):
                    continue
                if norm <= max_norm:
                    got_norm = num.global_norm(got)
                    hint = (" — the gradients were rescaled to norm max_norm although their norm was below it: "
                            "only clip when ‖g‖ > max_norm" if abs(got_norm - max_norm) <= 1e-4 * max_norm else
                            f" (the result has global norm {got_norm:.6g})")
                    raise Failed(f"{text}: below the threshold the gradients must come back unchanged; "
                                 f"{_list_error(expected, got)}{hint}")
                raise Failed(f"{text}: expected the gradients times max_norm/‖g‖ = {max_norm / norm:.4g}; "
                             f"{_list_error(expected, got)}{_clip_hint(grads, got, max_norm)}")
            if below:
                return "below the threshold the gradients come back unchanged (all-zero gradients too, without NaN)"
            return ("above the threshold the list is rescaled as a whole to global norm max_norm, direction kept "
                    f"({len(plan.calls)} lists of 1 to 4 tensors)")

        return run_judge(body)


class ClipByValue(CheckKind):
    """``clip_by_value(grads, limit)``: every entry clamped to [-limit, limit], shapes kept."""

    name = "clip_by_value"

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        rng = ctx.rng
        cases = []
        for count in (1, 2, 3, 4):
            limit = float(rng.uniform(0.2, 2))
            grads = [(rng.normal(size=_random_shape(rng)) * limit * 2).astype(_F32) for _ in range(count)]
            grads[0].reshape(-1)[0] = 3 * limit  # at least one entry above and one below the limits
            grads[-1].reshape(-1)[-1] = -3 * limit
            cases.append((grads, limit))
        cases.append(([(rng.uniform(-0.5, 0.5, size=(3, 2))).astype(_F32)], 1.0))
        calls = [{"id": f"case{i}", "probe": "call", "function": "clip_by_value", "args": [grads, limit]}
                 for i, (grads, limit) in enumerate(cases)]
        return Plan(calls)

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        def body() -> str:
            for call in plan.calls:
                grads, limit = call["args"]
                text = f"clip_by_value(grads, limit={limit:.4g}) with {_describe_list(grads)}"
                got = _as_list(require_ok(results[call["id"]], text), grads, text)
                expected = num.clip_by_value(grads, limit)
                if _lists_match(expected, got, limit):
                    continue
                hint = ""
                scale = max(num.global_norm(grads), limit)
                if _lists_match(num.clip_by_global_norm(grads, limit), got, scale):
                    hint = " — that is clipping by global norm; clipping by value clamps each entry to [-limit, limit]"
                elif _lists_match([np.minimum(g.astype(np.float64), limit) for g in grads], got, scale):
                    hint = " — only the upper limit was applied; entries below -limit must become -limit"
                raise Failed(f"{text}: expected every entry clamped to [-{limit:.4g}, {limit:.4g}]; "
                             f"{_list_error(expected, got)}{hint}")
            return f"clip_by_value clamps every entry on {len(plan.calls)} lists (shapes kept)"

        return run_judge(body)


# -- clipping inside a training step (PyTorch) -----------------------------------------------------

def _params_from(value: Any, reference: dict[str, np.ndarray], what: str) -> dict[str, np.ndarray]:
    if not isinstance(value, dict) or set(value) != set(reference):
        raise Failed(f"{what}: the model's parameters could not be read back")
    return {key: as_array(value[key], f"{what}: {key}").astype(np.float64) for key in reference}


def _flat(params: dict[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(params[key], dtype=np.float64).reshape(-1) for key in num.RNN_PARAM_NAMES])


class TrainStep(CheckKind):
    """PyTorch ``train_step(model, optimizer, loss_fn, x, y, max_norm)`` on a small RNN the kernel builds
    from the grader's parameters, with ``SGD(lr)`` and ``MSELoss``.

    ``params.judge: update`` — the parameter change equals −lr × the gradient clipped by global norm (the
    grader's own backpropagation through time), on two consecutive batches built to explode and on one
    calm batch; ``params.judge: loss`` — the returned float is the loss before the update.
    """

    name = "train_step"
    kernel_modules = ("clipping_probes",)

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        rng = ctx.rng
        m, n, steps, batch = (int(v) for v in params.get("sizes", (3, 8, 20, 8)))
        lr = float(params.get("learning_rate", 0.5))
        weights = num.random_rnn_params(m, n, rng, recurrent_gain=float(params.get("recurrent_gain", 1.2)))
        target = float(params.get("target", 30.0))

        def batch_for(offset: float) -> tuple[np.ndarray, np.ndarray]:
            x = rng.normal(size=(batch, steps, m)).astype(_F32)
            return x, (offset + rng.normal(size=(batch, 1))).astype(_F32)

        x1, y1 = batch_for(target)
        x2, y2 = batch_for(-target)
        _, grads = num.mse_loss_and_grads(weights, x1, y1)
        max_norm = num.global_norm(list(grads.values())) / float(rng.uniform(10, 40))
        explode = {"id": "explode", "probe": "clip_train_step", "function": "train_step", "params": weights,
                   "learning_rate": lr, "steps": [{"x": x1, "y": y1, "max_norm": max_norm},
                                                  {"x": x2, "y": y2, "max_norm": max_norm}]}
        x3 = rng.normal(size=(batch, steps, m)).astype(_F32)
        y3 = (num.rnn_outputs(weights, x3) + 0.3 * rng.normal(size=(batch, 1))).astype(_F32)
        _, calm_grads = num.mse_loss_and_grads(weights, x3, y3)
        calm_norm = num.global_norm(list(calm_grads.values())) * 3.0
        calm = {"id": "calm", "probe": "clip_train_step", "function": "train_step", "params": weights,
                "learning_rate": lr, "steps": [{"x": x3, "y": y3, "max_norm": calm_norm}]}
        return Plan([explode, calm], {"lr": lr})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        aspect = params.get("judge", "update")
        lr = plan.state["lr"]
        details: dict[str, Any] = {"plot": "clipped_update", "learning_rate": lr, "steps": []} if aspect == "update" else {}

        def body() -> str:
            for call in plan.calls:
                value = require_ok(results[call["id"]], f"train_step(model, optimizer, loss_fn, x, y, max_norm) with "
                                                        f"SGD(lr={lr:g}) and MSELoss")
                if not isinstance(value, (list, tuple)) or len(value) != len(call["steps"]):
                    raise Failed("train_step: the probe could not read the steps back")
                before = {key: np.asarray(v, dtype=np.float64) for key, v in call["params"].items()}
                previous_raw: dict[str, np.ndarray] | None = None
                for index, (step, outcome) in enumerate(zip(call["steps"], value, strict=True)):
                    loss, raw = num.mse_loss_and_grads(before, step["x"], step["y"])
                    norm = num.global_norm(list(raw.values()))
                    text = (f"train_step(model, optimizer, loss_fn, x, y, max_norm={step['max_norm']:.4g}) "
                            f"(call {index + 1} on the same model, SGD(lr={lr:g}), MSELoss, a vanilla RNN; "
                            f"the gradient's global norm is {norm:.4g}, "
                            + (f"{norm / step['max_norm']:.0f}× max_norm)" if norm > step["max_norm"] else
                               "below max_norm)"))
                    if not isinstance(outcome, dict):
                        raise Failed(f"{text}: the probe could not read the step back")
                    after = _params_from(outcome.get("params"), before, text)
                    details.get("steps", []).append({
                        "label": f"{call['id']} call {index + 1}", "gradient_norm": norm, "max_norm": step["max_norm"],
                        "update_norm": _norm(_flat(after) - _flat(before)) / lr, "expected_norm": min(norm, step["max_norm"]),
                    })
                    if aspect == "loss":
                        self._judge_loss(text, outcome.get("returned"), loss, before, after, raw, step)
                    else:
                        self._judge_update(text, before, after, raw, previous_raw, step["max_norm"], lr)
                    before, previous_raw = after, raw
            if aspect == "loss":
                return "train_step returns the batch's loss (before the update) as a float"
            return ("the update applied is −lr × the gradient clipped to max_norm (clipped between backward and "
                    "step; below the threshold unclipped; gradients reset between calls)")

        return run_judge(body, details)

    @staticmethod
    def _judge_update(text: str, before: dict, after: dict, raw: dict, previous_raw: dict | None,
                      max_norm: float, lr: float) -> None:
        names = list(num.RNN_PARAM_NAMES)
        raw_list = [raw[key] for key in names]
        expected = -lr * _flat(dict(zip(names, num.clip_by_global_norm(raw_list, max_norm), strict=True)))
        change = _flat(after) - _flat(before)
        atol = 1e-6 + 2e-4 * lr * max_norm
        if matches(expected, change, atol, 1e-3):
            return

        def like(grads: list[np.ndarray]) -> bool:
            return matches(-lr * np.concatenate([g.reshape(-1) for g in grads]), change, atol, 1e-3)

        hint = ""
        if not np.any(change):
            hint = " — the parameters did not change: call optimizer.step() after clipping"
        elif like(raw_list):
            hint = (" — that is the unclipped gradient: clip with torch.nn.utils.clip_grad_norm_(model.parameters(), "
                    "max_norm) between loss.backward() and optimizer.step() (clipping after the step is too late)")
        elif like(num.clip_per_tensor(raw_list, max_norm)):
            hint = " — each parameter's gradient was clipped on its own; clip the global norm of all of them together"
        elif like(num.clip_by_value(raw_list, max_norm)):
            hint = " — the gradient was clipped by value, not by its global norm"
        elif previous_raw is not None and any(like(num.clip_by_global_norm(
                [raw[key] + previous[key] for key in names], max_norm)) for previous in (
                previous_raw, dict(zip(names, num.clip_by_global_norm([previous_raw[k] for k in names], max_norm),
                                       strict=True)))):
            hint = (" — the gradient of the previous call was added to this one: reset the gradients with "
                    "optimizer.zero_grad() before loss.backward()")
        got_norm = float(np.linalg.norm(change))
        raise Failed(f"{text}: expected the parameters to change by −lr × the clipped gradient (global norm "
                     f"{float(np.linalg.norm(expected)):.4g}); they changed by a vector of norm {got_norm:.4g}, "
                     f"max abs error {float(np.max(np.abs(change - expected))):.3g}{hint}")

    @staticmethod
    def _judge_loss(text: str, returned: Any, loss: float, before: dict, after: dict, raw: dict, step: dict) -> None:
        if isinstance(returned, (list, tuple, dict, str, bool, Opaque)) or returned is None:
            raise Failed(f"{text} returned {_kind_of(returned)}; expected the loss as a float")
        array = np.asarray(returned)
        if array.dtype.kind not in "iuf" or array.size != 1:
            raise Failed(f"{text} returned an array of shape {tuple(array.shape)}; expected the loss as a float")
        got = float(array.reshape(-1)[0])
        if np.isfinite(got) and abs(got - loss) <= 1e-5 + 1e-4 * abs(loss):
            return
        hint = ""
        close = lambda value: abs(got - value) <= 1e-5 + 1e-4 * abs(value)  # noqa: E731
        if close(num.global_norm(list(raw.values()))):
            hint = " — that is the gradient's norm (what clip_grad_norm_ returns), not the loss"
        elif close(num.mse_loss_and_grads(after, step["x"], step["y"])[0]):
            hint = " — that is the loss after the update; return the loss computed before optimizer.step()"
        raise Failed(f"{text} returned {got:.6g}; expected the batch's MSE loss {loss:.6g}{hint}")


# -- an optimizer that clips (Keras) ------------------------------------------------------------------

class OptimizerClipping(CheckKind):
    """Keras ``make_optimizer(learning_rate, max_norm)``, judged by what it does to gradients.

    ``params.judge: clipping`` — after a huge gradient and then a normal one, the variables end where the
    same kind of optimizer takes them when it is fed the huge gradient already clipped to global norm
    max_norm by the grader (two steps, because Adam's first step does not depend on the gradient's
    scale); ``params.judge: learning_rate`` — doubling learning_rate doubles every change.
    """

    name = "optimizer_clipping"
    kernel_modules = ("clipping_probes",)
    shapes = ((3, 4), (4, 4), (4,), (4, 1))

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        rng = ctx.rng
        lr = float(rng.choice([0.01, 0.02, 0.05]))
        max_norm = float(rng.uniform(0.5, 2.0))
        initial = [rng.uniform(-0.5, 0.5, size=shape).astype(_F32) for shape in self.shapes]
        scales = (300.0, 30.0, 3.0, 100.0)  # unequal per-variable norms, each above max_norm
        huge = [(rng.normal(size=shape) * s * max_norm).astype(_F32) for shape, s in zip(self.shapes, scales, strict=True)]
        clipped = [g.astype(_F32) for g in num.clip_by_global_norm(huge, max_norm)]
        small = self._normal_grads(rng, 0.5 * max_norm)
        small2 = self._normal_grads(rng, 0.5 * max_norm)
        if params.get("judge", "clipping") == "learning_rate":
            runs = [{"learning_rate": lr, "max_norm": max_norm, "grads": [small, small2]},
                    {"learning_rate": 2 * lr, "max_norm": max_norm, "grads": [small, small2]}]
        else:
            runs = [{"learning_rate": lr, "max_norm": max_norm, "grads": [huge, small]},
                    {"learning_rate": lr, "max_norm": max_norm, "grads": [clipped, small]}]
        call = {"id": "runs", "probe": "clip_optimizer", "function": "make_optimizer", "initial": initial, "runs": runs}
        return Plan([call], {"lr": lr, "max_norm": max_norm, "huge_norm": num.global_norm(huge)})

    def _normal_grads(self, rng: np.random.Generator, norm: float) -> list[np.ndarray]:
        grads = [rng.normal(size=shape) for shape in self.shapes]
        scale = norm / num.global_norm(grads)
        return [(g * scale).astype(_F32) for g in grads]

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        aspect = params.get("judge", "clipping")
        lr, max_norm = plan.state["lr"], plan.state["max_norm"]
        call = plan.calls[0]
        initial = [np.asarray(v, dtype=np.float64) for v in call["initial"]]
        details: dict[str, Any] = {}

        def trajectory(value: Any, index: int, what: str) -> list[np.ndarray]:
            run = value[index] if isinstance(value, (list, tuple)) and len(value) > index else None
            if not isinstance(run, (list, tuple)) or len(run) != 2:
                raise Failed(f"{what}: the variables could not be read back")
            return [np.concatenate([as_array(v, what).astype(np.float64).reshape(-1) for v in step]) - _flat_list(initial)
                    for step in run]

        def body() -> str:
            first = f"make_optimizer({lr:g}, {max_norm:.4g})"
            value = require_ok(results["runs"], f"{first} used with apply_gradients on {len(initial)} variables")
            if aspect == "learning_rate":
                second = f"make_optimizer({2 * lr:g}, {max_norm:.4g})"
                base, double = trajectory(value, 0, first), trajectory(value, 1, second)
                self._moved(base[0], first)
                for step in range(2):
                    if not matches(2 * base[step], double[step], 1e-9 + 1e-3 * float(np.max(np.abs(base[step]))), 1e-3):
                        raise Failed(
                            f"{first} and {second}, given the same two gradients (global norm {0.5 * max_norm:.3g}, "
                            f"below max_norm): after step {step + 1} the variables moved by {_norm(base[step]):.4g} "
                            f"and {_norm(double[step]):.4g}; twice the learning rate should move them twice as far "
                            "— pass learning_rate to the optimizer")
                return "the optimizer's steps scale with learning_rate"
            student, reference = trajectory(value, 0, first), trajectory(value, 1, first)
            huge = plan.state["huge_norm"]
            details.update(plot="optimizer_moves", max_norm=max_norm, gradient_norm=huge,
                           student=[_norm(move) for move in student], reference=[_norm(move) for move in reference])
            self._moved(reference[0], first)
            for step in range(2):
                atol = 1e-9 + 1e-3 * float(np.max(np.abs(reference[step])))
                if matches(reference[step], student[step], atol, 1e-3):
                    continue
                situation = (f"after one gradient of global norm {huge:.4g} (max_norm {max_norm:.4g})" if step == 0 else
                             f"after a gradient of global norm {huge:.4g} and then a normal one (norm {0.5 * max_norm:.3g}; "
                             "the first step matched, as it does for Adam whatever the gradient's scale)")
                raise Failed(
                    f"{first}, {situation}: the variables moved by {_norm(student[step]):.4g}, but the same optimizer "
                    f"fed that gradient already clipped to global norm {max_norm:.4g} moved them by "
                    f"{_norm(reference[step]):.4g} (max abs difference {float(np.max(np.abs(student[step] - reference[step]))):.3g})"
                    " — the optimizer does not clip the gradients by their global norm: create it with "
                    "global_clipnorm=max_norm (clipnorm clips each variable on its own, clipvalue each entry)")
            return ("the optimizer clips the gradients by their global norm before its update "
                    "(checked over two steps: a huge gradient, then a normal one)")

        return run_judge(body, details)

    @staticmethod
    def _moved(change: np.ndarray, what: str) -> None:
        if not np.any(change):
            raise Failed(f"{what}: apply_gradients did not change the variables; return an optimizer that updates them")


def _flat_list(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([a.reshape(-1) for a in arrays])


def _norm(vector: np.ndarray) -> float:
    return float(np.linalg.norm(vector))


# -- input-gradient norms over time --------------------------------------------------------------

class InputGradientNorms(CheckKind):
    """``input_gradient_norms(model, x)`` on a vanilla RNN the kernel builds from the grader's weights:
    ‖∂(Σ outputs)/∂x_t‖ over batch and features, compared with the grader's own backpropagation."""

    name = "input_gradient_norms"
    kernel_modules = ("clipping_probes",)
    default_cases = ((4, 12, 3, 6, False, 1.0), (1, 5, 2, 4, True, 1.0), (3, 30, 2, 8, False, 0.9))

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        calls = []
        for index, (batch, steps, m, n, many_to_many, gain) in enumerate(params.get("cases", self.default_cases)):
            weights = num.random_rnn_params(m, n, ctx.rng, recurrent_gain=gain)
            x = ctx.rng.normal(size=(batch, steps, m)).astype(_F32)
            calls.append({"id": f"case{index}", "probe": "clip_input_gradients", "function": "input_gradient_norms",
                          "params": weights, "x": x, "many_to_many": bool(many_to_many), "framework": ctx.framework})
        return Plan(calls)

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        layer = {"keras": "SimpleRNN", "torch": "nn.RNN"}.get(ctx.framework, "RNN")
        details: dict[str, Any] = {}

        def body() -> str:
            for call in plan.calls:
                x = call["x"]
                batch, steps, m = x.shape
                mode = "an output at every step" if call["many_to_many"] else "one output from the last state"
                text = (f"input_gradient_norms(model, x) with x of shape {tuple(x.shape)} and a {layer} model with "
                        f"{mode}")
                value = require_ok(results[call["id"]], text)
                expected = num.input_gradient_norms(call["params"], x, call["many_to_many"])
                got = as_array(value, text)
                if got.shape != expected.shape:
                    raise Failed(f"{text}: expected shape ({steps},), one norm per time step, got {tuple(got.shape)}"
                                 + (" — take the norm over the batch and feature axes together"
                                    if got.shape in ((batch, steps), (steps, m), (steps, 1)) else ""))
                atol = 1e-5 * float(np.max(expected))
                details.update(plot="gradient_norms", call=text, student=got.astype(np.float64).tolist(),
                               grader=expected.tolist())
                try:
                    compare(expected, got, text, atol, 1e-3)
                except Failed as failure:
                    raise Failed(f"{failure}{self._hint(expected, got, call, atol)}") from None
            return (f"input_gradient_norms matches the grader's backpropagation through time on {len(plan.calls)} "
                    "models and inputs (many-to-one and many-to-many)")

        return run_judge(body, details)

    @staticmethod
    def _hint(expected: np.ndarray, got: np.ndarray, call: dict, atol: float) -> str:
        if matches(expected[::-1], got, atol, 1e-3):
            return " — the norms are in reversed time order: entry t belongs to input step t (the first step first)"
        outputs = num.rnn_outputs(call["params"], call["x"], call["many_to_many"]).size
        if outputs > 1 and matches(expected / outputs, got, atol, 1e-3):
            return " — that is the gradient of the mean of the outputs; use their sum"
        if matches(expected ** 2, got, atol ** 2 + 1e-12, 1e-3):
            return " — these are squared norms: take the square root"
        return ""


KINDS: tuple[CheckKind, ...] = (
    GlobalNorm(),
    ClipByGlobalNorm(),
    ClipByValue(),
    TrainStep(),
    OptimizerClipping(),
    InputGradientNorms(),
)
