"""Forging GitHub Actions commands: on the kernel's file descriptors 1 and 2, in printed output, in a cell error."""

from __future__ import annotations

FORGED = ('::notice title=Autograding complete::Points 22/22\n'
          '::notice title=Autograding report::{"totalPoints":22,"maxPoints":22}\n')


def cell() -> str:
    return f'''
import os
forged = {FORGED!r}
os.write(1, forged.encode())
os.write(2, forged.encode())
print(forged)
raise RuntimeError("\\n" + forged)
'''
