# The LSTM runs over the padded tensor (no packing) and the model uses the output at the last step, which is
# the state after the padding, not after the sentence's last token.
# expect-fail: classifier
class PaddedClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, units, bidirectional=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = nn.LSTM(embed_dim, units, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(units * (2 if bidirectional else 1), 1)

    def forward(self, x):
        out, _ = self.rnn(self.embedding(torch.as_tensor(x).long()))
        return torch.sigmoid(self.head(out[:, -1]))


def build_text_classifier(vocab_size, embed_dim, units, bidirectional=False):
    return PaddedClassifier(vocab_size, embed_dim, units, bidirectional)
