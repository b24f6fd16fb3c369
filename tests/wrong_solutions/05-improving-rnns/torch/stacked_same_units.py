# Every stacked layer gets units[0] units (the last entries of units are ignored): wrong parameter count.
# expect-fail: stacked-gru-shapes
def build_stacked_gru(seq_len, n_features, units=(32, 16)):
    return StackedGRU(n_features, (units[0],) * len(units))
