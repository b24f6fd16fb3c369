# The models stop at the recurrent layer: no Dense(1) head, so they output (batch, units), not (batch, 1).
# expect-fail: build-simple-rnn, build-gru
def build_simple_rnn(seq_len, n_features, units=16):
    return keras.Sequential([keras.Input(shape=(seq_len, n_features)), keras.layers.SimpleRNN(units)])


def build_gru(seq_len, n_features, units=16):
    return keras.Sequential([keras.Input(shape=(seq_len, n_features)), keras.layers.GRU(units)])
