# The state is stored but never used: every call starts from zeros, as a stateless model.
# expect-fail: stateful-carries-and-resets
class ForgetfulGRU(StatefulGRU):
    def forward(self, x):
        out, h = self.gru(x)
        self.state = h.detach()
        return self.head(out[:, -1])


def build_stateful_gru(batch_size, seq_len, n_features, units):
    return ForgetfulGRU(batch_size, n_features, units)
