# to_builtin("gru") returns an nn.GRU holding the lecture's weights instead of refusing: it computes another cell.
# expect-fail: to-builtin-gru
_to_builtin_reference = to_builtin


def to_builtin(cell, p):
    if cell == "gru":
        return closest_nn_gru(p)
    return _to_builtin_reference(cell, p)
