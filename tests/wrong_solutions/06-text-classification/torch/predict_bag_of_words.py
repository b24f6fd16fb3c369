# predict_texts from a bag-of-words model: logistic regression on counts of words and pairs of neighbouring
# words (bigrams), trained on the training sentences. It ignores the order beyond neighbours and fails.
# expect-fail: accuracy
def _bow_features(texts, index):
    rows = np.zeros((len(texts), len(index)), dtype=np.float32)
    for row, text in enumerate(texts):
        tokens = tokenize(text)
        for gram in tokens + [a + " " + b for a, b in zip(tokens[:-1], tokens[1:])]:
            if gram in index:
                rows[row, index[gram]] += 1.0
    return rows


_grams = sorted({g for t in train_texts for g in tokenize(t) + [a + " " + b for a, b in zip(tokenize(t)[:-1], tokenize(t)[1:])]})
_index = {g: i for i, g in enumerate(_grams)}
_F = _bow_features(train_texts, _index)
_w, _b = np.zeros(_F.shape[1], dtype=np.float32), 0.0
for _ in range(300):  # full-batch gradient descent on the logistic loss, a little L2
    _p = 1.0 / (1.0 + np.exp(-(_F @ _w + _b)))
    _g = _p - train_labels
    _w -= 0.5 * (_F.T @ _g / len(_F) + 1e-3 * _w)
    _b -= 0.5 * float(_g.mean())


def predict_texts(texts):
    return (1.0 / (1.0 + np.exp(-(_bow_features(list(texts), _index) @ _w + _b)))).astype(np.float32)
