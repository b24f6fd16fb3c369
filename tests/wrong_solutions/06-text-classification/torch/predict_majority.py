# predict_texts returns the share of positive training sentences for every text.
# expect-fail: accuracy
def predict_texts(texts):
    return np.full(len(texts), float(np.mean(train_labels)), dtype=np.float32)
