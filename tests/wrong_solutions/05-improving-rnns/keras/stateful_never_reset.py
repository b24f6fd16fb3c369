# The layer's reset does nothing: the state of earlier batches leaks into the next sequence.
# expect-fail: stateful-carries-and-resets
class StickyGRU(layers.GRU):
    def reset_state(self):
        pass

    def reset_states(self):
        pass


def build_stateful_gru(batch_size, seq_len, n_features, units):
    inputs = keras.Input(batch_shape=(batch_size, seq_len, n_features))
    h = StickyGRU(units, stateful=True)(inputs)
    return keras.Model(inputs, layers.Dense(1)(h))
