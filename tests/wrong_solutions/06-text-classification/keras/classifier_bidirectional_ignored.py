# bidirectional is accepted but ignored: always one direction.
# expect-fail: classifier
def build_text_classifier(vocab_size, embed_dim, units, bidirectional=False):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)
    x = keras.layers.LSTM(units)(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
