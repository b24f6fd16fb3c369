"""Oracle checks judge the student's answers against the reference's (fed here as fake results, no kernel)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.judging import oracle_inputs, oracle_runner
from grader.judging.checks import oracle as oracle_kind
from grader.judging.checks import registry
from grader.judging.checks.base import CheckContext
from grader.kernel.probing import CallError, CallResult, Raw

MOVING = {"function": "moving_average", "dims": {"n": [3, 12]},
          "args": [{"array": {"shape": ["n"]}}, {"int": [1, "n"]}], "examples": [{"args": [[1.0, 2.0], 3]}]}


def _ctx(seed=11):
    return CheckContext("torch", np.random.default_rng(seed), Path("."), "90-tiny", seed=seed)


def _moving_average(x, k):
    x = np.asarray(x, dtype=np.float64)
    if not 1 <= k <= len(x):
        return CallResult(False, error=CallError("ValueError", "does not fit", mro=("builtins.ValueError",)))
    return CallResult(True, {"value": np.convolve(x, np.ones(k) / k, mode="valid")})


def _as_kernel_sees(call):
    return [a.array if isinstance(a, Raw) else a for a in call["args"]]


def _judge(params, respond, reference=None, seed=11, monkeypatch=None):
    """Judge ``params`` with the student answering ``respond(call)`` and the reference ``reference``."""
    kind = registry.get("oracle")
    ctx = _ctx(seed)
    plan = kind.plan(params, ctx)
    results = {call["id"]: respond(call) for call in plan.calls}
    reference = reference or respond

    class Reference:
        @staticmethod
        def answers(lab_id, framework, seed_, reqs):
            assert (lab_id, framework, seed_) == ("90-tiny", "torch", seed)
            return [reference(oracle_runner.kernel_call("r", request)) for request in reqs]

    monkeypatch.setattr(oracle_kind, "oracle", Reference)
    return kind.judge(params, ctx, plan, results)


def test_inputs_are_drawn_from_the_seed_within_their_ranges():
    cases = oracle_inputs.draw_cases(MOVING, 5, "torch")
    again = oracle_inputs.draw_cases(MOVING, 5, "torch")
    other = oracle_inputs.draw_cases(MOVING, 6, "torch")
    assert len(cases) == 4 and cases[-1] == {"args": [[1.0, 2.0], 3], "kwargs": {}}
    for case in cases[:3]:
        x, k = case["args"]
        assert x.dtype == np.float32 and 3 <= len(x) <= 12 and 1 <= k <= len(x)
    assert all(np.array_equal(a["args"][0], b["args"][0]) for a, b in zip(cases[:3], again[:3], strict=True))
    assert not all(np.array_equal(a["args"][0], b["args"][0]) for a, b in zip(cases[:3], other[:3], strict=True))
    # a fixed seed of the check's own changes them too
    assert not np.array_equal(oracle_inputs.draw_cases({**MOVING, "seed": 1}, 5, "torch")[0]["args"][0], cases[0]["args"][0])


def test_arrays_go_to_the_kernel_as_numpy_and_tensors_as_the_flavours():
    params = {"function": "f", "args": [{"array": {"shape": [2]}}, {"tensor": {"shape": [3], "dtype": "int64"}},
                                        {"tuple": [{"choice": ["a", "b"]}, {"value": 7}]}], "cases": 1}
    call = registry.get("oracle").plan(params, _ctx()).calls[0]
    raw, tensor, pair = call["args"]
    assert isinstance(raw, Raw) and raw.array.shape == (2,)
    assert isinstance(tensor, np.ndarray) and tensor.dtype == np.int64
    assert pair[0] in ("a", "b") and pair[1] == 7


def test_right_answers_pass_and_the_raised_exception_is_compared(monkeypatch):
    verdict = _judge(MOVING, lambda call: _moving_average(*_as_kernel_sees(call)), monkeypatch=monkeypatch)
    assert verdict.passed, verdict.message
    assert "1 of them raising" in verdict.message


def test_a_wrong_window_fails_with_the_call_and_the_shapes(monkeypatch):
    def same_length(call):
        x, k = _as_kernel_sees(call)
        return CallResult(True, {"value": np.convolve(np.asarray(x, float), np.ones(k) / k, mode="same")})

    def right(call):
        return _moving_average(*_as_kernel_sees(call))

    verdict = _judge(MOVING, same_length, reference=right, monkeypatch=monkeypatch)
    assert not verdict.passed
    assert verdict.message.startswith("moving_average(an array of shape (") and "expected shape" in verdict.message


def test_not_raising_where_the_reference_raises_fails(monkeypatch):
    def never_raises(call):
        x, k = _as_kernel_sees(call)
        return CallResult(True, {"value": np.zeros(max(len(x) - k + 1, 0))}) if k <= len(x) else \
            CallResult(True, {"value": np.zeros(0)})

    def right(call):
        result = _moving_average(*_as_kernel_sees(call))
        return result if not result.ok else never_raises(call)

    verdict = _judge(MOVING, never_raises, reference=right, monkeypatch=monkeypatch)
    assert not verdict.passed and "should raise ValueError (as the reference does)" in verdict.message


@pytest.mark.parametrize(("expected", "got", "words"), [
    (np.array([1.0, 2.0]), np.array([1.0, 2.1]), "expected 2, got 2.1 at index [1]"),
    (np.array([1, 2]), np.array([1.0, 2.0]), "expected integer values"),
    (np.array([1.0, 2.0], np.float32), np.array([1.0, 2.0], np.float64), "expected dtype float32"),
    ((np.zeros(2), 3), [np.zeros(2), 3], "expected a tuple of 2"),
    ({"mean": 1.0, "std": 2.0}, {"mean": 1.0}, "expected the keys ['mean', 'std']"),
    ({"mean": 1.0}, {"mean": 1.5}, "['mean']: expected 1, got 1.5"),
    (3, 4, "expected 3, got 4"),
    (np.array([np.nan, 1.0]), np.array([0.0, 1.0]), "NaN"),
])
def test_values_are_compared_leaf_by_leaf(expected, got, words):
    params = {"dtype": "exact"} if "dtype float32" in words else {}
    with pytest.raises(oracle_kind.Failed, match=None) as raised:
        oracle_kind.compare_values(expected, got, "f(x)", params)
    assert words in str(raised.value)


def test_close_values_and_equal_structures_pass():
    value = {"mean": np.array([1.0, 2.0]), "pair": (1, [True, "a"]), "n": np.int64(3)}
    near = {"mean": np.array([1.0 + 1e-7, 2.0]), "pair": (1, [True, "a"]), "n": 3}
    oracle_kind.compare_values(value, near, "f(x)", {})


def test_a_model_is_compared_by_parameter_count_and_outputs():
    request = {"function": "make", "args": [], "kwargs": {}}
    expected = CallResult(True, {"object": "torch.nn.Linear", "value": None, "n_params": 12,
                                 "outputs": [{"ok": True, "value": np.ones((2, 3))}]})
    wrong_count = CallResult(True, {**expected.value, "n_params": 9})
    wrong_shape = CallResult(True, {**expected.value, "outputs": [{"ok": True, "value": np.ones((2, 4))}]})
    oracle_kind.compare_answers(expected, expected, request, {})
    with pytest.raises(oracle_kind.Failed, match="expected 12 parameters, got 9"):
        oracle_kind.compare_answers(expected, wrong_count, request, {})
    with pytest.raises(oracle_kind.Failed, match="expected shape"):
        oracle_kind.compare_answers(expected, wrong_shape, request, {})


def test_todo_inputs_cannot_be_planned_and_are_reported():
    params = {"function": "f", "args": ["TODO thing: how to draw it"]}
    assert oracle_inputs.spec_problems(params) == ["inputs still marked TODO: declare how to draw them"]
    assert oracle_inputs.spec_problems({"function": "f"}) == ["no inputs declared (`args`/`kwargs` or `generator`)"]
    with pytest.raises(oracle_inputs.OracleSpecError):
        registry.get("oracle").plan(params, _ctx())


def test_inputs_from_a_generator_of_the_private_course(tmp_path, monkeypatch):
    folder = tmp_path / "reference" / "oracle_inputs"
    folder.mkdir(parents=True)
    (folder / "90-tiny.py").write_text(
        "import numpy as np\n\n"
        "def windows(rng, framework):\n"
        "    n = int(rng.integers(4, 9))\n"
        "    return [{'args': [rng.normal(size=n).astype('float32'), k]} for k in (1, n)]\n")
    monkeypatch.setenv("GRADER_PRIVATE", str(tmp_path))
    params = {"function": "moving_average", "generator": "windows"}
    cases = oracle_inputs.draw_cases(params, 3, "torch", "90-tiny")
    assert [case["args"][1] for case in cases] == [1, len(cases[0]["args"][0])]
    assert np.array_equal(cases[0]["args"][0], oracle_inputs.draw_cases(params, 3, "torch", "90-tiny")[0]["args"][0])
    with pytest.raises(Exception, match="not found"):
        oracle_inputs.draw_cases(params, 3, "torch", "91-other")
    # the generator is called with plain data (seed words, not a Generator), so that the drawn plan, which a
    # public run replays, is a pure function of what the recording holds
    from grader.judging import recorded

    seen = []
    monkeypatch.setattr(oracle_inputs, "generated_cases",
                        lambda *args: seen.append(recorded.call_key("oracle", "generated_cases", args, {})) or [])
    oracle_inputs.draw_cases(params, 3, "torch", "90-tiny")
    assert len(seen) == 1


@pytest.mark.parametrize(("reference", "words"), [
    (lambda call: _moving_average(*_as_kernel_sees(call)), None),
    (lambda call: CallResult(True, {"value": np.ones(3)}), "returns the same value for every call"),
    (lambda call: CallResult(False, error=CallError("ValueError", "no")), "raises on every call"),
])
def test_validate_is_told_what_makes_an_oracle_check_weak(reference, words, monkeypatch):
    class Reference:
        @staticmethod
        def answers(lab_id, framework, seed, reqs):
            return [reference(oracle_runner.kernel_call("r", request)) for request in reqs]

    monkeypatch.setattr(oracle_kind, "oracle", Reference)
    found = oracle_kind.weaknesses("90-tiny", "torch", 0, MOVING)
    assert found == [] if words is None else words in found[0]
