# An extra hidden dense layer after the bidirectional GRU: the parameter count is not the GRU's plus one output.
# expect-fail: bidirectional-shapes
def build_bidirectional_gru(seq_len, n_features, units):
    inputs = keras.Input((seq_len, n_features))
    h = layers.Bidirectional(layers.GRU(units))(inputs)
    return keras.Model(inputs, layers.Dense(1)(layers.Dense(units)(h)))
