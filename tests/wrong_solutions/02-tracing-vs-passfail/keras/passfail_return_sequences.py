# The pass/fail model keeps return_sequences=True (copied from the tracing model): it gives a probability
# for every week, (N, 5, 1), instead of one per student, (N, 1).
# expect-fail: passfail-model
def create_passfail_model(n_features, n_weeks=5, units=32, dropout=0.1):
    model = keras.Sequential([
        keras.Input(shape=(n_weeks, n_features)),
        layers.Masking(mask_value=MASK_VALUE),
        layers.LSTM(units, dropout=dropout, return_sequences=True),
        layers.TimeDistributed(layers.Dense(1, activation="sigmoid")),
    ], name="passfail")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model
