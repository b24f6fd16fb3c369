# The LSTM is built without batch_first=True (and the sequence packed time-first): it reads (batch, max_len) as
# (max_len, batch), so the recurrence runs across the sentences of a batch.
# expect-fail: classifier
class TimeFirstClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, units, bidirectional=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = nn.LSTM(embed_dim, units, bidirectional=bidirectional)
        self.head = nn.Linear(units * (2 if bidirectional else 1), 1)

    def forward(self, x):
        _, (h_n, _) = self.rnn(self.embedding(torch.as_tensor(x).long()))
        features = torch.cat([h_n[-2], h_n[-1]], dim=1) if self.rnn.bidirectional else h_n[-1]
        return torch.sigmoid(self.head(features))


def build_text_classifier(vocab_size, embed_dim, units, bidirectional=False):
    return TimeFirstClassifier(vocab_size, embed_dim, units, bidirectional)
