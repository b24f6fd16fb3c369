# Keras flavour adapter, run inside the kernel together with harness.py.
import numpy as np


def to_tensor(array):
    if array.dtype.kind == "f":
        return np.asarray(array, dtype=np.float32)
    return array


def to_numpy(value):
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy())
    import keras

    return np.asarray(keras.ops.convert_to_numpy(value))


def _plain(value):
    return value if isinstance(value, (bool, int, float, str)) or value is None else repr(value)[:200]


def describe_layer(layer):
    kind = type(layer)
    try:
        config = {key: _plain(value) for key, value in layer.get_config().items() if not isinstance(value, dict)}
    except Exception as exc:  # noqa: BLE001
        config = {"error": repr(exc)[:200]}
    weights = {f"{i}:{w.name}": np.asarray(to_numpy(w)) for i, w in enumerate(getattr(layer, "weights", []))}
    return {
        "class": f"{kind.__module__}.{kind.__qualname__}",
        "mro": [f"{c.__module__}.{c.__qualname__}" for c in kind.__mro__],
        "config": config,
        "weights": weights,
    }


def run_layer(layer, xs):
    out = layer(xs)
    if isinstance(out, (list, tuple)):
        out = out[0]
    return to_numpy(out)


def count_parameters(model):
    return int(model.count_params())


def run_model(model, x, training=False):
    out = model(x, training=training)
    if isinstance(out, (list, tuple)):
        out = out[0]
    return to_numpy(out)
