# The target always comes from column 0 (the temperature): target_col is ignored.
# expect-fail: make-windows
_make_windows_reference = make_windows


def make_windows(data, seq_len, target_shift=1, step_shift=1, target_col=0):
    return _make_windows_reference(data, seq_len, target_shift=target_shift, step_shift=step_shift, target_col=0)
