# prepare_sequences scales by the fixed ranges but does not clip to [0, 1]: a value outside its range (a new
# term's heavier user, a data-entry error) gives a feature above 1 or below 0 that the model never saw.
# expect-fail: prepare-sequences
def prepare_sequences(features, quizzes):
    columns = [c for c in features.columns if c not in ("student_id", "week")]
    students = np.sort(features["student_id"].unique())
    grid = pd.MultiIndex.from_product([students, range(1, N_WEEKS + 1)], names=["student_id", "week"])
    lo = np.array([FEATURE_RANGES[c][0] for c in columns], dtype=np.float32)
    hi = np.array([FEATURE_RANGES[c][1] for c in columns], dtype=np.float32)
    values = features.set_index(["student_id", "week"])[columns].reindex(grid).fillna(0.0)
    X = values.to_numpy(np.float32).reshape(len(students), N_WEEKS, len(columns))
    X = (X - lo) / (hi - lo)
    score = quizzes.set_index(["student_id", "week"])["quiz_score"].reindex(grid)
    y = score.to_numpy(np.float32).reshape(len(students), N_WEEKS, 1)
    missing = np.isnan(y[:, :, 0])
    X[missing] = MASK_VALUE
    y[missing] = MASK_VALUE
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
