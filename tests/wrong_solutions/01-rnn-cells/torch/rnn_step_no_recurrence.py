# The recurrent term is dropped: h_t = tanh(W_hx x_t + b_h).
# expect-fail: rnn-step, run-sequence-rnn
def rnn_step(x_t, h_prev, p):
    return torch.tanh(as_tensor(x_t) @ as_tensor(p["W_hx"]).T + as_tensor(p["b_h"]))
