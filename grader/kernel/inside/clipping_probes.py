# Probes of lab 04 (gradient clipping), run inside the kernel with harness.py and an adapter.
# They build small models, variables and optimizers from the values the grader sends, call the
# student's function and return raw values (parameters, trajectories, norms). They never judge.
import numpy as np


def _function(ns, name):
    function = student_object(ns, name)  # noqa: F821 (harness)
    if not callable(function):
        raise TypeError(f"{name} is not a function")
    return function


def _torch_rnn_model(params, many_to_many):
    import torch

    weight_ih = np.asarray(params["weight_ih"], dtype=np.float32)
    n, m = weight_ih.shape

    class RNNRegressor(torch.nn.Module):
        # A vanilla RNN (batch-first) and a linear head of one output.
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.RNN(m, n, batch_first=True)
            self.head = torch.nn.Linear(n, 1)

        def forward(self, x):
            states, _ = self.rnn(x)
            return self.head(states if many_to_many else states[:, -1])

    model = RNNRegressor()
    targets = {"weight_ih": model.rnn.weight_ih_l0, "weight_hh": model.rnn.weight_hh_l0,
               "bias_ih": model.rnn.bias_ih_l0, "bias_hh": model.rnn.bias_hh_l0,
               "weight_out": model.head.weight, "bias_out": model.head.bias}
    with torch.no_grad():
        for key, parameter in targets.items():
            parameter.copy_(torch.as_tensor(np.asarray(params[key], dtype=np.float32)))
    return model, targets


def _keras_rnn_model(params, steps, many_to_many):
    import keras

    weight_ih = np.asarray(params["weight_ih"], dtype=np.float32)
    n, m = weight_ih.shape
    inputs = keras.Input((steps, m))
    recurrent = keras.layers.SimpleRNN(n, return_sequences=many_to_many)
    head = keras.layers.Dense(1)
    model = keras.Model(inputs, head(recurrent(inputs)))
    recurrent.set_weights([weight_ih.T, np.asarray(params["weight_hh"], dtype=np.float32).T,
                           np.asarray(params["bias_ih"], dtype=np.float32) + np.asarray(params["bias_hh"], dtype=np.float32)])
    head.set_weights([np.asarray(params["weight_out"], dtype=np.float32).T, np.asarray(params["bias_out"], dtype=np.float32)])
    return model


@probe("clip_input_gradients")  # noqa: F821 (harness)
def _clip_input_gradients(request, ns, arrays):
    function = _function(ns, request["function"])
    params = decode(request["params"], arrays)  # noqa: F821
    x = decode(request["x"], arrays)  # noqa: F821
    many_to_many = bool(request.get("many_to_many", False))
    if request["framework"] == "torch":
        model, _ = _torch_rnn_model(params, many_to_many)
    else:
        model = _keras_rnn_model(params, int(np.asarray(to_numpy(x)).shape[1]), many_to_many)  # noqa: F821
    return function(model, x)


@probe("clip_train_step")  # noqa: F821 (harness)
def _clip_train_step(request, ns, arrays):
    import torch

    function = _function(ns, request["function"])
    params = decode(request["params"], arrays)  # noqa: F821
    model, targets = _torch_rnn_model(params, False)
    optimizer = torch.optim.SGD(model.parameters(), lr=float(request["learning_rate"]))
    loss_fn = torch.nn.MSELoss()
    steps = []
    for step in request["steps"]:
        x, y = decode(step["x"], arrays), decode(step["y"], arrays)  # noqa: F821
        returned = function(model, optimizer, loss_fn, x, y, step["max_norm"])
        steps.append({
            "returned": returned,
            "params": {key: to_numpy(parameter).copy() for key, parameter in targets.items()},  # noqa: F821
        })
    return steps


@probe("clip_optimizer")  # noqa: F821 (harness)
def _clip_optimizer(request, ns, arrays):
    import keras

    function = _function(ns, request["function"])
    initial = [np.asarray(value, dtype=np.float32) for value in decode(request["initial"], arrays)]  # noqa: F821
    trajectories = []
    for run in request["runs"]:
        optimizer = function(run["learning_rate"], run["max_norm"])
        variables = [keras.Variable(value.copy(), dtype="float32", name=f"v{index}") for index, value in enumerate(initial)]
        values = []
        for grads in decode(run["grads"], arrays):  # noqa: F821
            tensors = [keras.ops.convert_to_tensor(np.asarray(g, dtype=np.float32)) for g in grads]
            optimizer.apply_gradients(zip(tensors, variables, strict=True))
            values.append([to_numpy(variable).copy() for variable in variables])  # noqa: F821
        trajectories.append(values)
    return trajectories
