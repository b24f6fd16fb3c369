# The lower layers pass on only their last step (no return sequences): the next GRU reads a sequence of length 1.
# expect-fail: stacked-returns-sequences
class LastStepStack(StackedGRU):
    def forward(self, x):
        for layer in self.layers:
            x, _ = layer(x)
            x = x[:, -1:]
        return self.head(x[:, -1])


def build_stacked_gru(seq_len, n_features, units=(32, 16)):
    return LastStepStack(n_features, tuple(units))
