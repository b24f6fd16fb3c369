# train_step returns what clip_grad_norm_ returns (the gradient's norm before clipping), not the loss.
# expect-fail: train-step-loss
def train_step(model, optimizer, loss_fn, x, y, max_norm):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return float(norm)
