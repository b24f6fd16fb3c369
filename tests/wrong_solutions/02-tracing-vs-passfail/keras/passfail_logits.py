# predict_passfail returns the model's logits (the score before the sigmoid) instead of probabilities of
# passing: the ranking is the same, but the values are not probabilities and 0.5 is not the decision point.
# expect-fail: passfail-probabilities, passfail-auc, passfail-balanced-accuracy
_probability_of_passing = predict_passfail


def predict_passfail(X):
    p = np.clip(np.asarray(_probability_of_passing(X), dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p)).astype(np.float32)
