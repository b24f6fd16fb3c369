# clipnorm clips the gradient of each variable on its own, not the global norm of all of them together.
# expect-fail: make-optimizer-clips
def make_optimizer(learning_rate, max_norm):
    return keras.optimizers.SGD(learning_rate=learning_rate, clipnorm=max_norm)
