# The recurrent term is dropped: h_t = tanh(W_hx x_t + b_h).
# expect-fail: rnn-step, run-sequence-rnn
def rnn_step(x_t, h_prev, p):
    return ops.tanh(ops.matmul(x_t, ops.transpose(p["W_hx"])) + p["b_h"])
