# The update gate weighs the candidate instead of the old state: u * candidate + (1 - u) * h_prev.
# expect-fail: gru-step, run-sequence-gru
def gru_step(x_t, h_prev, p):
    def pre(gate):
        return (ops.matmul(x_t, ops.transpose(p[f"W_{gate}x"])) + ops.matmul(h_prev, ops.transpose(p[f"W_{gate}h"]))
                + p[f"b_{gate}"])

    r_t, u_t = ops.sigmoid(pre("r")), ops.sigmoid(pre("u"))
    candidate = ops.tanh(ops.matmul(x_t, ops.transpose(p["W_hx"])) + ops.matmul(r_t * h_prev, ops.transpose(p["W_hh"]))
                         + p["b_h"])
    return u_t * candidate + (1.0 - u_t) * h_prev
