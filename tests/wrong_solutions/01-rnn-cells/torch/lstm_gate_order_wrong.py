# to_builtin stacks the LSTM blocks in the lecture's order (f, i, o, c) instead of PyTorch's (i, f, g, o).
# expect-fail: to-builtin-lstm
_to_builtin_reference = to_builtin


def to_builtin(cell, p):
    if cell != "lstm":
        return _to_builtin_reference(cell, p)
    P = {name: as_tensor(value) for name, value in p.items()}
    n, m = P["W_fx"].shape
    layer = nn.LSTM(input_size=m, hidden_size=n, batch_first=True)
    with torch.no_grad():
        layer.weight_ih_l0.copy_(torch.cat([P[f"W_{g}x"] for g in "fioc"]))
        layer.weight_hh_l0.copy_(torch.cat([P[f"W_{g}h"] for g in "fioc"]))
        layer.bias_ih_l0.copy_(torch.cat([P[f"b_{g}"] for g in "fioc"]))
        layer.bias_hh_l0.zero_()
    return layer
