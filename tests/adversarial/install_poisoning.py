"""Writing to the installed environment: a ``.pth`` in site-packages, a lazily imported NumPy module, the grader.

The cell only proves that it could: it creates an empty, named ``.pth`` file (a comment line) and opens
modules for appending without writing a byte, so that the unsandboxed control poisons nothing.
"""

from __future__ import annotations


def cell(marker: str) -> str:
    return f'''
import os, site, sysconfig, numpy, numpy.linalg
writable = []
purelib = sysconfig.get_paths()["purelib"]
try:
    with open(os.path.join(purelib, "zz_{marker}.pth"), "w") as handle:
        handle.write("# {marker}\\n")
    writable.append("pth")
except OSError as exc:
    print("pth refused:", exc)
for target in (numpy.__file__, numpy.linalg.__file__, os.path.join(purelib, "grader", "grading.py")):
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_APPEND))
        writable.append(target)
    except OSError as exc:
        print("refused:", target, exc)
print("WRITABLE", writable)
'''
