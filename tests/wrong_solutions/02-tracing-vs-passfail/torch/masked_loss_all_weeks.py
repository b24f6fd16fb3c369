# The loss runs over the masked weeks too: a plain mean squared error, so the model is pulled towards the
# -1.0 targets of the weeks without a quiz (62 % of them).
# expect-fail: masked-loss
def masked_loss(y_true, y_pred):
    y_true = torch.as_tensor(y_true, dtype=torch.float32).reshape(-1)
    y_pred = torch.as_tensor(y_pred, dtype=torch.float32).reshape(-1)
    return ((y_true - y_pred) ** 2).mean()
