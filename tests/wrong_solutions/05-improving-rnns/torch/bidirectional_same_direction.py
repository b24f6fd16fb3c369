# The "bidirectional" model runs two forward GRUs and concatenates them: same parameter count, but nothing
# reads the sequence backwards.
# expect-fail: bidirectional-reads-backwards
class TwoForwardGRUs(nn.Module):
    def __init__(self, n_features, units):
        super().__init__()
        self.forward_gru = nn.GRU(n_features, units, batch_first=True)
        self.second_gru = nn.GRU(n_features, units, batch_first=True)
        self.head = nn.Linear(2 * units, 1)

    def forward(self, x):
        a, _ = self.forward_gru(x)
        b, _ = self.second_gru(x)
        return self.head(torch.cat([a[:, -1], b[:, -1]], dim=1))


def build_bidirectional_gru(seq_len, n_features, units):
    return TwoForwardGRUs(n_features, units)
