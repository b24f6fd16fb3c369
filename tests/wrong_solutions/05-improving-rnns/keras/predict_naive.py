# predict returns the naive last-value forecast instead of the trained model's.
# expect-fail: predict-beats-naive
def predict(X):
    return np.asarray(X, dtype=np.float32)[:, -1, 0]
