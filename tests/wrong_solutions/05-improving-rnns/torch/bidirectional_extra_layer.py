# An extra hidden dense layer after the bidirectional GRU: the parameter count is not the GRU's plus one output.
# expect-fail: bidirectional-shapes
class DeepHeadBidirectional(BidirectionalGRU):
    def __init__(self, n_features, units):
        super().__init__(n_features, units)
        self.head = nn.Sequential(nn.Linear(2 * units, units), nn.Linear(units, 1))


def build_bidirectional_gru(seq_len, n_features, units):
    return DeepHeadBidirectional(n_features, units)
