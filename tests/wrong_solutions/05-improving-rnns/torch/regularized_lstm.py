# The regularised model uses an LSTM cell instead of a GRU cell: four gate blocks, the wrong parameter count.
# expect-fail: regularized-gru-shapes
class RegularizedLSTM(RegularizedGRU):
    def __init__(self, n_features, units, dropout=0.0, recurrent_dropout=0.0):
        super().__init__(n_features, units, dropout, recurrent_dropout)
        self.cell = nn.LSTMCell(n_features, units)

    def forward(self, x):
        batch, steps, _ = x.shape
        h = c = x.new_zeros(batch, self.units)
        in_mask = rec_mask = None
        if self.training and self.dropout > 0:
            in_mask = torch.bernoulli(x.new_full(x[:, 0].shape, 1 - self.dropout)) / (1 - self.dropout)
        if self.training and self.recurrent_dropout > 0:
            keep = 1 - self.recurrent_dropout
            rec_mask = torch.bernoulli(x.new_full((batch, self.units), keep)) / keep
        for t in range(steps):
            x_t = x[:, t] if in_mask is None else x[:, t] * in_mask
            h, c = self.cell(x_t, (h if rec_mask is None else h * rec_mask, c))
        return self.head(h)


def build_regularized_gru(seq_len, n_features, units, l1=0.0, l2=0.0, dropout=0.0, recurrent_dropout=0.0):
    return RegularizedLSTM(n_features, units, dropout, recurrent_dropout)
