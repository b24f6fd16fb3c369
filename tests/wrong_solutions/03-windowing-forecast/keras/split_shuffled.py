# The windows are shuffled before splitting (as for i.i.d. data): near-copies of training windows leak
# into validation and test.
# expect-fail: split-chronological
def split_chronological(X, y, train=0.64, val=0.16):
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order], y[order]
    n_tr, n_va = int(len(X) * train), int(len(X) * val)
    return (X[:n_tr], y[:n_tr]), (X[n_tr:n_tr + n_va], y[n_tr:n_tr + n_va]), (X[n_tr + n_va:], y[n_tr + n_va:])
