"""Parameter counts of layer stacks as Keras and PyTorch build them, from a plain description.

A stack is a list of layers, each ``{"rnn": "simple"|"lstm"|"gru", "units": n, "inputs": m}`` (optionally
``"bidirectional": true``) or ``{"dense": k, "inputs": n}``. Dropout, Masking and TimeDistributed wrappers
add no parameters and are not listed.
"""

from __future__ import annotations

from typing import Any

GATE_BLOCKS = {"simple": 1, "rnn": 1, "lstm": 4, "gru": 3}
_NAMES = {"simple": "SimpleRNN", "rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def bias_vectors(framework: str, cell: str) -> int:
    """PyTorch keeps b_ih and b_hh; Keras keeps one, except GRU with its default reset_after=True."""
    if framework == "torch":
        return 2
    return 2 if cell == "gru" else 1


def layer_params(framework: str, layer: dict[str, Any]) -> int:
    if "dense" in layer:
        k, n = int(layer["dense"]), int(layer["inputs"])
        return k * n + k
    cell, n, m = str(layer["rnn"]), int(layer["units"]), int(layer["inputs"])
    if cell not in GATE_BLOCKS:
        raise ValueError(f"unknown recurrent cell {cell!r}; use one of {', '.join(GATE_BLOCKS)}")
    one_direction = GATE_BLOCKS[cell] * (n * m + n * n + bias_vectors(framework, cell) * n)
    return one_direction * (2 if layer.get("bidirectional") else 1)


def count(framework: str, layers: list[dict[str, Any]]) -> int:
    return sum(layer_params(framework, layer) for layer in layers)


def describe(layers: list[dict[str, Any]]) -> str:
    """``LSTM(32) on 15 features → Dense(1)``: the stack in words for messages."""
    parts = []
    for index, layer in enumerate(layers):
        if "dense" in layer:
            parts.append(f"Dense({layer['dense']})")
            continue
        text = f"{_NAMES.get(str(layer['rnn']), layer['rnn'])}({layer['units']})"
        if layer.get("bidirectional"):
            text = f"Bidirectional({text})"
        if index == 0:
            text += f" on {layer['inputs']} features"
        parts.append(text)
    return " → ".join(parts)
