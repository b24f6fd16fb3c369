# The reshape approach pads the rows that do not fill a window with zeros instead of dropping them.
# expect-fail: reshape-windows
def reshape_windows(data, seq_len):
    data = np.asarray(data, dtype=np.float32)
    n = -(-len(data) // seq_len)  # rounds up: keeps a last, incomplete window
    padded = np.zeros((n * seq_len, data.shape[1]), dtype=np.float32)
    padded[: len(data)] = data
    return padded.reshape(n, seq_len, data.shape[1])
