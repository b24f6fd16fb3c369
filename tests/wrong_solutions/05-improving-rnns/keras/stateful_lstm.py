# The stateful model uses an LSTM instead of a GRU: the wrong parameter count.
# expect-fail: stateful-shapes
def build_stateful_gru(batch_size, seq_len, n_features, units):
    inputs = keras.Input(batch_shape=(batch_size, seq_len, n_features))
    h = layers.LSTM(units, stateful=True)(inputs)
    return keras.Model(inputs, layers.Dense(1)(h))
