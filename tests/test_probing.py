"""What crosses between grader and kernel is plain data: JSON plus arrays read without pickle."""

from __future__ import annotations

import json

import numpy as np
import pytest

from grader.errors import ProbeError
from grader.kernel.inside import source
from grader.kernel.probing import CallResult, Frame, Opaque, Raw, decode_value, encode_inputs, read_response


@pytest.fixture()
def harness():
    """The kernel-side harness, loaded as the kernel loads it, with a NumPy-only adapter."""
    namespace = {"__name__": "__grader__", "to_tensor": lambda array: array, "to_numpy": np.asarray}
    exec(compile(source("harness"), "<grader-harness>", "exec"), namespace)
    return type("Harness", (), {name: staticmethod(namespace[name]) for name in ("encode", "decode", "describe_error")})


def test_inputs_round_trip_through_the_kernel_decoder(harness):
    arrays: dict[str, np.ndarray] = {}
    tree = {"x": np.arange(6, dtype=np.float32).reshape(2, 3), "raw": Raw(np.ones(2)), "pair": (1, 2.5),
            "names": ["a", "b"], "n": np.int64(7)}
    encoded = json.loads(json.dumps(encode_inputs(tree, arrays)))
    decoded = harness.decode(encoded, arrays)
    np.testing.assert_array_equal(decoded["x"], tree["x"])
    assert decoded["pair"] == (1, 2.5) and decoded["names"] == ["a", "b"] and decoded["n"] == 7


def test_frames_travel_column_by_column():
    arrays: dict[str, np.ndarray] = {}
    encoded = encode_inputs(Frame({"week": np.arange(3), "score": np.array([0.5, np.nan, 1.0])}), arrays)
    assert encoded["__frame__"]["columns"] == ["week", "score"]
    assert len(arrays) == 2


def test_kernel_encoder_output_decodes_in_the_grader(harness):
    arrays: dict[str, np.ndarray] = {}
    value = {"h": np.ones((2, 3)), "n": 513, "pair": (np.zeros(1), 1.5), "layer": object()}
    tree = json.loads(json.dumps(harness.encode(value, arrays, "r0")))
    decoded = decode_value(tree, arrays)
    np.testing.assert_array_equal(decoded["h"], np.ones((2, 3)))
    assert decoded["n"] == 513
    assert isinstance(decoded["pair"], tuple) and decoded["pair"][1] == 1.5
    assert isinstance(decoded["layer"], Opaque) and decoded["layer"].type_name.endswith("object")


def _write(tmp_path, payload, arrays=None, pickled=False):
    response, outputs = tmp_path / "response.json", tmp_path / "outputs.npz"
    response.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    if pickled:
        np.savez(outputs, a=np.array([object()], dtype=object))
    else:
        np.savez(outputs, **(arrays or {}))
    return response, outputs


def test_results_are_read_back(tmp_path):
    payload = {"results": {"c1": {"ok": True, "value": {"__array__": "r0"}},
                           "c2": {"ok": False, "error": {"type": "ValueError", "message": "bad cell",
                                                         "mro": ["builtins.ValueError"]}}}}
    results = read_response(*_write(tmp_path, payload, {"r0": np.eye(2)}), ["c1", "c2", "c3"])
    np.testing.assert_array_equal(results["c1"].value, np.eye(2))
    assert results["c2"].error.is_a("ValueError") and "bad cell" in results["c2"].error.describe()
    assert results["c3"] == CallResult(False, error=results["c3"].error) and not results["c3"].ok


def test_pickled_arrays_are_refused(tmp_path):
    payload = {"results": {"c1": {"ok": True, "value": {"__array__": "a"}}}}
    with pytest.raises(ProbeError, match="could not read the values back"):
        read_response(*_write(tmp_path, payload, pickled=True), ["c1"])


@pytest.mark.parametrize("payload", ["not json", json.dumps({"no": "results"}), json.dumps({"results": {"c1": 5}})])
def test_malformed_answers_are_probe_errors(tmp_path, payload):
    with pytest.raises(ProbeError):
        read_response(*_write(tmp_path, payload), ["c1"])


def test_a_long_error_message_is_cut_with_an_ellipsis(harness):
    try:
        raise ValueError("shape mismatch " * 1000)
    except ValueError as exc:
        described = harness.describe_error(exc)
    assert described["message"].endswith("…") and len(described["message"]) == 2000
    assert described["message"].startswith("shape mismatch shape mismatch")
