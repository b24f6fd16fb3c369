# Baseline, not a model: predict_tracing returns the mean training quiz score for every student and week.
# expect-fail: tracing-rmse
_mean_score = float(y_tr[:, :, 0][y_tr[:, :, 0] != MASK_VALUE].mean())


def predict_tracing(X):
    return np.full((len(X), N_WEEKS), _mean_score, dtype=np.float32)
