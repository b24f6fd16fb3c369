# Many-to-one returns the state after the first step instead of the last one.
# expect-fail: run-sequence-rnn, run-sequence-lstm, run-sequence-gru
_run_sequence_reference = run_sequence


def run_sequence(cell, xs, p, return_sequences=True):
    states = _run_sequence_reference(cell, xs, p, return_sequences=True)
    return states if return_sequences else states[:, 0]
