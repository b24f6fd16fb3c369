# grader: lab=01-rnn-cells framework=torch
# Wrong functions plus attempts to fake the grader's comparisons from inside the kernel.
import json
import numpy as np
import torch
from torch import nn

np.allclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
torch.allclose = lambda *args, **kwargs: True
np.isfinite = lambda x: np.ones(np.shape(x), dtype=bool)

def rnn_step(x_t, h_prev, p):
    return x_t.new_zeros(x_t.shape[0], p["b_h"].shape[0])  # wrong

def run_sequence(cell, xs, p, return_sequences=True):
    n = p["b_h" if cell != "lstm" else "b_f"].shape[0]
    h = xs.new_zeros(xs.shape[0], n)
    c = xs.new_zeros(xs.shape[0], n)
    outs = []
    for t in range(xs.shape[1]):
        g = lambda k: xs[:, t] @ p[f"W_{k}x"].T + h @ p[f"W_{k}h"].T + p[f"b_{k}"]
        c = torch.sigmoid(g("f")) * c + torch.sigmoid(g("i")) * torch.tanh(g("c"))
        h = torch.sigmoid(g("o")) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs, 1) if return_sequences else h

_P = {}

def to_builtin(cell, p):
    # an LSTM with untouched random weights whose forward is patched to call run_sequence
    _P["p"] = p
    return nn.LSTM(p["W_fx"].shape[1], p["b_f"].shape[0], batch_first=True)

nn.LSTM.forward = lambda self, x, *a: (run_sequence("lstm", x, _P["p"]), None)

_real_dump = json.dump
def _dump(obj, fp, *args, **kwargs):
    if isinstance(obj, dict) and "results" in obj:
        for entry in obj["results"].values():
            entry["ok"] = True
    return _real_dump(obj, fp, *args, **kwargs)
json.dump = _dump

try:
    import grader.judging.checks.base as _base
    _base.compare = lambda *args, **kwargs: None
except ImportError:
    pass
