# Input dropout is applied whatever the mode (a dropout layer that ignores `training`): the model stays
# random at inference.
# expect-fail: dropout-training-only
class AlwaysDropout(layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(0)

    def call(self, inputs):
        return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)


def build_regularized_gru(seq_len, n_features, units, l1=0.0, l2=0.0, dropout=0.0, recurrent_dropout=0.0):
    inputs = keras.Input((seq_len, n_features))
    h = AlwaysDropout(dropout)(inputs) if dropout else inputs
    h = layers.GRU(units, kernel_regularizer=keras.regularizers.L1L2(l1=l1, l2=l2),
                   recurrent_dropout=recurrent_dropout)(h)
    return keras.Model(inputs, layers.Dense(1)(h))
