# The cell state forgets c_prev: c_t = i * tanh(...) without the f * c_prev term.
# expect-fail: lstm-step, run-sequence-lstm
def lstm_step(x_t, h_prev, c_prev, p):
    x_t, h_prev = as_tensor(x_t), as_tensor(h_prev)

    def pre(gate):
        return x_t @ as_tensor(p[f"W_{gate}x"]).T + h_prev @ as_tensor(p[f"W_{gate}h"]).T + as_tensor(p[f"b_{gate}"])

    i_t, o_t = torch.sigmoid(pre("i")), torch.sigmoid(pre("o"))
    c_t = i_t * torch.tanh(pre("c"))
    return o_t * torch.tanh(c_t), c_t
