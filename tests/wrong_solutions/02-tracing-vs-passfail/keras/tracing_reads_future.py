# The tracing prediction for week t reads weeks after t: the trained model is also run backwards over the
# weeks and the two are blended (what a bidirectional layer does). Week t's quiz is predicted from what the
# student did later, which has not happened yet when the quiz is taken.
# expect-fail: tracing-rmse
def predict_tracing(X):
    X = np.asarray(X, dtype=np.float32)
    forwards = tracing_model.predict(X, batch_size=256, verbose=0).reshape(len(X), N_WEEKS)
    backwards = tracing_model.predict(X[:, ::-1].copy(), batch_size=256, verbose=0).reshape(len(X), N_WEEKS)[:, ::-1]
    return 0.7 * forwards + 0.3 * backwards
