# Each parameter's gradient is clipped on its own (one clip_grad_norm_ call per parameter) instead of the
# global norm of all of them together.
# expect-fail: train-step-clips
def train_step(model, optimizer, loss_fn, x, y, max_norm):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    for parameter in model.parameters():
        torch.nn.utils.clip_grad_norm_([parameter], max_norm)
    optimizer.step()
    return float(loss.detach())
