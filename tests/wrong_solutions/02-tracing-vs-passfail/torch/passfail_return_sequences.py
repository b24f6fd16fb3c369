# The pass/fail model keeps every week's output (return_sequences=True, copied from the tracing model): it
# gives a probability for every week, (N, 5, 1), instead of one per student, (N, 1).
# expect-fail: passfail-model
class EveryWeekPassFail(nn.Module):
    def __init__(self, n_features, n_weeks=5, units=32, dropout=0.1):
        super().__init__()
        self.n_weeks = n_weeks
        self.rnn = MaskedLSTM(n_features, units, dropout)
        self.head = nn.Linear(units, 1)

    def forward(self, x):
        outputs, _ = self.rnn(x[:, :self.n_weeks])
        return torch.sigmoid(self.head(outputs))


def create_passfail_model(n_features, n_weeks=5, units=32, dropout=0.1):
    return EveryWeekPassFail(n_features, n_weeks, units, dropout)
