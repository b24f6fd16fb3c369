# to_builtin stacks the LSTM blocks in the lecture's order (f, i, o, c) instead of Keras's (i, f, c, o).
# expect-fail: to-builtin-lstm
_to_builtin_reference = to_builtin


def to_builtin(cell, p):
    if cell != "lstm":
        return _to_builtin_reference(cell, p)
    P = {name: np.asarray(ops.convert_to_numpy(value), dtype="float32") for name, value in p.items()}
    n, m = P["W_fx"].shape
    layer = keras.layers.LSTM(n, return_sequences=True)
    layer.build((None, None, m))
    layer.set_weights([np.concatenate([P[f"W_{g}x"].T for g in "fioc"], axis=1),
                       np.concatenate([P[f"W_{g}h"].T for g in "fioc"], axis=1),
                       np.concatenate([P[f"b_{g}"] for g in "fioc"])])
    return layer
