"""Lab 05 check kinds judge plain values: fed fake kernel results, they pass right answers and explain wrong ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from grader.judging.checks import registry
from grader.judging.checks.base import CheckContext
from grader.kernel.probing import CallError, CallResult


def _answer(kind_name, params, respond, framework="torch"):
    kind = registry.get(kind_name)
    ctx = CheckContext(framework, np.random.default_rng(5), Path("."), "05-improving-rnns")
    plan = kind.plan(params, ctx)
    results = {call["id"]: respond(call) for call in plan.calls}
    return kind.judge(params, ctx, plan, results)


def _weights(rng):
    return {"gru.weight_ih_l0": rng.normal(size=(12, 3)), "gru.weight_hh_l0": rng.normal(size=(12, 4)),
            "gru.weight_ih_l1": rng.normal(size=(12, 4)), "head.weight": rng.normal(size=(1, 4))}


def _torch_penalty(names):
    rng = np.random.default_rng(0)

    def respond(call):
        weights = _weights(rng)
        value = sum(call["l1"] * np.abs(w).sum() + call["l2"] * np.square(w).sum()
                    for k, w in weights.items() if k in names)
        return CallResult(True, {"penalty": float(value), "parameters": weights})
    return respond


PENALTY = {"cases": [{"l1": 0.01}, {"l2": 0.02}, {"l1": 0.003, "l2": 0.007}, {"l1": 0.01, "l2": 0.03, "module": "probe"}]}


def test_penalty_torch_right_and_wrong_weights():
    assert _answer("penalty_in_loss", PENALTY, _torch_penalty({"gru.weight_ih_l0", "gru.weight_ih_l1"})).passed
    verdict = _answer("penalty_in_loss", PENALTY, _torch_penalty({"gru.weight_hh_l0"}))
    assert not verdict.passed and "l1·Σ|W|" in verdict.message
    assert not _answer("penalty_in_loss", PENALTY, _torch_penalty({"gru.weight_ih_l0"})).passed


def test_penalty_keras_from_losses():
    kernel = np.random.default_rng(1).normal(size=(3, 12))

    def respond(scale):
        return lambda call: CallResult(True, {"kernels": {"0:gru": kernel}, "losses": [
            scale * (call["l1"] * np.abs(kernel).sum() + call["l2"] * np.square(kernel).sum())]})
    assert _answer("penalty_in_loss", PENALTY, respond(1.0), "keras").passed
    assert not _answer("penalty_in_loss", PENALTY, respond(0.0), "keras").passed


def _dropout(inference_random=False, ignore_recurrent=False, default_dropout=0.0):
    rng = np.random.default_rng(2)

    def respond(call):
        base = np.ones((len(call["x"]), 1))
        kwargs = {"dropout": default_dropout, "recurrent_dropout": 0.0, **call["kwargs"]}  # the student's defaults
        active = kwargs["dropout"] > 0 or (kwargs["recurrent_dropout"] > 0 and not ignore_recurrent)
        noisy = (lambda: base + rng.normal(size=base.shape)) if active else (lambda: base)
        inference = [noisy(), noisy()] if inference_random else [base, base]
        return CallResult(True, {"inference": inference, "training": [noisy(), noisy()]})
    return respond


DROPOUT = {"cases": [{"dropout": 0.5}, {"recurrent_dropout": 0.5}, {"dropout": 0.0, "recurrent_dropout": 0.0}, {}]}


def test_dropout_modes():
    assert _answer("dropout_modes", DROPOUT, _dropout()).passed
    verdict = _answer("dropout_modes", DROPOUT, _dropout(inference_random=True))
    assert not verdict.passed and "at inference" in verdict.message
    verdict = _answer("dropout_modes", DROPOUT, _dropout(ignore_recurrent=True))
    assert not verdict.passed and "recurrent_dropout=0.5" in verdict.message


def test_dropout_modes_calls_with_the_contracts_defaults():
    """A case without rates leaves them to the function's defaults: a default dropout above 0 (the contract says
    0.0) makes training mode differ from inference and fails."""
    seen = []
    _answer("dropout_modes", DROPOUT, lambda call: seen.append(call["kwargs"]) or _dropout()(call))
    assert seen[-1] == {}  # called without the rates
    verdict = _answer("dropout_modes", DROPOUT, _dropout(default_dropout=1.0))
    assert not verdict.passed and "with the default rates" in verdict.message


STATEFUL = {"cases": [{"batch_size": 4, "seq_len": 5, "n_features": 3, "units": 6}]}


def test_stateful_state():
    a, b = np.zeros((4, 1)), np.ones((4, 1))

    def respond(first, second, third):
        return lambda call: CallResult(True, {"first": first, "second": second, "after_reset": third, "reset": "r"})
    assert _answer("stateful_state", STATEFUL, respond(a, b, a)).passed
    assert "same output" in _answer("stateful_state", STATEFUL, respond(a, a, a)).message
    assert "forget" in _answer("stateful_state", STATEFUL, respond(a, b, b)).message
    assert "shape (4, 1)" in _answer("stateful_state", STATEFUL, respond(a[:, 0], b, a)).message


STACKED = {"cases": [{"seq_len": 10, "n_features": 5, "units": [8, 6]}]}


def test_stacked_sequences():
    def respond(steps):
        return lambda call: CallResult(True, {"output": np.zeros((3, 1)),
                                              "layers": [{"layer": f"l{i}", "steps": s} for i, s in enumerate(steps)]})
    assert _answer("stacked_sequences", STACKED, respond([10, 10])).passed
    assert "whole sequence" in _answer("stacked_sequences", STACKED, respond([10, 1])).message
    assert not _answer("stacked_sequences", STACKED, respond([10])).passed
    failed = _answer("stacked_sequences", STACKED, lambda call: CallResult(False, error=CallError(
        type="ValueError", message="Input 0 of layer gru_1 is incompatible")), "keras")
    assert not failed.passed


BIDIRECTIONAL = {"cases": [{"seq_len": 10, "n_features": 5, "units": 6}]}


def test_reads_backwards():
    same, other = np.zeros((4, 6)), np.ones((4, 6))
    forward = {"layer": "f", "first": same, "first_perturbed": same}
    assert _answer("reads_backwards", BIDIRECTIONAL, lambda call: CallResult(True, [
        forward, {"layer": "b", "first": same, "first_perturbed": other}])).passed
    verdict = _answer("reads_backwards", BIDIRECTIONAL, lambda call: CallResult(True, [forward, forward]))
    assert not verdict.passed and "backwards" in verdict.message
