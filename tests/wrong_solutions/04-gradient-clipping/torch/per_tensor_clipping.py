# Each tensor is clipped to max_norm on its own instead of the list as a whole: the proportions between
# the tensors, hence the direction, change, and the global norm can exceed max_norm.
# expect-fail: clip-by-global-norm
def clip_by_global_norm(grads, max_norm):
    clipped = []
    for g in grads:
        g = as_tensor(g)
        norm = global_norm([g])
        clipped.append(g * (max_norm / norm) if norm > max_norm else g)
    return clipped
