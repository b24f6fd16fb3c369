# Probes on built-in layers (run inside the kernel with harness.py and an adapter).


@probe("builtin_layer")  # noqa: F821 (harness)
def _builtin_layer(request, ns, arrays):
    factory = student_object(ns, request["function"])  # noqa: F821
    layer = factory(*decode(request.get("args", []), arrays))  # noqa: F821
    info = describe_layer(layer)  # noqa: F821
    try:
        info["output"] = run_layer(layer, decode(request["xs"], arrays))  # noqa: F821
    except Exception as exc:  # noqa: BLE001
        info["output_error"] = describe_error(exc)  # noqa: F821
    return info
