# The penalty is taken over the recurrent weights (weight_hh…) instead of the input weights (weight_ih…).
# expect-fail: penalty-in-loss
def regularization_penalty(model, l1, l2):
    total = torch.zeros(())
    for name, parameter in model.named_parameters():
        if name.rsplit(".", 1)[-1].startswith("weight_hh"):
            total = total + l1 * parameter.abs().sum() + l2 * parameter.pow(2).sum()
    return total
