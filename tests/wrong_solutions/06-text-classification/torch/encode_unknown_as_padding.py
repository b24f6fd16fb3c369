# An unknown token becomes 0, the padding id, instead of 1.
# expect-fail: encode
def encode(texts, vocabulary, max_len):
    out = np.zeros((len(texts), max_len), dtype=np.int64)
    for row, text in enumerate(texts):
        ids = [vocabulary.get(token, 0) for token in tokenize(text)][:max_len]
        out[row, : len(ids)] = ids
    return out
