# Every stacked layer gets units[0] units (the last entries of units are ignored): wrong parameter count.
# expect-fail: stacked-gru-shapes
def build_stacked_gru(seq_len, n_features, units=(32, 16)):
    inputs = keras.Input((seq_len, n_features))
    h = inputs
    for index in range(len(units)):
        h = layers.GRU(units[0], return_sequences=index < len(units) - 1)(h)
    return keras.Model(inputs, layers.Dense(1)(h))
