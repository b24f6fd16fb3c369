# predict forgets to convert the GRU's output back to degrees Celsius (it stays standardized).
# expect-fail: predict-beats-naive
def predict(X):
    X_s = (np.asarray(X, dtype=np.float32) - mean) / std
    return gru_model.predict(X_s, batch_size=1024, verbose=0).reshape(-1)
