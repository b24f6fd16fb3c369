# Embedding without mask_zero=True: the LSTM reads the padding as input and its last state is taken after it.
# expect-fail: classifier
def build_text_classifier(vocab_size, embed_dim, units, bidirectional=False):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embed_dim)(inputs)
    recurrent = keras.layers.LSTM(units)
    x = keras.layers.Bidirectional(recurrent)(x) if bidirectional else recurrent(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
