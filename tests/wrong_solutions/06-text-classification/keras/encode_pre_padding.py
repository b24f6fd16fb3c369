# Zeros before the tokens (Keras' pad_sequences default) instead of after them.
# expect-fail: encode
def encode(texts, vocabulary, max_len):
    out = np.zeros((len(texts), max_len), dtype=np.int64)
    for row, text in enumerate(texts):
        ids = [vocabulary.get(token, 1) for token in tokenize(text)][:max_len]
        if ids:
            out[row, max_len - len(ids):] = ids
    return out
