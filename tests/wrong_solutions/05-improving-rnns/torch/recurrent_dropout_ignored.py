# recurrent_dropout is accepted but ignored: nn.GRU has no recurrent dropout, and only the inputs are dropped.
# expect-fail: dropout-training-only
def build_regularized_gru(seq_len, n_features, units, l1=0.0, l2=0.0, dropout=0.0, recurrent_dropout=0.0):
    model = RegularizedGRU(n_features, units, dropout, 0.0)
    model.l1, model.l2 = l1, l2
    return model
