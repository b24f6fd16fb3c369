# The gradients are always rescaled to norm max_norm, also when their norm is below it (and all-zero
# gradients divide by zero): the lecture clips only if ||g|| > u.
# expect-fail: clip-below-threshold
def clip_by_global_norm(grads, max_norm):
    grads = [keras.ops.convert_to_tensor(g, dtype="float32") for g in grads]
    norm = global_norm(grads)
    return [g * (max_norm / norm) for g in grads]
