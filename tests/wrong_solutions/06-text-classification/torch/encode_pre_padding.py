# Zeros before the tokens (Keras' pad_sequences default) instead of after them. The trained model packs each
# sentence with its number of non-zero ids, so on pre-padded input it reads padding: predict_texts fails too.
# expect-fail: encode, accuracy
def encode(texts, vocabulary, max_len):
    out = np.zeros((len(texts), max_len), dtype=np.int64)
    for row, text in enumerate(texts):
        ids = [vocabulary.get(token, 1) for token in tokenize(text)][:max_len]
        if ids:
            out[row, max_len - len(ids):] = ids
    return out
