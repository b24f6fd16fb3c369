"""The grader's own reference implementation agrees with the lecture's numbers and with itself."""

from __future__ import annotations

import numpy as np
import pytest

from grader.judging.numerics import rnn


def test_lecture_parameter_count_513():
    # 14 features, 16 units, 1 output: (16*14 + 16*16 + 16) + (1*16 + 1) = 513 in Keras
    assert rnn.count_params("keras", "rnn", 14, 16, 1) == 513
    assert rnn.count_params("torch", "rnn", 14, 16, 1) == 513 + 16  # PyTorch's second bias vector


@pytest.mark.parametrize("framework, cell, expected", [
    ("keras", "lstm", 4 * (16 * 14 + 16 * 16 + 16) + 17),
    ("keras", "gru", 3 * (16 * 14 + 16 * 16 + 2 * 16) + 17),  # reset_after=True
    ("torch", "lstm", 4 * (16 * 14 + 16 * 16 + 2 * 16) + 17),
    ("torch", "gru", 3 * (16 * 14 + 16 * 16 + 2 * 16) + 17),
])
def test_counts_per_framework(framework, cell, expected):
    assert rnn.count_params(framework, cell, 14, 16, 1) == expected


def test_steps_reduce_to_known_cases():
    rng = np.random.default_rng(0)
    x, h = rng.normal(size=(3, 4)), rng.uniform(-1, 1, size=(3, 5))
    p = {k: v.astype(np.float64) for k, v in rnn.random_params("gru", 4, 5, rng).items()}
    p["b_u"] = np.full(5, 50.0)  # update gate 1: the state is copied
    np.testing.assert_allclose(rnn.gru_step(x, h, p), h, atol=1e-12)
    q = {k: v.astype(np.float64) for k, v in rnn.random_params("lstm", 4, 5, rng).items()}
    c = rng.normal(size=(3, 5))
    q["b_f"], q["b_i"] = np.full(5, 50.0), np.full(5, -50.0)  # keep c_prev, add nothing
    np.testing.assert_allclose(rnn.lstm_step(x, h, c, q)[1], c, atol=1e-12)


def test_run_sequence_last_state_is_the_last_step():
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(2, 6, 3))
    for cell in rnn.CELLS:
        p = rnn.random_params(cell, 3, 4, rng)
        states = rnn.run_sequence(cell, xs, p)
        assert states.shape == (2, 6, 4)
        np.testing.assert_allclose(rnn.run_sequence(cell, xs, p, return_sequences=False), states[:, -1])


def test_architecture_counts():
    from grader.judging.numerics import architecture

    lecture = [{"rnn": "simple", "units": 16, "inputs": 14}, {"dense": 1, "inputs": 16}]
    assert architecture.count("keras", lecture) == 513
    assert architecture.count("torch", lecture) == 529
    stacked = [{"rnn": "gru", "units": 32, "inputs": 11}, {"rnn": "gru", "units": 16, "inputs": 32},
               {"dense": 1, "inputs": 16}]
    assert architecture.count("keras", stacked) == 3 * (32 * 11 + 32 * 32 + 64) + 3 * (16 * 32 + 16 * 16 + 32) + 17
    bi = [{"rnn": "lstm", "units": 8, "inputs": 3, "bidirectional": True}, {"dense": 1, "inputs": 16}]
    assert architecture.count("torch", bi) == 2 * 4 * (8 * 3 + 8 * 8 + 16) + 17
    assert architecture.describe(bi) == "Bidirectional(LSTM(8)) on 3 features → Dense(1)"
    with pytest.raises(ValueError, match="unknown recurrent cell"):
        architecture.count("keras", [{"rnn": "transformer", "units": 1, "inputs": 1}])
