# The tracing model is built many-to-one: the head reads only the last state, so it gives one prediction
# per student, (N, 1), instead of one per week, (N, 10, 1).
# expect-fail: tracing-model
class LastStateTracing(nn.Module):
    def __init__(self, n_features, units=32, dropout=0.1):
        super().__init__()
        self.rnn = MaskedLSTM(n_features, units, dropout)
        self.head = nn.Linear(units, 1)

    def forward(self, x):
        _, last = self.rnn(x)
        return torch.sigmoid(self.head(last))


def create_tracing_model(n_features, units=32, dropout=0.1):
    return LastStateTracing(n_features, units, dropout)
