# predict forgets to convert the GRU's output back to degrees Celsius (it stays standardized).
# expect-fail: predict-beats-naive
def predict(X):
    X_s = torch.as_tensor((np.asarray(X, dtype=np.float32) - mean) / std)
    gru_model.eval()
    with torch.no_grad():
        return gru_model(X_s).numpy().reshape(-1)
