# Probes of lab 02 (tracing vs pass/fail), run inside the kernel with harness.py and an adapter.
# "trained_lstms" lists the trained models the notebook holds (its variables, one or two levels into dicts,
# lists, tuples and the attributes of its own objects, and what the predict function closes over) that are one
# LSTM layer and a Dense/Linear head of one output, and returns their weights as raw arrays. The grader computes
# these models' outputs itself and compares them with what predict_tracing / predict_passfail returned. Nothing
# is judged here.
import sys
import types as types_module

import numpy as np

_MAX_MODELS = 32
_MAX_PARAMS = 2_000_000


def _array(value):
    return np.array(to_numpy(value), dtype=np.float32)  # noqa: F821 (adapter)


def _name(value):
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _model_types():
    # The model base classes of the frameworks the notebook imported (one that never imported a framework
    # holds no model of it).
    types = []
    torch, keras = sys.modules.get("torch"), sys.modules.get("keras")
    if torch is not None:
        types.append(torch.nn.Module)
    if keras is not None:
        types.append(keras.Model)
    return tuple(types)


def _candidates(ns, function, types):
    # (where, model) for every model object reachable from the notebook's variables, first found first.
    found, seen = [], set()

    def visit(where, value, depth):
        if len(found) >= _MAX_MODELS or id(value) in seen:
            return
        if isinstance(value, types):
            seen.add(id(value))
            found.append((where, value))
            return
        if depth >= 2:
            return
        if isinstance(value, dict):
            seen.add(id(value))
            for key, item in list(value.items())[:1000]:
                visit(f"{where}[{key!r}]", item, depth + 1)
        elif isinstance(value, (list, tuple)):
            seen.add(id(value))
            for index, item in enumerate(value[:1000]):
                visit(f"{where}[{index}]", item, depth + 1)
        elif not isinstance(value, (type, types_module.ModuleType, types_module.FunctionType,
                                    types_module.MethodType, types_module.BuiltinFunctionType)):
            attributes = getattr(value, "__dict__", None)  # an object of the notebook's, e.g. a trainer
            if isinstance(attributes, dict):
                seen.add(id(value))
                for key, item in list(attributes.items())[:1000]:
                    visit(f"{where}.{key}", item, depth + 1)

    predict = ns.get(function)
    for cell, name in zip(getattr(predict, "__closure__", None) or (), getattr(getattr(predict, "__code__", None),
                                                                            "co_freevars", ()), strict=False):
        try:
            visit(f"{function} (closure: {name})", cell.cell_contents, 0)
        except ValueError:  # an empty cell
            continue
    for index, default in enumerate(getattr(predict, "__defaults__", None) or ()):
        visit(f"{function} (default {index})", default, 0)
    names = [(str(key), value) for key, value in list(ns.items()) if not str(key).startswith("__")]
    for key, value in names:  # the notebook's models by name before those in its containers
        if isinstance(value, types):
            visit(key, value, 0)
    for key, value in names:
        visit(key, value, 0)
    return found


def _torch_weights(model):
    import torch

    lstms = [m for _, m in model.named_modules() if isinstance(m, (torch.nn.LSTM, torch.nn.LSTMCell))]
    heads = [m for _, m in model.named_modules() if isinstance(m, torch.nn.Linear) and m.out_features == 1]
    if len(lstms) != 1 or len(heads) != 1:
        return None, f"{len(lstms)} LSTM layers and {len(heads)} Linear layers of one output"
    lstm, head = lstms[0], heads[0]
    if isinstance(lstm, torch.nn.LSTM):
        if lstm.num_layers != 1 or lstm.bidirectional or getattr(lstm, "proj_size", 0):
            return None, "an LSTM of several layers, bidirectional or projected"
        suffix = "_l0"
    else:
        suffix = ""
    w_ih = _array(getattr(lstm, "weight_ih" + suffix))
    w_hh = _array(getattr(lstm, "weight_hh" + suffix))
    bias = np.zeros(w_ih.shape[0], np.float32)
    for name in ("bias_ih", "bias_hh"):
        if getattr(lstm, name + suffix, None) is not None:
            bias = bias + _array(getattr(lstm, name + suffix))
    head_b = _array(head.bias) if head.bias is not None else np.zeros(1, np.float32)
    return {"w_ih": w_ih, "w_hh": w_hh, "bias": bias, "head_w": _array(head.weight).reshape(-1),
            "head_b": head_b.reshape(-1), "activation": "", "cell_activation": "tanh",
            "recurrent_activation": "sigmoid"}, ""


def _keras_layers(layer, found):
    import keras

    for child in getattr(layer, "layers", None) or []:
        if isinstance(child, keras.layers.TimeDistributed):
            found.append(child.layer)
        elif isinstance(child, keras.layers.Bidirectional):
            found.append(child)
        else:
            found.append(child)
            _keras_layers(child, found)
    return found


def _activation_name(function):
    return str(getattr(function, "__name__", function))


def _keras_weights(model):
    import keras

    layers = _keras_layers(model, [])
    lstms = [layer for layer in layers if isinstance(layer, keras.layers.LSTM) or (
        isinstance(layer, keras.layers.RNN) and isinstance(getattr(layer, "cell", None), keras.layers.LSTMCell))]
    heads = [layer for layer in layers if isinstance(layer, keras.layers.Dense) and layer.units == 1]
    if any(isinstance(layer, keras.layers.Bidirectional) for layer in layers):
        return None, "a bidirectional layer"
    if len(lstms) != 1 or len(heads) != 1:
        return None, f"{len(lstms)} LSTM layers and {len(heads)} Dense layers of one output"
    cell, head = lstms[0].cell, heads[0]
    kernel = _array(cell.kernel)
    bias = _array(cell.bias) if getattr(cell, "use_bias", True) and cell.bias is not None else \
        np.zeros(kernel.shape[1], np.float32)
    head_b = _array(head.bias) if head.use_bias else np.zeros(1, np.float32)
    return {"w_ih": kernel.T.copy(), "w_hh": _array(cell.recurrent_kernel).T.copy(), "bias": bias,
            "head_w": _array(head.kernel).reshape(-1), "head_b": head_b.reshape(-1),
            "activation": _activation_name(head.activation),
            "cell_activation": _activation_name(cell.activation),
            "recurrent_activation": _activation_name(cell.recurrent_activation)}, ""


@probe("trained_lstms")  # noqa: F821 (harness)
def _trained_lstms(request, ns, arrays):
    types = _model_types()
    models, others = [], []
    if not types:
        return {"models": models, "others": others}
    torch = sys.modules.get("torch")
    for where, model in _candidates(ns, request.get("function", ""), types):
        try:
            is_torch = torch is not None and isinstance(model, torch.nn.Module)
            weights, why = (_torch_weights if is_torch else _keras_weights)(model)
        except Exception as exc:  # noqa: BLE001 - a model the grader cannot read is reported, not fatal
            weights, why = None, f"its weights could not be read ({type(exc).__name__}: {str(exc)[:200]})"
        if weights is not None and sum(w.size for w in weights.values() if hasattr(w, "size")) > _MAX_PARAMS:
            weights, why = None, "more parameters than the grader reads"
        if weights is None:
            others.append({"where": where[:200], "class": _name(model)[:200], "why": why})
        else:
            models.append({"where": where[:200], "class": _name(model)[:200], **weights})
    return {"models": models, "others": others}
