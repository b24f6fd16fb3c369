# stateful=False: every call starts from zeros, the state is never carried to the next batch.
# expect-fail: stateful-carries-and-resets
def build_stateful_gru(batch_size, seq_len, n_features, units):
    inputs = keras.Input(batch_shape=(batch_size, seq_len, n_features))
    h = layers.GRU(units)(inputs)
    return keras.Model(inputs, layers.Dense(1)(h))
