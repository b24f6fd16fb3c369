"""Attacks on the grader, one module per class: each builds the cell a malicious student appends.

Every attack is appended to the lab-01 PyTorch sample submission (17/22 untampered), so that a test
can compare the attacked score with its control. The cells only ever act on what the test names (a
marker, a path, a port): run without the sandbox as controls, they must not harm the machine.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

TESTS = Path(__file__).resolve().parents[1]
SAMPLE = TESTS / "submissions" / "01-rnn-cells-torch-sample.ipynb"
SAMPLE_SCORE = 17.0


def attacked(*cells: str, before: bool = False) -> nbformat.NotebookNode:
    """The sample submission with ``cells`` appended (or put first)."""
    nb = nbformat.read(SAMPLE, as_version=4)
    new = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.cells = [*new, *nb.cells] if before else [*nb.cells, *new]
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    nbformat.write(nb, path)
    return path


def printed(nb: nbformat.NotebookNode) -> str:
    """Everything the executed notebook's cells printed (streams, results, errors).

    A kernel may send one ``print`` as several stream messages ("TOTAL", " 45.0\\n"), so a cell's
    consecutive stream outputs are joined as they were written, without a separator."""
    parts = []
    for cell in nb.cells:
        stream = ""
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                stream += str(out.get("text", ""))
                continue
            parts += [stream, str((out.get("data") or {}).get("text/plain", "")),
                      f"{out.get('ename', '')}: {out.get('evalue', '')}"]
            stream = ""
        parts.append(stream)
    return "\n".join(parts)


def detached(code: str, marker: str) -> str:
    """A cell that starts ``code`` as a double-forked ``setsid`` daemon (``marker`` names it in the process
    table) and returns at once: the daemon is no child of the kernel any more."""
    return f'''
import os, subprocess, sys
if os.fork() == 0:
    os.setsid()
    subprocess.Popen([sys.executable, "-c", {code!r}, {marker!r}], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os._exit(0)
os.wait()
'''
