# predict_passfail feeds all 10 weeks to the pass/fail LSTM (a copy of the trained model reading 10 weeks):
# a prediction "after 5 weeks" that looks at weeks 6-10, which have not happened yet.
# (The metric checks find these predictions are not the trained model's on weeks 1-5 either.)
# expect-fail: passfail-first-5-weeks, passfail-auc, passfail-balanced-accuracy
_passfail_10 = copy.deepcopy(passfail_model).eval()
_passfail_10.n_weeks = N_WEEKS


def predict_passfail(X):
    with torch.no_grad():
        return _passfail_10(torch.as_tensor(X, dtype=torch.float32)).reshape(-1)
