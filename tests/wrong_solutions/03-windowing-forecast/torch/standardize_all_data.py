# The statistics are computed on all the data (train, validation and test together): the future leaks
# into training.
# expect-fail: standardize
def standardize(train, *others):
    arrays = [np.asarray(a, dtype=np.float32) for a in (train, *others)]
    flat = np.concatenate([a.reshape(-1, a.shape[-1]) for a in arrays])
    mean, std = flat.mean(axis=0), flat.std(axis=0)
    return (*[(a - mean) / std for a in arrays], (mean, std))
