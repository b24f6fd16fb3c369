# The penalty covers only the first recurrent layer's input weights (weight_ih_l0), not weight_ih_l1 of a
# two-layer GRU.
# expect-fail: penalty-in-loss
def regularization_penalty(model, l1, l2):
    total = torch.zeros(())
    for name, parameter in model.named_parameters():
        if name.rsplit(".", 1)[-1] in ("weight_ih", "weight_ih_l0"):
            total = total + l1 * parameter.abs().sum() + l2 * parameter.pow(2).sum()
    return total
