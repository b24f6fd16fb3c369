"""A function the grader calls that never returns, even when interrupted."""

from __future__ import annotations


def cell() -> str:
    return '''
def rnn_step(x_t, h_prev, p):
    while True:
        try:
            while True:
                pass
        except KeyboardInterrupt:
            pass
'''
