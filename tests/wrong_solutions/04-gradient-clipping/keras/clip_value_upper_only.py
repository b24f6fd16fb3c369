# clip_by_value applies only the upper limit: entries below -limit are left as they are.
# expect-fail: clip-by-value
def clip_by_value(grads, limit):
    return [keras.ops.minimum(keras.ops.convert_to_tensor(g, dtype="float32"), limit) for g in grads]
