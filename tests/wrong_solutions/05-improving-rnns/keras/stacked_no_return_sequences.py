# No layer returns sequences: the second GRU is fed a (batch, units) tensor and the model cannot be built.
# expect-fail: stacked-gru-shapes, stacked-returns-sequences
def build_stacked_gru(seq_len, n_features, units=(32, 16)):
    inputs = keras.Input((seq_len, n_features))
    h = inputs
    for n in units:
        h = layers.GRU(n)(h)
    return keras.Model(inputs, layers.Dense(1)(h))
