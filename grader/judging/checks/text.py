"""Check kinds of lab 06: a recurrent text classifier judged by behaviour, and its accuracy on hidden texts.

The classifier is built with the grader's arguments and run on integer sequences the grader draws (ids in
``[2, vocab_size)``, each row a random length then zeros at the end, the lab's padding): outputs of shape
(batch, 1) within [0, 1]; the same rows with more padding appended give the same outputs (the padding is
masked); each row alone gives what it gives in the batch (batch-first, batch-independent); the parameter
count is that of an embedding, one LSTM or GRU layer and a sigmoid unit, with both directions and twice the
features into the unit when ``bidirectional=True``.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
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
from grader.judging.numerics import text as text_numerics
from grader.kernel.probing import CallResult

_MODEL_BASES = {
    "keras": ("keras.src.models.model.Model",),
    "torch": ("torch.nn.modules.module.Module",),
}
_MODEL_WORDS = {"keras": "a Keras model (keras.Model)", "torch": "a PyTorch module (torch.nn.Module)"}
HIDDEN_FILE = "reviews_hidden.csv"


def padded_batch(rng: np.random.Generator, batch: int, max_len: int, vocab_size: int) -> tuple[np.ndarray, list[int]]:
    """``batch`` rows of random ids in [2, vocab_size), of lengths drawn in [3, max_len] (one of them full),
    padded with 0 at the end."""
    lengths = [int(n) for n in rng.integers(3, max_len + 1, size=batch)]
    lengths[int(rng.integers(batch))] = max_len
    x = np.zeros((batch, max_len), dtype=np.int64)
    for row, n in enumerate(lengths):
        x[row, :n] = rng.integers(2, vocab_size, size=n)
    return x, lengths


def _case_text(function: str, case: dict[str, Any]) -> str:
    tail = f", bidirectional={bool(case['bidirectional'])}" if "bidirectional" in case else ""
    return f"{function}(vocab_size={case['vocab_size']}, embed_dim={case['embed_dim']}, units={case['units']}{tail})"


def _output(info: dict[str, Any], index: int, where: str) -> np.ndarray:
    outputs = info.get("outputs")
    if not isinstance(outputs, list) or index >= len(outputs):
        raise Failed(f"{where}: the grader could not read the model's outputs back")
    output = outputs[index]
    if not isinstance(output, dict) or not output.get("ok"):
        error = (output.get("error") if isinstance(output, dict) else None) or {}
        raise Failed(f"{where} raised {error.get('type', 'Exception')}: {error.get('message', '')}")
    return as_array(output.get("value"), f"{where}: the output").astype(np.float64)


class TextClassifier(CheckKind):
    """``build_text_classifier(vocab_size, embed_dim, units, bidirectional)``: shapes, probabilities, padding
    masked, batch-first and batch-independent, the parameter count of embedding + LSTM/GRU + sigmoid unit."""

    name = "text_classifier"
    kernel_modules = ("model_probes",)

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        calls, layouts = [], []
        batch = int(params.get("batch", 5))
        extra = int(params.get("extra_padding", 6))
        for index, case in enumerate(params["cases"]):
            max_len = int(case.get("max_len", 12))
            x, lengths = padded_batch(ctx.rng, batch, max_len, int(case["vocab_size"]))
            longer = np.concatenate([x, np.zeros((batch, extra), dtype=np.int64)], axis=1)
            inputs = [x, longer] + [x[i:i + 1] for i in range(batch)]
            layouts.append({"lengths": lengths, "shape": list(x.shape), "extra": extra})
            kwargs = {key: case[key] for key in ("vocab_size", "embed_dim", "units")}
            if "bidirectional" in case:  # else the default, which the contract fixes (False)
                kwargs["bidirectional"] = bool(case["bidirectional"])
            calls.append({"id": f"case{index}", "probe": "model_outputs", "function": params["function"],
                          "args": [], "kwargs": kwargs, "inputs": inputs, "training": False})
        return Plan(calls, {"layouts": layouts})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        function = params["function"]
        atol = float(params.get("atol", 1e-5))

        def body() -> str:
            counts = []
            for call, case, layout in zip(plan.calls, params["cases"], plan.state["layouts"], strict=True):
                text = _case_text(function, case)
                info = require_ok(results[call["id"]], text)
                if not isinstance(info, dict) or "outputs" not in info:
                    raise Failed(f"{text}: the grader could not read the model back")
                mro = info.get("mro") or []
                if not any(base in mro for base in _MODEL_BASES[ctx.framework]):
                    raise Failed(f"{text} returned a {info.get('class', '?')}; expected {_MODEL_WORDS[ctx.framework]}")
                batch, max_len = layout["shape"]
                where = f"{text} called on padded ids of shape ({batch}, {max_len})"
                value = _output(info, 0, where)
                if value.shape != (batch, 1):
                    hint = " — an extra time axis: use only the recurrent layer's last state" if value.ndim == 3 else ""
                    raise Failed(f"{where}: output shape {value.shape}, expected ({batch}, 1){hint}")
                if not np.all(np.isfinite(value)) or value.min() < -1e-6 or value.max() > 1 + 1e-6:
                    raise Failed(f"{where}: outputs range over [{value.min():.4g}, {value.max():.4g}], expected "
                                 "probabilities within [0, 1] (is the sigmoid missing?)")
                self._judge_padding(where, value, _output(info, 1, where), layout, atol)
                self._judge_alone(where, value, [_output(info, 2 + i, where) for i in range(batch)], atol)
                counts.append(self._judge_count(ctx.framework, text, case, info))
            return (f"{function} builds models mapping padded ids (batch, max_len) to (batch, 1) probabilities; "
                    "padding appended at the end changes no output; each sentence's output is the same alone as in "
                    f"a batch (batch-first); parameters {', '.join(counts)} (embedding + LSTM/GRU + sigmoid unit, "
                    "both directions and twice the features when bidirectional)")

        return run_judge(body)

    @staticmethod
    def _judge_padding(where: str, value: np.ndarray, longer: np.ndarray, layout: dict[str, Any],
                       atol: float) -> None:
        batch, max_len = layout["shape"]
        if longer.shape != value.shape:
            raise Failed(f"{where} and again with {layout['extra']} more padding steps: output shapes {value.shape} "
                         f"and {longer.shape} differ")
        error = np.abs(longer - value)
        if np.any(error > atol + 1e-4 * np.abs(value)):
            row = int(np.argmax(error.reshape(batch, -1).max(axis=1)))
            raise Failed(
                f"{where}: with {layout['extra']} more zeros (padding) after every sentence, the output of row {row} "
                f"(a sentence of {layout['lengths'][row]} tokens) changes from {value[row, 0]:.6f} to "
                f"{longer[row, 0]:.6f}: the padding is read as input. Mask it — Keras: Embedding(mask_zero=True); "
                "PyTorch: pack the sequence with each sentence's length (pack_padded_sequence) and use the final "
                "state h_n, not the output at the last padded step")

    @staticmethod
    def _judge_alone(where: str, value: np.ndarray, alone: list[np.ndarray], atol: float) -> None:
        for row, single in enumerate(alone):
            if single.shape != (1, 1):
                raise Failed(f"{where}: sentence {row} alone (shape (1, max_len)) gave an output of shape "
                             f"{single.shape}, expected (1, 1)")
            if abs(single[0, 0] - value[row, 0]) > atol + 1e-4 * abs(value[row, 0]):
                raise Failed(
                    f"{where}: row {row} of the output is {value[row, 0]:.6f} in the batch but {single[0, 0]:.6f} "
                    "when that sentence is run alone, so the sentences of a batch influence each other; inputs are "
                    "batch-first (batch, max_len): in PyTorch pass batch_first=True to the recurrent layer (and to "
                    "pack_padded_sequence)")

    @staticmethod
    def _judge_count(framework: str, text: str, case: dict[str, Any], info: dict[str, Any]) -> str:
        if "n_params" not in info:
            raise Failed(f"{text}: the grader could not count the model's parameters")
        got = int(info["n_params"])
        bidirectional = bool(case.get("bidirectional", False))
        accepted = text_numerics.accepted_params(framework, int(case["vocab_size"]), int(case["embed_dim"]),
                                                 int(case["units"]), bidirectional)
        if got in accepted.values():
            return str(got)
        wanted = " or ".join(f"{n} ({cell.upper()})" for cell, n in accepted.items())
        hint = ""
        single = text_numerics.accepted_params(framework, int(case["vocab_size"]), int(case["embed_dim"]),
                                               int(case["units"]), not bidirectional)
        if got in single.values():
            hint = (" — that is the count with bidirectional=" + str(not bidirectional) +
                    ": a bidirectional layer has a second, backward copy of the recurrent weights and gives the "
                    "dense unit twice the features")
        raise Failed(f"{text} has {got} parameters; expected {wanted} for Embedding({case['vocab_size']}, "
                     f"{case['embed_dim']}) → {'Bidirectional ' if bidirectional else ''}LSTM/GRU({case['units']}) "
                     f"→ Dense(1){hint}")


# -- accuracy on hidden texts ---------------------------------------------------------------------------
@cache
def _hidden_reviews(path: str) -> tuple[tuple[str, ...], np.ndarray]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(row["text"] for row in rows), np.array([int(row["label"]) for row in rows], dtype=np.int64)


def hidden_reviews(hidden_dir: Path, name: str = HIDDEN_FILE) -> tuple[tuple[str, ...], np.ndarray]:
    """The hidden sentences and their labels (1 positive); the labels never leave the grader."""
    return _hidden_reviews(str((Path(hidden_dir) / name).resolve()))


class TextAccuracy(CheckKind):
    """``predict_texts(texts)`` on the hidden sentences (in random order): (N,) probabilities whose accuracy
    (positive above 0.5) reaches ``threshold``."""

    name = "text_accuracy"
    preview_only = True

    def plan(self, params: dict[str, Any], ctx: CheckContext) -> Plan:
        texts, _ = hidden_reviews(ctx.hidden_dir, params.get("data", HIDDEN_FILE))
        order = ctx.rng.permutation(len(texts))
        function = params.get("function", "predict_texts")
        return Plan([{"id": "hidden", "probe": "call", "function": function,
                      "args": [[texts[i] for i in order]]}], {"order": [int(i) for i in order]})

    def judge(self, params: dict[str, Any], ctx: CheckContext, plan: Plan, results: dict[str, CallResult]) -> Verdict:
        function = params.get("function", "predict_texts")
        threshold = float(params["threshold"])
        _, labels = hidden_reviews(ctx.hidden_dir, params.get("data", HIDDEN_FILE))
        labels = labels[np.asarray(plan.state["order"], dtype=np.int64)]
        n = len(labels)
        text = f"{function}(texts) on {n} hidden sentences (a list of str, in random order)"
        details: dict[str, Any] = {}

        def body() -> str:
            value = require_ok(results["hidden"], text)
            prob = as_array(value, f"{text}: the result").astype(np.float64)
            if prob.shape != (n,):
                squeeze = " (flatten the model's (N, 1) output with .reshape(-1))" if prob.shape == (n, 1) else ""
                raise Failed(f"{text}: shape {prob.shape}, expected ({n},){squeeze}")
            if not np.all(np.isfinite(prob)) or prob.min() < -1e-6 or prob.max() > 1 + 1e-6:
                raise Failed(f"{text}: values range over [{np.nanmin(prob):.4g}, {np.nanmax(prob):.4g}], expected "
                             "probabilities within [0, 1]")
            accuracy = float(np.mean((prob > 0.5) == (labels == 1)))
            details.update(accuracy=accuracy, threshold=threshold)
            summary = f"accuracy {accuracy:.3f}; to pass it must be at least {threshold:.3f}"
            if accuracy < threshold:
                hint = ""
                if np.ptp(prob) < 1e-3:
                    hint = " — every sentence gets the same probability: is the model trained, and the input encoded?"
                elif accuracy < 0.7:
                    hint = (" — about what counting words gets: the model must read the order (a recurrent layer on "
                            "the padded ids, padding masked, trained until the validation accuracy is high)")
                raise Failed(f"{text}: {summary}{hint}")
            return f"{text}: {summary}"

        return run_judge(body, details)


KINDS = (TextClassifier(), TextAccuracy())
