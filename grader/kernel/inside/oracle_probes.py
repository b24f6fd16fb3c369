# Oracle probes (run inside the kernel with harness.py and an adapter): the same call made in the student's
# kernel and in the reference's; for a returned model or layer, its parameter count and outputs on probe inputs.
import random as _random

_PLAIN = (list, tuple, dict, str, int, float, bool, type(None))


def _reseed(seed):
    _random.seed(seed)
    np.random.seed(seed)  # noqa: F821 (harness)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:
        pass
    try:
        import keras

        keras.utils.set_random_seed(seed)
    except ImportError:
        pass


@probe("oracle_call")  # noqa: F821 (harness)
def _oracle_call(request, ns, arrays):
    function = student_object(ns, request["function"])  # noqa: F821
    if not callable(function):
        raise TypeError(f"{request['function']} is not a function")
    args = decode(request.get("args", []), arrays)  # noqa: F821
    kwargs = decode(request.get("kwargs", {}), arrays)  # noqa: F821
    if request.get("reseed") is not None:
        _reseed(int(request["reseed"]))
    value = function(*args, **kwargs)
    answer = {"value": value}
    xs = request.get("probe_inputs")
    if xs is None or isinstance(value, _PLAIN) or not callable(value):
        return answer
    answer["object"] = _type_name(value)  # noqa: F821
    answer["value"] = None
    outputs = []
    for x in decode(xs, arrays):  # noqa: F821
        try:
            outputs.append({"ok": True, "value": run_model(value, x)})  # noqa: F821 (adapter)
        except Exception as exc:  # noqa: BLE001
            outputs.append({"ok": False, "error": describe_error(exc)})  # noqa: F821
    answer["outputs"] = outputs
    try:  # after the outputs: a Keras layer has its weights once it has been called
        answer["n_params"] = count_parameters(value)  # noqa: F821 (adapter)
    except Exception as exc:  # noqa: BLE001
        answer["n_params_error"] = describe_error(exc)  # noqa: F821
    return answer
