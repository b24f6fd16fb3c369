# clip_by_value applies only the upper limit: entries below -limit are left as they are.
# expect-fail: clip-by-value
def clip_by_value(grads, limit):
    return [torch.minimum(as_tensor(g), torch.tensor(limit)) for g in grads]
