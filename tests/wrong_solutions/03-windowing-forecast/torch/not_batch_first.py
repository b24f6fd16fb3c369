# The recurrent layers are built without batch_first=True: nn.RNN and nn.GRU then read (batch, seq_len,
# features) as (seq_len, batch, features), so the recurrence runs across the examples of a batch and each
# window's forecast depends on the other windows in its batch. Output shapes and parameter counts are right.
# expect-fail: build-simple-rnn, build-gru
class TimeFirstRegressor(nn.Module):
    def __init__(self, recurrent_cls, n_features, units):
        super().__init__()
        self.rnn = recurrent_cls(input_size=n_features, hidden_size=units)
        self.head = nn.Linear(units, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def build_simple_rnn(seq_len, n_features, units=16):
    return TimeFirstRegressor(nn.RNN, n_features, units)


def build_gru(seq_len, n_features, units=16):
    return TimeFirstRegressor(nn.GRU, n_features, units)
