"""Gradient clipping and backpropagation through time, as the lecture writes them (lab 04).

Everything is float64 NumPy. The small recurrent model used by the checks is a vanilla RNN
(h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), h_0 = 0) with a linear head of one output,
either on the last state (many-to-one) or on every state (many-to-many). Its parameters are named
as PyTorch names them, so that the same dict can be loaded into ``nn.RNN`` + ``nn.Linear`` or into
Keras's ``SimpleRNN`` + ``Dense``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RNN_PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_out", "bias_out")


def global_norm(arrays: Sequence[np.ndarray]) -> float:
    """‖g‖ for a list of tensors: the Euclidean norm of all their entries taken together."""
    return float(np.sqrt(sum(float(np.sum(np.asarray(a, dtype=np.float64) ** 2)) for a in arrays)))


def clip_by_global_norm(arrays: Sequence[np.ndarray], max_norm: float) -> list[np.ndarray]:
    """The lecture's rule on the whole list: if ‖g‖ > u then g ← g·u/‖g‖; otherwise g is unchanged."""
    norm = global_norm(arrays)
    scale = max_norm / norm if norm > max_norm else 1.0
    return [np.asarray(a, dtype=np.float64) * scale for a in arrays]


def clip_per_tensor(arrays: Sequence[np.ndarray], max_norm: float) -> list[np.ndarray]:
    """Each tensor clipped to norm ``max_norm`` on its own (what clipping by global norm is not)."""
    return [clip_by_global_norm([a], max_norm)[0] for a in arrays]


def clip_by_value(arrays: Sequence[np.ndarray], limit: float) -> list[np.ndarray]:
    """Every entry clamped to [-limit, limit]."""
    return [np.clip(np.asarray(a, dtype=np.float64), -limit, limit) for a in arrays]


def random_rnn_params(m: int, n: int, rng: np.random.Generator, recurrent_gain: float = 1.0,
                      scale: float = 0.5) -> dict[str, np.ndarray]:
    """float32 parameters of the RNN + linear head; ``recurrent_gain`` scales W_hh's spectral radius."""
    w_hh = rng.normal(size=(n, n)) / np.sqrt(n)
    w_hh *= recurrent_gain / max(float(np.max(np.abs(np.linalg.eigvals(w_hh)))), 1e-12)
    params = {
        "weight_ih": rng.uniform(-scale, scale, size=(n, m)),
        "weight_hh": w_hh,
        "bias_ih": rng.uniform(-0.1, 0.1, size=n),
        "bias_hh": rng.uniform(-0.1, 0.1, size=n),
        "weight_out": rng.uniform(-scale, scale, size=(1, n)),
        "bias_out": rng.uniform(-0.1, 0.1, size=1),
    }
    return {key: value.astype(np.float32) for key, value in params.items()}


def _as64(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key: np.asarray(value, dtype=np.float64) for key, value in params.items()}


def rnn_states(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Every state h_1 … h_T of the RNN for x of shape (batch, T, m): shape (batch, T, n)."""
    p = _as64(params)
    x = np.asarray(x, dtype=np.float64)
    h = np.zeros((x.shape[0], p["weight_hh"].shape[0]))
    states = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"])
        states.append(h)
    return np.stack(states, axis=1)


def rnn_outputs(params: dict[str, np.ndarray], x: np.ndarray, many_to_many: bool = False) -> np.ndarray:
    """The model's outputs: (batch, T, 1) many-to-many, (batch, 1) many-to-one."""
    p = _as64(params)
    states = rnn_states(params, x)
    chosen = states if many_to_many else states[:, -1]
    return chosen @ p["weight_out"].T + p["bias_out"]


def rnn_backward(params: dict[str, np.ndarray], x: np.ndarray, d_outputs: np.ndarray,
                 many_to_many: bool = False) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Backpropagation through time: the gradients of ``sum(d_outputs * outputs)``.

    Returns the parameter gradients (same keys as ``params``) and the gradient with respect to x.
    The gradient reaching h_k is the sum over later steps of the products of ∂h_j/∂h_{j-1} = g'_h W_hh.
    """
    p = _as64(params)
    x = np.asarray(x, dtype=np.float64)
    states = rnn_states(params, x)
    batch, steps, _ = x.shape
    n = p["weight_hh"].shape[0]
    d_out = np.asarray(d_outputs, dtype=np.float64)
    d_states = np.zeros_like(states)
    if many_to_many:
        d_states += d_out @ p["weight_out"]
        grads = {"weight_out": np.einsum("bto,btn->on", d_out, states), "bias_out": d_out.sum(axis=(0, 1))}
    else:
        d_states[:, -1] += d_out @ p["weight_out"]
        grads = {"weight_out": d_out.T @ states[:, -1], "bias_out": d_out.sum(axis=0)}
    for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        grads[key] = np.zeros_like(p[key])
    d_x = np.zeros_like(x)
    carry = np.zeros((batch, n))
    for t in reversed(range(steps)):
        d_h = d_states[:, t] + carry
        d_pre = d_h * (1.0 - states[:, t] ** 2)
        h_prev = states[:, t - 1] if t > 0 else np.zeros((batch, n))
        grads["weight_ih"] += d_pre.T @ x[:, t]
        grads["weight_hh"] += d_pre.T @ h_prev
        grads["bias_ih"] += d_pre.sum(axis=0)
        grads["bias_hh"] += d_pre.sum(axis=0)
        d_x[:, t] = d_pre @ p["weight_ih"]
        carry = d_pre @ p["weight_hh"]
    return grads, d_x


def mse_loss_and_grads(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """Mean squared error of the many-to-one model on (x, y) and its parameter gradients."""
    out = rnn_outputs(params, x)
    diff = out - np.asarray(y, dtype=np.float64).reshape(out.shape)
    grads, _ = rnn_backward(params, x, 2.0 * diff / diff.size)
    return float(np.mean(diff ** 2)), grads


def input_gradient_norms(params: dict[str, np.ndarray], x: np.ndarray, many_to_many: bool = False) -> np.ndarray:
    """‖∂(Σ outputs)/∂x_t‖ over the batch and feature axes, for every time step t: shape (T,)."""
    out = rnn_outputs(params, x, many_to_many)
    _, d_x = rnn_backward(params, x, np.ones_like(out), many_to_many)
    return np.sqrt(np.sum(d_x ** 2, axis=(0, 2)))
