# grader: lab=01-rnn-cells framework=keras
# A correct Keras-flavour solution written differently from the reference: plain NumPy arithmetic
# in float64 with the weights stacked into one matrix per cell, and a loop-free parameter formula.
import numpy as np
import keras

# %%
def _np(value):
    return np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _stacked(p, gates):
    w = np.concatenate([np.concatenate([_np(p[f"W_{g}x"]), _np(p[f"W_{g}h"])], axis=1) for g in gates])
    return w, np.concatenate([_np(p[f"b_{g}"]) for g in gates])


def rnn_step(x_t, h_prev, p):
    w, b = _stacked(p, "h")
    return np.tanh(np.hstack([_np(x_t), _np(h_prev)]) @ w.T + b)


def lstm_step(x_t, h_prev, c_prev, p):
    w, b = _stacked(p, "fioc")
    z = np.hstack([_np(x_t), _np(h_prev)]) @ w.T + b
    f, i, o, g = np.split(z, 4, axis=1)
    c = _sigmoid(f) * _np(c_prev) + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c), c


def gru_step(x_t, h_prev, p):
    x, h = _np(x_t), _np(h_prev)
    w, b = _stacked(p, "ru")
    r, u = np.split(_sigmoid(np.hstack([x, h]) @ w.T + b), 2, axis=1)
    candidate = np.tanh(x @ _np(p["W_hx"]).T + (r * h) @ _np(p["W_hh"]).T + _np(p["b_h"]))
    return (1.0 - u) * candidate + u * h


def run_sequence(cell, xs, p, return_sequences=True):
    xs = _np(xs)
    n = _np(p["b_f"] if cell == "lstm" else p["b_h"]).shape[0]
    h = np.zeros((xs.shape[0], n))
    c = np.zeros_like(h)
    out = np.empty((xs.shape[0], xs.shape[1], n))
    for t in range(xs.shape[1]):
        if cell == "lstm":
            h, c = lstm_step(xs[:, t], h, c, p)
        else:
            h = {"rnn": rnn_step, "gru": gru_step}[cell](xs[:, t], h, p)
        out[:, t] = h
    return out if return_sequences else out[:, -1]


def to_builtin(cell, p):
    order = {"rnn": "h", "lstm": "ifco", "gru": "urh"}[cell]
    n, m = _np(p[f"W_{order[0]}x"]).shape
    layer = {
        "rnn": lambda: keras.layers.SimpleRNN(n, return_sequences=True),
        "lstm": lambda: keras.layers.LSTM(n, return_sequences=True),
        "gru": lambda: keras.layers.GRU(n, return_sequences=True, reset_after=False),
    }[cell]()
    layer.build((None, None, m))
    weights = [np.hstack([_np(p[f"W_{g}{s}"]).T for g in order]).astype("float32") for s in "xh"]
    weights.append(np.concatenate([_np(p[f"b_{g}"]) for g in order]).astype("float32"))
    layer.set_weights(weights)
    return layer


def count_params(cell, n_features, n_units, n_outputs):
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    bias_vectors = {"rnn": 1, "lstm": 1, "gru": 2}[cell]
    return gates * n_units * (n_features + n_units + bias_vectors) + n_outputs * (n_units + 1)
