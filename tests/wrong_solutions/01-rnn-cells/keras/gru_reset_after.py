# to_builtin("gru") keeps Keras's default reset_after=True, which applies the reset gate after W_hh.
# expect-fail: to-builtin-gru
_to_builtin_reference = to_builtin


def to_builtin(cell, p):
    if cell != "gru":
        return _to_builtin_reference(cell, p)
    P = {name: np.asarray(ops.convert_to_numpy(value), dtype="float32") for name, value in p.items()}
    n, m = P["W_hx"].shape
    layer = keras.layers.GRU(n, return_sequences=True)
    layer.build((None, None, m))
    bias = np.concatenate([P[f"b_{g}"] for g in "urh"])
    layer.set_weights([np.concatenate([P[f"W_{g}x"].T for g in "urh"], axis=1),
                       np.concatenate([P[f"W_{g}h"].T for g in "urh"], axis=1),
                       np.stack([bias, np.zeros_like(bias)])])
    return layer
