# The regularised model uses an LSTM instead of a GRU: the wrong parameter count.
# expect-fail: regularized-gru-shapes
def build_regularized_gru(seq_len, n_features, units, l1=0.0, l2=0.0, dropout=0.0, recurrent_dropout=0.0):
    inputs = keras.Input((seq_len, n_features))
    h = layers.LSTM(units, kernel_regularizer=keras.regularizers.L1L2(l1=l1, l2=l2),
                    dropout=dropout, recurrent_dropout=recurrent_dropout)(inputs)
    return keras.Model(inputs, layers.Dense(1)(h))
