# prepare_sequences scales each feature by the minimum and maximum of the frame it is given instead of the
# fixed ranges of mooc_feature_ranges.csv: a student's sequence then depends on which other students are in
# the frame, and a test frame is scaled with its own statistics.
# expect-fail: prepare-sequences
def prepare_sequences(features, quizzes):
    columns = [c for c in features.columns if c not in ("student_id", "week")]
    students = np.sort(features["student_id"].unique())
    grid = pd.MultiIndex.from_product([students, range(1, N_WEEKS + 1)], names=["student_id", "week"])
    lo = features[columns].min().to_numpy(np.float32)
    hi = features[columns].max().to_numpy(np.float32)
    values = features.set_index(["student_id", "week"])[columns].reindex(grid).fillna(0.0)
    X = values.to_numpy(np.float32).reshape(len(students), N_WEEKS, len(columns))
    X = (X - lo) / np.maximum(hi - lo, 1e-6)
    score = quizzes.set_index(["student_id", "week"])["quiz_score"].reindex(grid)
    y = score.to_numpy(np.float32).reshape(len(students), N_WEEKS, 1)
    missing = np.isnan(y[:, :, 0])
    X[missing] = MASK_VALUE
    y[missing] = MASK_VALUE
    return X.astype(np.float32), y.astype(np.float32)
