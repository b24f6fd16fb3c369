# The norm is taken over the feature axis only and then averaged over the batch, instead of over the batch
# and feature axes together.
# expect-fail: input-gradient-norms
def input_gradient_norms(model, x):
    x = as_tensor(x).detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x).sum(), x)
    return grad.pow(2).sum(dim=2).sqrt().mean(dim=0)
