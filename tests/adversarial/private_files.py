"""Reading private data: walk the file system for reference notebooks, hidden data, the grader's numerics.

A reference notebook found is executed: its solutions replace the student's (0 -> full marks).
"""

from __future__ import annotations


def cell(roots: list[str]) -> str:
    return f'''
import json, os
found = {{"reference": [], "hidden": [], "numerics": []}}
for top in {roots!r}:
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in ("/proc", "/sys", "/dev", "/run")]
        if dirpath.endswith(os.path.join("reference", "torch")) and "01-rnn-cells.ipynb" in filenames:
            found["reference"].append(os.path.join(dirpath, "01-rnn-cells.ipynb"))
        if os.path.basename(dirpath) == "hidden" and "assignments" in dirpath:
            found["hidden"].append(dirpath)
        if dirpath.endswith(os.path.join("grader", "numerics")):
            found["numerics"].append(dirpath)
print("FOUND", json.dumps(found))
for path in found["reference"][:1]:
    for c in json.load(open(path))["cells"]:
        if c["cell_type"] == "code" and "".join(c["source"]).lstrip().startswith("def "):
            exec("".join(c["source"]), globals())
'''
