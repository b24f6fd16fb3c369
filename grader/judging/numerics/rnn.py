"""Recurrent cells as the lecture writes them, and as Keras and PyTorch lay out their weights.

Everything is float64 NumPy with batch-first inputs: ``x_t`` (batch, m), ``h`` (batch, n),
lecture weights ``W_?x`` (n, m), ``W_?h`` (n, n), ``b_?`` (n,).
"""

from __future__ import annotations

import numpy as np

CELLS = ("rnn", "lstm", "gru")
PARAM_NAMES = {
    "rnn": ("W_hx", "W_hh", "b_h"),
    "lstm": ("W_fx", "W_fh", "b_f", "W_ix", "W_ih", "b_i", "W_ox", "W_oh", "b_o", "W_cx", "W_ch", "b_c"),
    "gru": ("W_rx", "W_rh", "b_r", "W_ux", "W_uh", "b_u", "W_hx", "W_hh", "b_h"),
}


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _affine(x: np.ndarray, h: np.ndarray, p: dict, gate: str) -> np.ndarray:
    return x @ p[f"W_{gate}x"].T + h @ p[f"W_{gate}h"].T + p[f"b_{gate}"]


def random_params(cell: str, m: int, n: int, rng: np.random.Generator, scale: float = 0.6) -> dict[str, np.ndarray]:
    """Lecture-named parameters for ``cell`` with ``m`` inputs and ``n`` units, float32."""
    params = {}
    for name in PARAM_NAMES[cell]:
        shape = (n,) if name.startswith("b_") else (n, m) if name.endswith("x") else (n, n)
        params[name] = rng.uniform(-scale, scale, size=shape).astype(np.float32)
    return params


def rnn_step(x: np.ndarray, h: np.ndarray, p: dict) -> np.ndarray:
    return np.tanh(_affine(x, h, p, "h"))


def lstm_step(x: np.ndarray, h: np.ndarray, c: np.ndarray, p: dict) -> tuple[np.ndarray, np.ndarray]:
    f = sigmoid(_affine(x, h, p, "f"))
    i = sigmoid(_affine(x, h, p, "i"))
    o = sigmoid(_affine(x, h, p, "o"))
    c_new = f * c + i * np.tanh(_affine(x, h, p, "c"))
    return o * np.tanh(c_new), c_new


def gru_step(x: np.ndarray, h: np.ndarray, p: dict) -> np.ndarray:
    r = sigmoid(_affine(x, h, p, "r"))
    u = sigmoid(_affine(x, h, p, "u"))
    candidate = np.tanh(x @ p["W_hx"].T + (r * h) @ p["W_hh"].T + p["b_h"])
    return u * h + (1.0 - u) * candidate


def gru_step_update_swapped(x: np.ndarray, h: np.ndarray, p: dict) -> np.ndarray:
    """The GRU step with the update gate's roles swapped, (1 − u) ⊙ h_prev + u ⊙ h̃: a classic bug."""
    r = sigmoid(_affine(x, h, p, "r"))
    u = sigmoid(_affine(x, h, p, "u"))
    candidate = np.tanh(x @ p["W_hx"].T + (r * h) @ p["W_hh"].T + p["b_h"])
    return (1.0 - u) * h + u * candidate


def _as64(p: dict) -> dict:
    return {key: np.asarray(value, dtype=np.float64) for key, value in p.items()}


def run_sequence(cell: str, xs: np.ndarray, p: dict, return_sequences: bool = True) -> np.ndarray:
    """Unroll ``cell`` over ``xs`` (batch, T, m) from a zero state."""
    p = _as64(p)
    xs = np.asarray(xs, dtype=np.float64)
    batch, steps, _ = xs.shape
    n = p[PARAM_NAMES[cell][-1]].shape[0]
    h = np.zeros((batch, n))
    c = np.zeros((batch, n))
    outputs = []
    for t in range(steps):
        if cell == "rnn":
            h = rnn_step(xs[:, t], h, p)
        elif cell == "lstm":
            h, c = lstm_step(xs[:, t], h, c, p)
        else:
            h = gru_step(xs[:, t], h, p)
        outputs.append(h)
    return np.stack(outputs, axis=1) if return_sequences else h


# -- built-in layers, from the weights the framework stores -------------------------------------

def keras_layer_forward(cell: str, weights: list[np.ndarray], xs: np.ndarray) -> np.ndarray:
    """Keras SimpleRNN / LSTM (gates i, f, c, o) / GRU(reset_after=False) (gates z, r, h), sequences out."""
    kernel, recurrent, bias = (np.asarray(w, dtype=np.float64) for w in weights)
    xs = np.asarray(xs, dtype=np.float64)
    batch, steps, _ = xs.shape
    n = recurrent.shape[0]
    h, c = np.zeros((batch, n)), np.zeros((batch, n))
    outputs = []
    for t in range(steps):
        x = xs[:, t]
        if cell == "rnn":
            h = np.tanh(x @ kernel + h @ recurrent + bias)
        elif cell == "lstm":
            z = x @ kernel + h @ recurrent + bias
            i, f, g, o = (z[:, k * n:(k + 1) * n] for k in range(4))
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        else:
            xz = x @ kernel + bias
            update = sigmoid(xz[:, :n] + h @ recurrent[:, :n])
            reset = sigmoid(xz[:, n:2 * n] + h @ recurrent[:, n:2 * n])
            candidate = np.tanh(xz[:, 2 * n:] + (reset * h) @ recurrent[:, 2 * n:])
            h = update * h + (1.0 - update) * candidate
        outputs.append(h)
    return np.stack(outputs, axis=1)


def torch_layer_forward(cell: str, weights: dict[str, np.ndarray], xs: np.ndarray) -> np.ndarray:
    """PyTorch nn.RNN (tanh) / nn.LSTM (gates i, f, g, o), one layer, batch first, sequences out."""
    w_ih = np.asarray(weights["weight_ih_l0"], dtype=np.float64)
    w_hh = np.asarray(weights["weight_hh_l0"], dtype=np.float64)
    n = w_hh.shape[1]
    bias = np.zeros(w_ih.shape[0])
    for name in ("bias_ih_l0", "bias_hh_l0"):
        if name in weights:
            bias = bias + np.asarray(weights[name], dtype=np.float64)
    xs = np.asarray(xs, dtype=np.float64)
    batch, steps, _ = xs.shape
    h, c = np.zeros((batch, n)), np.zeros((batch, n))
    outputs = []
    for t in range(steps):
        z = xs[:, t] @ w_ih.T + h @ w_hh.T + bias
        if cell == "rnn":
            h = np.tanh(z)
        else:
            i, f, g, o = (z[:, k * n:(k + 1) * n] for k in range(4))
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1)


# -- parameter counts ---------------------------------------------------------------------------

_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def count_params(framework: str, cell: str, m: int, n: int, k: int) -> int:
    """Built-in recurrent layer with default arguments followed by a dense layer of ``k`` outputs.

    The lecture's formula (n·m + n·n + n) + (k·n + k) per gate block; PyTorch keeps two bias
    vectors, and so does Keras's GRU with its default ``reset_after=True``.
    """
    biases = 2 if framework == "torch" or (framework == "keras" and cell == "gru") else 1
    return _GATES[cell] * (n * m + n * n + biases * n) + (k * n + k)
