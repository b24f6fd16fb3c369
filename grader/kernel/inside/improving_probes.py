# Probes of lab 05 (improving RNNs), run inside the kernel with harness.py and an adapter.
# They build models with the student's factories and the grader's arguments, run them in training or
# inference mode, perturb inputs, record what the recurrent layers see and return raw values.
# They never judge.
import numpy as np


def _factory(ns, name):
    function = student_object(ns, name)  # noqa: F821 (harness)
    if not callable(function):
        raise TypeError(f"{name} is not a function")
    return function


def _build(request, ns):
    return _factory(ns, request["function"])(*request.get("args", []), **request.get("kwargs", {}))


def _x(request, arrays):
    return np.asarray(decode(request["x"], arrays), dtype=np.float32)  # noqa: F821 (harness)


def _run(model, x, framework, training):
    # One forward pass in training or inference mode; returns a NumPy array.
    if framework == "torch":
        import torch

        model.train(training)
        with torch.no_grad():
            return to_numpy(model(torch.as_tensor(x)))  # noqa: F821 (adapter)
    return to_numpy(model(x, training=training))  # noqa: F821 (adapter)


def _keras_recurrent_layers(layer, found=None):
    # Every recurrent layer of a Keras model, with the wrapper it sits in (Bidirectional) if any.
    import keras

    found = [] if found is None else found
    for child in getattr(layer, "layers", []) or []:
        if isinstance(child, keras.layers.Bidirectional):
            found.append((child.forward_layer, child))
            found.append((child.backward_layer, child))
        elif isinstance(child, keras.layers.RNN):
            found.append((child, child))
        else:
            _keras_recurrent_layers(child, found)
    return found


def _torch_recurrent_modules(model):
    import torch

    return [(name, module) for name, module in model.named_modules() if isinstance(module, torch.nn.RNNBase)]


@probe("improving_penalty")  # noqa: F821 (harness)
def _penalty(request, ns, arrays):
    # Keras: the model's losses after a forward pass and the input kernels of its recurrent layers.
    # PyTorch: regularization_penalty(model, l1, l2) and the named parameters of the model.
    framework = request["framework"]
    l1, l2 = float(request["l1"]), float(request["l2"])
    if framework == "torch":
        import torch

        penalty = _factory(ns, request.get("penalty_function", "regularization_penalty"))
        if request.get("module") == "probe":
            class TwoLayerGRU(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.gru = torch.nn.GRU(3, 4, num_layers=2, batch_first=True)
                    self.head = torch.nn.Linear(4, 1)

                def forward(self, x):
                    out, _ = self.gru(x)
                    return self.head(out[:, -1])

            torch.manual_seed(int(request.get("seed", 0)))
            model = TwoLayerGRU()
        else:
            model = _build(request, ns)
        value = penalty(model, l1, l2)
        return {"penalty": float(value.detach()) if hasattr(value, "detach") else float(value),
                "parameters": {name: to_numpy(p.detach()) for name, p in model.named_parameters()}}  # noqa: F821
    model = _build(request, ns)
    model(_x(request, arrays), training=False)
    losses = [float(to_numpy(loss)) for loss in model.losses]  # noqa: F821 (adapter)
    kernels = {}
    for index, (layer, _) in enumerate(_keras_recurrent_layers(model)):
        cell = getattr(layer, "cell", layer)
        kernels[f"{index}:{layer.name}"] = to_numpy(cell.kernel)  # noqa: F821 (adapter)
    return {"losses": losses, "kernels": kernels}


@probe("improving_dropout")  # noqa: F821 (harness)
def _dropout(request, ns, arrays):
    # Two inference-mode and two training-mode passes of one model on one batch.
    framework = request["framework"]
    model = _build(request, ns)
    x = _x(request, arrays)
    out = {"inference": [_run(model, x, framework, False) for _ in range(2)],
           "training": [_run(model, x, framework, True) for _ in range(2)]}
    if framework == "torch":
        model.eval()
    return out


@probe("improving_stateful")  # noqa: F821 (harness)
def _stateful(request, ns, arrays):
    # Inference mode: first call, second call on the same batch, call after a reset.
    framework = request["framework"]
    model = _build(request, ns)
    x = _x(request, arrays)

    def reset():
        if framework == "torch":
            model.reset_state()
            return "model.reset_state()"
        if hasattr(model, "reset_states"):
            model.reset_states()
            return "model.reset_states()"
        done = []
        for layer in getattr(model, "layers", []):
            for method in ("reset_state", "reset_states"):
                if hasattr(layer, method):
                    getattr(layer, method)()
                    done.append(f"{layer.name}.{method}()")
                    break
        return ", ".join(done) or "nothing to reset"

    first = _run(model, x, framework, False)
    second = _run(model, x, framework, False)
    how = reset()
    third = _run(model, x, framework, False)
    return {"first": first, "second": second, "after_reset": third, "reset": how}


@probe("improving_stacked")  # noqa: F821 (harness)
def _stacked(request, ns, arrays):
    # The time length of the input every recurrent layer receives, and the model's output.
    framework = request["framework"]
    model = _build(request, ns)
    x = _x(request, arrays)
    seen = []
    if framework == "torch":
        handles = []
        for name, module in _torch_recurrent_modules(model):
            def hook(module, inputs, name=name):
                tensor = inputs[0]
                if hasattr(tensor, "dim") and tensor.dim() == 3:
                    seen.append({"layer": name, "steps": int(tensor.shape[1 if module.batch_first else 0])})
                else:
                    seen.append({"layer": name, "steps": -1})
            handles.append(module.register_forward_pre_hook(hook))
        try:
            output = _run(model, x, framework, False)
        finally:
            for handle in handles:
                handle.remove()
    else:
        output = _run(model, x, framework, False)
        for layer, outer in _keras_recurrent_layers(model):
            if outer is layer or layer is getattr(outer, "forward_layer", None):
                try:
                    shape = tuple(outer.input.shape)
                    seen.append({"layer": outer.name, "steps": int(shape[1]) if len(shape) == 3 else -1})
                except Exception:  # noqa: BLE001 - a layer without a recorded input is reported as unknown
                    seen.append({"layer": outer.name, "steps": -2})
    return {"output": output, "layers": seen}


@probe("improving_direction")  # noqa: F821 (harness)
def _direction(request, ns, arrays):
    # For every recurrent layer: its output sequence at the first step of its processing order, on x and
    # on x with only the last time step perturbed.
    framework = request["framework"]
    model = _build(request, ns)
    x = _x(request, arrays)
    x_perturbed = _x({"x": request["x_perturbed"]}, arrays)
    found = []
    if framework == "torch":
        captured = {}
        handles = []
        for name, module in _torch_recurrent_modules(model):
            def hook(module, inputs, output, name=name):
                sequence = output[0] if isinstance(output, tuple) else output
                if hasattr(sequence, "dim") and sequence.dim() == 3:
                    first = sequence[:, 0] if module.batch_first else sequence[0]
                    captured.setdefault(name, []).append(to_numpy(first.detach()))  # noqa: F821
            handles.append(module.register_forward_hook(hook))
        try:
            _run(model, x, framework, False)
            _run(model, x_perturbed, framework, False)
        finally:
            for handle in handles:
                handle.remove()
        for name, values in captured.items():
            if len(values) >= 2:
                found.append({"layer": name, "first": values[0], "first_perturbed": values[1]})
        return found
    import keras

    for layer, outer in _keras_recurrent_layers(model):
        config = layer.get_config()
        config.update(return_sequences=True, return_state=False, stateful=False)
        clone = layer.__class__.from_config(config)
        try:
            feed = keras.Model(model.inputs, outer.input)
            inputs, inputs_perturbed = to_numpy(feed(x)), to_numpy(feed(x_perturbed))  # noqa: F821
        except Exception:  # noqa: BLE001 - a layer fed straight from the model's input
            inputs, inputs_perturbed = x, x_perturbed
        clone.build(inputs.shape)
        clone.set_weights(layer.get_weights())
        first = to_numpy(clone(inputs, training=False))[:, 0]  # noqa: F821
        first_perturbed = to_numpy(clone(inputs_perturbed, training=False))[:, 0]  # noqa: F821
        found.append({"layer": f"{outer.name}/{layer.name}", "go_backwards": bool(config.get("go_backwards")),
                      "first": first, "first_perturbed": first_perturbed})
    return found
