# clip_by_global_norm clamps every entry to [-max_norm, max_norm]: that is clipping by value, which
# changes the direction and does not give the norm max_norm.
# expect-fail: clip-by-global-norm
def clip_by_global_norm(grads, max_norm):
    return clip_by_value(grads, max_norm)
