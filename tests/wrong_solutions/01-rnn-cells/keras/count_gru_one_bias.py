# The parameter count gives the GRU one bias vector per block, but Keras's default reset_after=True keeps two.
# expect-fail: count-params
def count_params(cell, n_features, n_units, n_outputs):
    m, n, k = n_features, n_units, n_outputs
    blocks = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    return blocks * (n * m + n * n + n) + k * n + k
