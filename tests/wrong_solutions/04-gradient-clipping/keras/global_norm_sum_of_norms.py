# global_norm adds up the norms of the tensors instead of taking the norm of all their entries together;
# clip_by_global_norm, which uses it, then shrinks too much and also shrinks lists below the threshold.
# expect-fail: global-norm, clip-by-global-norm, clip-below-threshold
def global_norm(grads):
    return sum(float(keras.ops.sqrt(keras.ops.sum(keras.ops.square(keras.ops.convert_to_tensor(g, dtype="float32"))))) for g in grads)
