# The stacked GRUs are built without batch_first=True: they read (batch, seq_len, features) as (seq_len,
# batch, features), so the recurrence runs across the examples of a batch (and the sequence an intermediate
# layer passes on runs over the batch, not over time). Output shapes and parameter counts look right.
# expect-fail: stacked-gru-shapes, stacked-returns-sequences
class TimeFirstStackedGRU(nn.Module):
    def __init__(self, n_features, units):
        super().__init__()
        sizes = [n_features, *units]
        self.layers = nn.ModuleList(nn.GRU(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.head = nn.Linear(sizes[-1], 1)

    def forward(self, x):
        for layer in self.layers:
            x, _ = layer(x)
        return self.head(x[:, -1])


def build_stacked_gru(seq_len, n_features, units=(32, 16)):
    return TimeFirstStackedGRU(n_features, tuple(units))
