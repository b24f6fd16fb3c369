# Runs inside the student's kernel (sent as source text by grader.kernel.probing).
# Reads a request (JSON + .npz of inputs), runs each probe against the student's namespace and
# writes the raw results back as JSON + .npz. It never judges anything.
# An adapter (keras_adapter / torch_adapter) defines to_tensor, to_numpy, describe_layer, run_layer.
import json
import traceback

import numpy as np

PROBES = {}
_MAX_TEXT = 2000


def probe(name):
    def register(function):
        PROBES[name] = function
        return function

    return register


class MissingName(LookupError):
    pass


def student_object(ns, name):
    if name not in ns:
        raise MissingName(f"{name} is not defined in the notebook")
    return ns[name]


def decode(tree, arrays):
    if isinstance(tree, list):
        return [decode(item, arrays) for item in tree]
    if isinstance(tree, dict):
        if "__array__" in tree:
            array = arrays[tree["__array__"]]
            return to_tensor(array) if tree.get("tensor", True) else array  # noqa: F821 (adapter)
        if "__tuple__" in tree:
            return tuple(decode(item, arrays) for item in tree["__tuple__"])
        if "__frame__" in tree:
            import pandas as pd

            frame = tree["__frame__"]
            return pd.DataFrame({column: arrays[key] for column, key in zip(frame["columns"], frame["keys"], strict=True)})
        return {key: decode(value, arrays) for key, value in tree.items()}
    return tree


def _type_name(value):
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def encode(value, arrays, prefix, depth=0):
    if depth > 8:
        return {"__object__": "nested too deep"}
    if value is None or isinstance(value, (bool, str)):
        return value if not isinstance(value, str) else value[:_MAX_TEXT]
    if isinstance(value, int):
        return {"__int__": str(value)} if abs(value) > 2**53 else value
    if isinstance(value, float):
        return value if np.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, (list, tuple)):
        items = [encode(item, arrays, f"{prefix}.{i}", depth + 1) for i, item in enumerate(value[:1000])]
        return {"__list__": items, "tuple": isinstance(value, tuple)}
    if isinstance(value, dict):
        return {"__dict__": {str(k): encode(v, arrays, f"{prefix}.{k}", depth + 1) for k, v in list(value.items())[:1000]}}
    try:
        array = np.asarray(to_numpy(value))  # noqa: F821 (adapter)
    except Exception:
        return {"__object__": _type_name(value)}
    if array.dtype.kind not in "biuf":
        return {"__object__": _type_name(value), "dtype": str(array.dtype)}
    key = f"a{len(arrays)}"
    arrays[key] = np.ascontiguousarray(array)
    return {"__array__": key, "type": _type_name(value)}


def _cut(text, limit):
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_error(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    student_frames = [f for f in frames if "<grader-" not in f.filename]
    where = ""
    if student_frames:
        last = student_frames[-1]
        where = _cut(f"line {last.lineno} of {last.name}: {(last.line or '').strip()}", 300)
    return {
        "type": type(exc).__name__,
        "mro": [f"{c.__module__}.{c.__qualname__}" for c in type(exc).__mro__],
        "message": _cut(str(exc), _MAX_TEXT),
        "where": where,
        "missing": isinstance(exc, MissingName),
    }


@probe("call")
def _call(request, ns, arrays):
    function = student_object(ns, request["function"])
    if not callable(function):
        raise TypeError(f"{request['function']} is not a function")
    args = decode(request.get("args", []), arrays)
    kwargs = decode(request.get("kwargs", {}), arrays)
    return function(*args, **kwargs)


def run_request(request_path, arrays_path, response_path, response_arrays_path, ns):
    with open(request_path) as handle:
        request = json.load(handle)
    with np.load(arrays_path, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    results = {}
    out_arrays = {}
    for index, item in enumerate(request["calls"]):
        try:
            value = PROBES[item["probe"]](item, ns, arrays)
            results[item["id"]] = {"ok": True, "value": encode(value, out_arrays, f"c{index}")}
        except KeyboardInterrupt:
            results[item["id"]] = {"ok": False, "error": {"type": "TimeLimit", "mro": [], "missing": False,
                                   "message": "interrupted: the time limit was reached", "where": ""}}
            break
        except BaseException as exc:  # noqa: BLE001 - everything the student's code raises is a result
            results[item["id"]] = {"ok": False, "error": describe_error(exc)}
    np.savez(response_arrays_path, **out_arrays)
    with open(response_path, "w") as handle:
        json.dump({"results": results}, handle)
