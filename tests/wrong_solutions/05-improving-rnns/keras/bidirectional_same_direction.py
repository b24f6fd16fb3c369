# The "bidirectional" model concatenates two forward GRUs: same parameter count, nothing reads backwards.
# expect-fail: bidirectional-reads-backwards
def build_bidirectional_gru(seq_len, n_features, units):
    inputs = keras.Input((seq_len, n_features))
    h = layers.Concatenate()([layers.GRU(units)(inputs), layers.GRU(units)(inputs)])
    return keras.Model(inputs, layers.Dense(1)(h))
