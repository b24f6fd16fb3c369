# The optimizer clips by value (clipvalue): every entry of the gradient is clamped, the direction changes.
# expect-fail: make-optimizer-clips
def make_optimizer(learning_rate, max_norm):
    return keras.optimizers.SGD(learning_rate=learning_rate, clipvalue=max_norm)
