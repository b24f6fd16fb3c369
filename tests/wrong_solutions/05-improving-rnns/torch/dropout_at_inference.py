# The dropout masks are drawn whatever the mode: the model stays random in eval() mode.
# expect-fail: dropout-training-only
class AlwaysDropGRU(RegularizedGRU):
    def forward(self, x):
        was = self.training
        self.training = True
        try:
            return super().forward(x)
        finally:
            self.training = was


def build_regularized_gru(seq_len, n_features, units, l1=0.0, l2=0.0, dropout=0.0, recurrent_dropout=0.0):
    model = AlwaysDropGRU(n_features, units, dropout, recurrent_dropout)
    model.l1, model.l2 = l1, l2
    return model
