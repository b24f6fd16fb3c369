"""Stand-ins for ``grader check`` in batch tests: small Python scripts run where a task runs.

A fake is an argv template (``{python}``, ``{json}``, ``{notebook}`` are filled in by the task), so it
travels to Dask workers as plain data. The scripts write a report that ``validate_report`` accepts for
the lab the task asks for (``--lab``, else lab 01), PyTorch flavour: every check passed except those named in
the notebook's first cell (``fail: a, b``).
"""

from __future__ import annotations

import json
from pathlib import Path

LAB = "01-rnn-cells"


def _checks() -> str:
    from grader.course.labs import lab_ids, load_lab

    return json.dumps({lab: [{"id": c.id, "title": c.title, "points": c.points}
                             for c in load_lab(lab).checks_for("torch")] for lab in lab_ids()})


REPORT = f"import json, sys, pathlib\nCHECKS_BY_LAB = json.loads({_checks()!r})\n" + r'''
report_path, notebook = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
lab = sys.argv[sys.argv.index("--lab") + 1] if "--lab" in sys.argv else "01-rnn-cells"
CHECKS = CHECKS_BY_LAB[lab]
try:
    nb = json.loads(notebook.read_text())
except ValueError:
    print("error: not a notebook", file=sys.stderr); sys.exit(2)
source = "".join(nb["cells"][0]["source"]) if nb["cells"] else ""
failing = [s.strip() for s in source.partition("fail:")[2].split(",") if s.strip()]
checks = [{"id": c["id"], "title": c["title"], "score": 0.0 if c["id"] in failing else c["points"],
           "max_score": c["points"], "status": "failed" if c["id"] in failing else "passed",
           "message": "wrong by 0.%d" % len(c["id"]) if c["id"] in failing else "", "visibility": "public",
           "seconds": 0.0} for c in CHECKS]
report = {"lab": lab, "framework": "torch", "notebook": str(notebook), "seed": 0,
          "score": sum(c["score"] for c in checks), "max_score": sum(c["max_score"] for c in checks),
          "checks": checks, "cells": [], "notes": []}
'''

WRITE = "report_path.write_text(json.dumps(report))\n"


def fake(script: str) -> tuple[str, ...]:
    """The argv template of a fake ``grader check`` running ``script`` (argv[1] report path, argv[2] notebook)."""
    return ("{python}", "-c", script, "{json}", "{notebook}")


def notebook(path: Path, source: str = "", lab: str | None = LAB, framework: str = "torch", **extra: str) -> Path:
    """A minimal notebook whose first cell holds ``source``, with grader metadata naming ``lab``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"grader": {"lab": lab, "framework": framework}} if lab else {}
    metadata.update(extra)
    cells = [{"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}]
    path.write_text(json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}))
    return path
