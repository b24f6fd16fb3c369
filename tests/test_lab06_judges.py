"""Lab 06 check kinds judge plain values: fed fake kernel results, they pass right answers and explain wrong ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sweep_oracles as oracles

from grader.judging.checks import registry
from grader.judging.checks.base import CheckContext
from grader.judging.numerics import text as text_numerics
from grader.kernel.probing import CallResult

LAB = Path(__file__).resolve().parent.parent / "assignments" / "06-text-classification"
CLASSIFIER = {"function": "build_text_classifier", "cases": [
    {"vocab_size": 50, "embed_dim": 8, "units": 6, "max_len": 12},
    {"vocab_size": 30, "embed_dim": 5, "units": 4, "max_len": 9, "bidirectional": True}]}
MRO = {"keras": "keras.src.models.model.Model", "torch": "torch.nn.modules.module.Module"}


def _answer(kind_name, params, respond, framework="torch", seed=5):
    kind = registry.get(kind_name)
    ctx = CheckContext(framework, np.random.default_rng(seed), LAB / "hidden", "06-text-classification")
    plan = kind.plan(params, ctx)
    results = {call["id"]: respond(call) for call in plan.calls}
    return kind.judge(params, ctx, plan, results)


def _models(framework, change=None, **options):
    """Answers of the model_outputs probe from the NumPy stand-in classifier; ``change(model, x, out)`` alters
    what one call returns."""
    def respond(call):
        kwargs = dict(call["kwargs"])
        kwargs.setdefault("bidirectional", bool(options.get("default_bidirectional")))  # the student's default
        if options.get("ignore_bidirectional"):
            kwargs["bidirectional"] = False
        model = oracles.TextStandIn(framework, rng=np.random.default_rng(0), reads_padding=bool(options.get("reads_padding")),
                                    **kwargs)
        outputs = []
        for x in call["inputs"]:
            out = model(x)
            outputs.append({"ok": True, "value": change(model, x, out) if change else out})
        return CallResult(True, {"class": "__main__.TextClassifier", "mro": ["__main__.TextClassifier", MRO[framework]],
                                 "outputs": outputs, "n_params": model.count_params()})
    return respond


def test_parameter_counts_are_those_the_frameworks_report():
    # what torch and keras counted for the reference notebooks' LSTM classifiers (grader check, both flavours)
    assert text_numerics.classifier_params("torch", "lstm", 50, 8, 6, False) == 791
    assert text_numerics.classifier_params("torch", "lstm", 30, 5, 4, True) == 511
    assert text_numerics.classifier_params("keras", "lstm", 50, 8, 6, False) == 767
    assert text_numerics.classifier_params("keras", "lstm", 30, 5, 4, True) == 479
    assert set(text_numerics.accepted_params("torch", 50, 8, 6, False)) == {"lstm", "gru"}


@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_classifier_passes_a_masked_batch_first_model(framework):
    verdict = _answer("text_classifier", CLASSIFIER, _models(framework), framework)
    assert verdict.passed, verdict.message
    assert "padding appended at the end changes no output" in verdict.message


def test_classifier_fails_a_model_that_reads_the_padding():
    verdict = _answer("text_classifier", CLASSIFIER, _models("torch", reads_padding=True))
    assert not verdict.passed
    assert "the padding is read as input" in verdict.message and "pack_padded_sequence" in verdict.message


def test_classifier_fails_bidirectional_ignored_with_a_hint():
    verdict = _answer("text_classifier", CLASSIFIER, _models("keras", ignore_bidirectional=True), "keras")
    assert not verdict.passed
    assert "bidirectional=False" in verdict.message and "twice the features" in verdict.message


def test_classifier_calls_with_the_contracts_default_and_fails_another_default():
    """build_text_classifier(vocab_size, embed_dim, units) is called without ``bidirectional`` where the case does
    not set it: a default of True (the contract says False) gives the bidirectional count and fails."""
    params = {"function": "build_text_classifier", "cases": [{"vocab_size": 50, "embed_dim": 8, "units": 6}]}
    plan = registry.get("text_classifier").plan(params, CheckContext("keras", np.random.default_rng(5), LAB / "hidden",
                                                                      "06-text-classification"))
    assert "bidirectional" not in plan.calls[0]["kwargs"]
    assert _answer("text_classifier", params, _models("keras"), "keras").passed
    verdict = _answer("text_classifier", params, _models("keras", default_bidirectional=True), "keras")
    assert not verdict.passed and "bidirectional" in verdict.message


def test_classifier_fails_examples_that_influence_each_other():
    def mixes(model, x, out):  # each output pulled towards the batch's mean
        return (0.8 * out + 0.2 * out.mean()).astype(np.float32)
    verdict = _answer("text_classifier", CLASSIFIER, _models("torch", mixes))
    assert not verdict.passed and "influence each other" in verdict.message


def test_classifier_fails_logits_and_sequences():
    verdict = _answer("text_classifier", CLASSIFIER, _models("torch", lambda m, x, out: (out - 0.5) * 40))
    assert not verdict.passed and "sigmoid" in verdict.message
    verdict = _answer("text_classifier", CLASSIFIER,
                      _models("keras", lambda m, x, out: np.repeat(out[:, None, :], x.shape[1], axis=1)), "keras")
    assert not verdict.passed and "extra time axis" in verdict.message


def test_classifier_fails_something_that_is_not_a_model():
    def respond(call):
        return CallResult(True, {"class": "builtins.dict", "mro": ["builtins.dict", "builtins.object"], "outputs": []})
    verdict = _answer("text_classifier", CLASSIFIER, respond, "keras")
    assert not verdict.passed and "expected a Keras model" in verdict.message


def _predictions(predict):
    return lambda call: CallResult(True, predict(call["args"][0]))


ACCURACY = {"function": "predict_texts", "threshold": 0.85}


def test_accuracy_passes_a_model_that_reads_the_order():
    verdict = _answer("text_accuracy", ACCURACY, _predictions(oracles.predict_texts_reader))
    assert verdict.passed, verdict.message
    assert verdict.details["accuracy"] == 1.0


def test_accuracy_fails_counting_words_and_a_constant():
    verdict = _answer("text_accuracy", ACCURACY, _predictions(oracles.predict_texts_counts))
    assert not verdict.passed and "counting words" in verdict.message
    assert verdict.details["accuracy"] < 0.7
    verdict = _answer("text_accuracy", ACCURACY, _predictions(lambda texts: np.full(len(texts), 0.5, np.float32)))
    assert not verdict.passed and "the same probability" in verdict.message


def test_accuracy_explains_a_column_and_rejects_values_outside_0_1():
    verdict = _answer("text_accuracy", ACCURACY, _predictions(lambda t: oracles.predict_texts_reader(t)[:, None]))
    assert not verdict.passed and ".reshape(-1)" in verdict.message
    verdict = _answer("text_accuracy", ACCURACY, _predictions(lambda t: oracles.predict_texts_reader(t) * 3 - 1))
    assert not verdict.passed and "within [0, 1]" in verdict.message


def test_accuracy_sends_the_texts_in_random_order_and_never_the_labels():
    kind = registry.get("text_accuracy")
    plans = [kind.plan(ACCURACY, CheckContext("torch", np.random.default_rng(s), LAB / "hidden")) for s in (1, 2)]
    sent = [plan.calls[0]["args"][0] for plan in plans]
    assert sorted(sent[0]) == sorted(sent[1]) and sent[0] != sent[1]
    assert all(isinstance(t, str) for t in sent[0]) and len(plans[0].calls[0]["args"]) == 1
