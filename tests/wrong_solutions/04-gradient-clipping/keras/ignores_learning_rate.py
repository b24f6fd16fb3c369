# The learning rate is not passed on: the optimizer always uses its default learning rate.
# expect-fail: make-optimizer-learning-rate
def make_optimizer(learning_rate, max_norm):
    return keras.optimizers.SGD(global_clipnorm=max_norm)
