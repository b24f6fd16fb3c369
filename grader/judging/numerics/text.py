"""Lab 06: parameter counts of the text classifier (embedding, one recurrent layer, a sigmoid unit)."""

from __future__ import annotations

from grader.judging.numerics import architecture


def classifier_params(framework: str, cell: str, vocab_size: int, embed_dim: int, units: int,
                      bidirectional: bool) -> int:
    """Embedding(vocab_size, embed_dim) -> cell(units) (both directions if asked) -> Dense(1)."""
    directions = 2 if bidirectional else 1
    recurrent = architecture.layer_params(framework, {"rnn": cell, "units": units, "inputs": embed_dim,
                                                      "bidirectional": bidirectional})
    return vocab_size * embed_dim + recurrent + directions * units + 1


def accepted_params(framework: str, vocab_size: int, embed_dim: int, units: int,
                    bidirectional: bool) -> dict[str, int]:
    """The parameter count of the classifier for each recurrent cell the lab allows (LSTM or GRU)."""
    return {cell: classifier_params(framework, cell, vocab_size, embed_dim, units, bidirectional)
            for cell in ("lstm", "gru")}
