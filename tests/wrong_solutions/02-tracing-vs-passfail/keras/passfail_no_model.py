# No recurrent model: predict_passfail is a class-weighted logistic regression on a summary of weeks 1-5 (quizzes
# taken, which ones, the mean and the largest value of each feature over the weeks with a quiz). On this data it
# reaches the AUC and balanced accuracy of the trained LSTM, so the metric checks require the predictions to be
# the notebook's trained LSTM's; it also reads where the masked weeks fall.
# expect-fail: passfail-auc, passfail-balanced-accuracy, passfail-masking
def _summary(X):
    part = np.asarray(X)[:, :N_WEEKS_PASSFAIL]
    seen = (part != MASK_VALUE).any(axis=-1)
    values = np.where(part == MASK_VALUE, 0.0, part)
    count = seen.sum(axis=1, keepdims=True)
    return np.concatenate([count, values.sum(axis=1) / np.maximum(count, 1), seen, values.max(axis=1)], axis=1)


_summary_lr = LogisticRegression(max_iter=3000, class_weight="balanced").fit(_summary(X_tr), l_tr)


def predict_passfail(X):
    return _summary_lr.predict_proba(_summary(X))[:, 1]
