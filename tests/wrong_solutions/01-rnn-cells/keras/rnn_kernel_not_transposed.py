# to_builtin hands SimpleRNN the lecture's (n, m) matrices untransposed (square case only works by accident).
# expect-fail: to-builtin-rnn
_to_builtin_reference = to_builtin


def to_builtin(cell, p):
    if cell != "rnn":
        return _to_builtin_reference(cell, p)
    P = {name: np.asarray(ops.convert_to_numpy(value), dtype="float32") for name, value in p.items()}
    n, m = P["W_hx"].shape
    layer = keras.layers.SimpleRNN(n, return_sequences=True)
    layer.build((None, None, m))
    layer.set_weights([P["W_hx"].reshape(m, n), P["W_hh"], P["b_h"]])
    return layer
