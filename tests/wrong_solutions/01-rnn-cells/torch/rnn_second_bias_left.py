# to_builtin copies b_h into bias_ih but leaves nn.RNN's random bias_hh in place.
# expect-fail: to-builtin-rnn
_to_builtin_reference = to_builtin


def to_builtin(cell, p):
    layer = _to_builtin_reference(cell, p)
    if cell == "rnn":
        with torch.no_grad():
            layer.bias_hh_l0.uniform_(-0.5, 0.5)
    return layer
