# Adam without any clipping: its first step does not depend on the gradient's scale, but the huge gradient
# enters its moment estimates and the second step differs from Adam fed the clipped gradient.
# expect-fail: make-optimizer-clips
def make_optimizer(learning_rate, max_norm):
    return keras.optimizers.Adam(learning_rate=learning_rate)
