# The norms come back in reversed time order (last step first), as when reading the sequence backwards.
# expect-fail: input-gradient-norms
_correct_input_gradient_norms = input_gradient_norms


def input_gradient_norms(model, x):
    return np.asarray(_correct_input_gradient_norms(model, x))[::-1].copy()
