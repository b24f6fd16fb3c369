# Probes on models built by the student's factories (run inside the kernel with harness.py and an adapter).


@probe("model_outputs")  # noqa: F821 (harness)
def _model_outputs(request, ns, arrays):
    factory = student_object(ns, request["function"])  # noqa: F821
    if not callable(factory):
        raise TypeError(f"{request['function']} is not a function")
    args = decode(request.get("args", []), arrays)  # noqa: F821
    kwargs = decode(request.get("kwargs", {}), arrays)  # noqa: F821
    model = factory(*args, **kwargs)
    kind = type(model)
    info = {
        "class": f"{kind.__module__}.{kind.__qualname__}",
        "mro": [f"{c.__module__}.{c.__qualname__}" for c in kind.__mro__],
        "outputs": [],
    }
    for x in decode(request["inputs"], arrays):  # noqa: F821
        try:
            info["outputs"].append({"ok": True, "value": run_model(model, x, bool(request.get("training", False)))})  # noqa: F821
        except Exception as exc:  # noqa: BLE001 - the student's model failing is a result
            info["outputs"].append({"ok": False, "error": describe_error(exc)})  # noqa: F821
    try:
        info["n_params"] = count_parameters(model)  # noqa: F821
    except Exception as exc:  # noqa: BLE001
        info["n_params_error"] = describe_error(exc)  # noqa: F821
    return info
