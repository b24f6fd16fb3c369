# The tracing model is built many-to-one: LSTM(return_sequences=False) and a plain Dense(1), so it gives one
# prediction per student, (N, 1), instead of one per week, (N, 10, 1).
# expect-fail: tracing-model
def create_tracing_model(n_features, units=32, dropout=0.1):
    model = keras.Sequential([
        keras.Input(shape=(N_WEEKS, n_features)),
        layers.Masking(mask_value=MASK_VALUE),
        layers.LSTM(units, dropout=dropout),
        layers.Dense(1, activation="sigmoid"),
    ], name="tracing")
    model.compile(optimizer="adam", loss=masked_loss)
    return model
