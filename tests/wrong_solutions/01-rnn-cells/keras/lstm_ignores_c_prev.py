# The cell state forgets c_prev: c_t = i * tanh(...) without the f * c_prev term.
# expect-fail: lstm-step, run-sequence-lstm
def lstm_step(x_t, h_prev, c_prev, p):
    def pre(gate):
        return (ops.matmul(x_t, ops.transpose(p[f"W_{gate}x"])) + ops.matmul(h_prev, ops.transpose(p[f"W_{gate}h"]))
                + p[f"b_{gate}"])

    i_t, o_t = ops.sigmoid(pre("i")), ops.sigmoid(pre("o"))
    c_t = i_t * ops.tanh(pre("c"))
    return o_t * ops.tanh(c_t), c_t
