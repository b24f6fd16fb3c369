# predict_passfail feeds all 10 weeks to the pass/fail LSTM (the trained weights in a model for 10 weeks):
# a prediction "after 5 weeks" that looks at weeks 6-10, which have not happened yet.
# (The metric checks find these predictions are not the trained model's on weeks 1-5 either.)
# expect-fail: passfail-first-5-weeks, passfail-auc, passfail-balanced-accuracy
_passfail_10 = create_passfail_model(X.shape[-1], n_weeks=N_WEEKS, units=best["units"], dropout=best["dropout"])
_passfail_10.set_weights(passfail_model.get_weights())


def predict_passfail(X):
    return _passfail_10.predict(np.asarray(X, dtype=np.float32), batch_size=256, verbose=0).reshape(-1)
