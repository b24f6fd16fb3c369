# predict returns the last observed temperature, i.e. the naive forecast itself, not the GRU's forecast.
# expect-fail: predict-beats-naive
def predict(X):
    return np.asarray(X, dtype=np.float32)[:, -1, 0]
