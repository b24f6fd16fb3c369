"""The kernel side of lab 02's tie to the trained model (``grader/kernel/inside/tracing_probes.py``), on real
PyTorch models in this process: which models it finds, the weights it reads, and that the grader's own
forward pass from them gives what the models give."""

from __future__ import annotations

import numpy as np
import pytest

from grader.judging.checks.tracing_models import _closest_output
from grader.kernel.inside import source

pytestmark = pytest.mark.slow
torch = pytest.importorskip("torch")
nn = torch.nn


def _probe_namespace() -> dict:
    ns: dict = {"__name__": "__grader__"}
    for module in ("harness", "torch_adapter", "tracing_probes"):
        exec(compile(source(module), f"<grader-{module}>", "exec"), ns)  # noqa: S102 - the project's own code
    return ns


class Masked(nn.Module):
    """The reference's shape: nn.LSTM over the observed weeks, a Linear head and a sigmoid on every week."""

    def __init__(self, units: int = 8) -> None:
        super().__init__()
        self.lstm = nn.LSTM(15, units, batch_first=True)
        self.head = nn.Linear(units, 1)

    def forward(self, x):
        outs = []
        h = torch.zeros(1, len(x), self.lstm.hidden_size)
        c = torch.zeros_like(h)
        for t in range(x.shape[1]):
            _, (h_new, c_new) = self.lstm(x[:, t:t + 1], (h, c))
            keep = (x[:, t] != -1.0).any(dim=-1)[None, :, None]
            h, c = torch.where(keep, h_new, h), torch.where(keep, c_new, c)
            outs.append(h[0])
        return torch.sigmoid(self.head(torch.stack(outs, dim=1)))


class CellLoop(nn.Module):
    """An nn.LSTMCell stepped by hand (no masking), a linear head with no activation."""

    def __init__(self) -> None:
        super().__init__()
        self.cell = nn.LSTMCell(15, 6)
        self.out = nn.Linear(6, 1)

    def forward(self, x):
        h = c = torch.zeros(len(x), 6)
        outs = []
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
            outs.append(h)
        return self.out(torch.stack(outs, dim=1))


class Trainer:
    def __init__(self, model) -> None:
        self.model = model


def test_the_probe_finds_the_notebooks_lstms_and_the_grader_recomputes_them():
    torch.manual_seed(0)
    masked, loop, bidirectional = Masked(), CellLoop(), nn.LSTM(15, 4, bidirectional=True)
    hidden_in_closure = Masked(units=5)

    def make_predict(model):
        def predict_tracing(X):
            return model(torch.as_tensor(X))
        return predict_tracing

    student = {"runs": [{"model": masked}], "trainer": Trainer(loop), "bi": bidirectional, "not_a_model": 3,
               "predict_tracing": make_predict(hidden_in_closure)}
    ns = _probe_namespace()
    found = ns["PROBES"]["trained_lstms"]({"function": "predict_tracing"}, student, {})
    where = [m["where"] for m in found["models"]]
    assert where == ["predict_tracing (closure: model)", "runs[0]['model']", "trainer.model"]
    assert [o["where"] for o in found["others"]] == ["bi"] and "LSTM layers" in found["others"][0]["why"]

    x = np.random.default_rng(1).uniform(0, 1, size=(40, 10, 15)).astype(np.float32)
    x[np.random.default_rng(2).random((40, 10)) < 0.4] = -1.0
    seen = np.any(x != -1.0, axis=-1)
    for model, description in zip((hidden_in_closure, masked, loop), found["models"], strict=True):
        with torch.no_grad():
            pred = model(torch.as_tensor(x)).numpy()[..., 0].astype(np.float64)
        diff, how = _closest_output(description, x, pred, True, 2e-4)
        assert diff < 2e-5, (description["where"], diff, how)
    assert "masked weeks read as inputs, output no activation" in _closest_output(found["models"][2], x,
        loop(torch.as_tensor(x)).detach().numpy()[..., 0].astype(np.float64), True, 2e-4)[1]
    wrong = masked(torch.as_tensor(x)).detach().numpy()[..., 0].astype(np.float64)
    wrong[seen] += 0.01
    assert _closest_output(found["models"][1], x, wrong, True, 2e-4)[0] > 2e-4
