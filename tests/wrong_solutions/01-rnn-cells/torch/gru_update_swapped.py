# The update gate weighs the candidate instead of the old state: u * candidate + (1 - u) * h_prev.
# expect-fail: gru-step, run-sequence-gru
def gru_step(x_t, h_prev, p):
    x_t, h_prev = as_tensor(x_t), as_tensor(h_prev)

    def pre(gate):
        return x_t @ as_tensor(p[f"W_{gate}x"]).T + h_prev @ as_tensor(p[f"W_{gate}h"]).T + as_tensor(p[f"b_{gate}"])

    r_t, u_t = torch.sigmoid(pre("r")), torch.sigmoid(pre("u"))
    candidate = torch.tanh(x_t @ as_tensor(p["W_hx"]).T + (r_t * h_prev) @ as_tensor(p["W_hh"]).T + as_tensor(p["b_h"]))
    return u_t * candidate + (1 - u_t) * h_prev
