# PyTorch flavour adapter, run inside the kernel together with harness.py.
import numpy as np
import torch


def to_tensor(array):
    tensor = torch.from_numpy(np.array(array))
    return tensor.float() if tensor.is_floating_point() else tensor


def to_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


_CONFIG = ("mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "bidirectional",
           "nonlinearity", "proj_size", "dropout")


def describe_layer(layer):
    kind = type(layer)
    config = {}
    for name in _CONFIG:
        value = getattr(layer, name, None)
        config[name] = value if isinstance(value, (bool, int, float, str)) or value is None else repr(value)[:200]
    weights = {}
    if isinstance(layer, torch.nn.Module):
        weights = {name: to_numpy(param) for name, param in layer.named_parameters()}
    return {
        "class": f"{kind.__module__}.{kind.__qualname__}",
        "mro": [f"{c.__module__}.{c.__qualname__}" for c in kind.__mro__],
        "config": config,
        "weights": weights,
    }


def run_layer(layer, xs):
    with torch.no_grad():
        out = layer(xs)
    if isinstance(out, (list, tuple)):
        out = out[0]
    return to_numpy(out)


def count_parameters(model):
    return int(sum(p.numel() for p in model.parameters()))


def run_model(model, x, training=False):
    was_training = getattr(model, "training", None)
    if isinstance(model, torch.nn.Module):
        model.train(training)
    try:
        with torch.no_grad():
            out = model(x)
    finally:
        if isinstance(model, torch.nn.Module) and was_training is not None:
            model.train(was_training)
    if isinstance(out, (list, tuple)):
        out = out[0]
    return to_numpy(out)
