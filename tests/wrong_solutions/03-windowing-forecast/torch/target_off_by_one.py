# The target is read one row too late (row start + seq_len + target_shift instead of start + seq_len - 1 +
# target_shift), and the loop stops one window early so that the index stays inside the data.
# expect-fail: make-windows-lecture-example, make-windows
def make_windows(data, seq_len, target_shift=1, step_shift=1, target_col=0):
    data = np.asarray(data, dtype=np.float32)
    X, y = [], []
    for start in range(0, len(data) - seq_len - target_shift, step_shift):
        X.append(data[start:start + seq_len])
        y.append(data[start + seq_len + target_shift, target_col])
    return np.array(X, dtype=np.float32).reshape(-1, seq_len, data.shape[1]), np.array(y, dtype=np.float32)
