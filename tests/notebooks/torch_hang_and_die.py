# grader: lab=01-rnn-cells framework=torch
# Correct functions, but one cell sleeps forever, one ignores the interrupt, one kills the kernel.
import torch

def rnn_step(x_t, h_prev, p):
    return torch.tanh(x_t @ p["W_hx"].T + h_prev @ p["W_hh"].T + p["b_h"])

# %%
import time
time.sleep(10_000)

# %%
def gru_step(x_t, h_prev, p):
    r = torch.sigmoid(x_t @ p["W_rx"].T + h_prev @ p["W_rh"].T + p["b_r"])
    u = torch.sigmoid(x_t @ p["W_ux"].T + h_prev @ p["W_uh"].T + p["b_u"])
    cand = torch.tanh(x_t @ p["W_hx"].T + (r * h_prev) @ p["W_hh"].T + p["b_h"])
    return u * h_prev + (1 - u) * cand

# %%
import time
while True:
    try:
        time.sleep(0.5)
    except KeyboardInterrupt:
        pass

# %%
import os
os._exit(1)

# %%
def lstm_step(x_t, h_prev, c_prev, p):
    g = lambda k: x_t @ p[f"W_{k}x"].T + h_prev @ p[f"W_{k}h"].T + p[f"b_{k}"]
    c = torch.sigmoid(g("f")) * c_prev + torch.sigmoid(g("i")) * torch.tanh(g("c"))
    return torch.sigmoid(g("o")) * torch.tanh(c), c

# %%
raise RuntimeError("a student cell that fails")
