# The gradients are clipped after optimizer.step(): the parameters have already moved by the unclipped gradient.
# expect-fail: train-step-clips
def train_step(model, optimizer, loss_fn, x, y, max_norm):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    return float(loss.detach())
