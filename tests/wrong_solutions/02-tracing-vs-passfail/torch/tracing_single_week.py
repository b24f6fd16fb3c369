# Uses a single week: predict_tracing is the notebook's linear regression on the same week's features
# alone (one_week), no history. It does not depend on where masked weeks fall, but it is not good enough.
# expect-fail: tracing-rmse
def predict_tracing(X):
    X = np.asarray(X, dtype=np.float32)
    return torch.as_tensor(one_week.predict(X.reshape(-1, X.shape[-1])).reshape(len(X), N_WEEKS), dtype=torch.float32)
