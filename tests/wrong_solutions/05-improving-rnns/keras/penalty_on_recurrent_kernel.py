# The L1/L2 penalty is put on the recurrent kernel (recurrent_regularizer) instead of the input kernel.
# expect-fail: penalty-in-loss
def build_regularized_gru(seq_len, n_features, units, l1=0.0, l2=0.0, dropout=0.0, recurrent_dropout=0.0):
    inputs = keras.Input((seq_len, n_features))
    h = layers.GRU(units, recurrent_regularizer=keras.regularizers.L1L2(l1=l1, l2=l2),
                   dropout=dropout, recurrent_dropout=recurrent_dropout)(inputs)
    return keras.Model(inputs, layers.Dense(1)(h))
