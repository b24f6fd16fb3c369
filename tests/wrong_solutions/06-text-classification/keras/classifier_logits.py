# The output unit has no sigmoid: logits, not probabilities.
# expect-fail: classifier
def build_text_classifier(vocab_size, embed_dim, units, bidirectional=False):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)
    recurrent = keras.layers.LSTM(units)
    x = keras.layers.Bidirectional(recurrent)(x) if bidirectional else recurrent(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))
