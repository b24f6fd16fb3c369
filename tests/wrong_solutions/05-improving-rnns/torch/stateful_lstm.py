# The stateful model uses an LSTM instead of a GRU: the wrong parameter count.
# expect-fail: stateful-shapes
class StatefulLSTM(StatefulGRU):
    def __init__(self, batch_size, n_features, units):
        super().__init__(batch_size, n_features, units)
        self.gru = nn.LSTM(n_features, units, batch_first=True)

    def forward(self, x):
        out, (h, c) = self.gru(x, self.state)
        self.state = (h.detach(), c.detach())
        return self.head(out[:, -1])


def build_stateful_gru(batch_size, seq_len, n_features, units):
    return StatefulLSTM(batch_size, n_features, units)
