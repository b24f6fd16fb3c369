# l1 and l2 are accepted but no regularizer is set: the loss never sees the penalty.
# expect-fail: penalty-in-loss
def build_regularized_gru(seq_len, n_features, units, l1=0.0, l2=0.0, dropout=0.0, recurrent_dropout=0.0):
    inputs = keras.Input((seq_len, n_features))
    h = layers.GRU(units, dropout=dropout, recurrent_dropout=recurrent_dropout)(inputs)
    return keras.Model(inputs, layers.Dense(1)(h))
