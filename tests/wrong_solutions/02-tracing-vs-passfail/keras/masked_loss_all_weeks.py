# The loss runs over the masked weeks too: a plain mean squared error, so the model is pulled towards the
# -1.0 targets of the weeks without a quiz (62 % of them).
# expect-fail: masked-loss
def masked_loss(y_true, y_pred):
    y_true = ops.reshape(ops.cast(y_true, "float32"), (-1,))
    y_pred = ops.reshape(ops.cast(y_pred, "float32"), (-1,))
    return ops.mean(ops.square(y_true - y_pred))
