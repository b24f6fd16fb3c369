# optimizer.zero_grad() is never called: from the second call on, backward() adds the new gradient to the
# previous one and the update uses their sum.
# expect-fail: train-step-clips
def train_step(model, optimizer, loss_fn, x, y, max_norm):
    loss = loss_fn(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return float(loss.detach())
