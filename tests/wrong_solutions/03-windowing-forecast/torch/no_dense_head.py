# The models stop at the recurrent layer: forward returns the last hidden state (batch, units) without the
# nn.Linear(units, 1) head.
# expect-fail: build-simple-rnn, build-gru
class _NoHead(nn.Module):
    def __init__(self, recurrent_cls, n_features, units):
        super().__init__()
        self.rnn = recurrent_cls(input_size=n_features, hidden_size=units, batch_first=True)

    def forward(self, x):
        out, _ = self.rnn(x)
        return out[:, -1]


def build_simple_rnn(seq_len, n_features, units=16):
    return _NoHead(nn.RNN, n_features, units)


def build_gru(seq_len, n_features, units=16):
    return _NoHead(nn.GRU, n_features, units)
