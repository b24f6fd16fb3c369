"""Render the HTML report of a sample submission per lab and screenshot it in headless Chromium.

A sample submission is the lab's reference notebook with one wrong solution from
``tests/wrong_solutions/<lab>/<flavour>/`` appended (one kernel run per lab). Its report, with the
details the plots are drawn from, is saved as ``docs/images/<lab>-<flavour>.report.json``; with
``--from-json`` the pages are rendered again from those files without running any notebook.

    python docs/render_screenshots.py                     # every lab, PyTorch flavour (labs 02/03/05: minutes)
    python docs/render_screenshots.py 01-rnn-cells 04-gradient-clipping
    python docs/render_screenshots.py --from-json         # re-render and re-shoot only

Needs ``chromium`` (Debian: ``apt-get install -y chromium``). Writes ``docs/images/<lab>-<flavour>.png``
(desktop, 1000 px wide) and, for the first lab, ``-phone.png`` (390 px wide).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
sys.path.insert(0, str(ROOT))

from grader.reports.report import CellEvent, CheckResult, Report  # noqa: E402

# the wrong solution each sample submission carries: one whose check has a plot worth seeing
SAMPLES = {
    "torch": {
        "01-rnn-cells": "lstm_ignores_c_prev",
        "02-tracing-vs-passfail": "no_masking",
        "03-windowing-forecast": "predict_standardized_output",
        "04-gradient-clipping": "clip_after_step",
        "05-improving-rnns": "stacked_last_step_only",
    },
    "keras": {
        "01-rnn-cells": "lstm_ignores_c_prev",
        "04-gradient-clipping": "clipnorm_per_variable",
    },
}


def report_to_json(report: Report) -> dict:
    data = report.to_dict()
    for check, result in zip(data["checks"], report.checks, strict=True):
        check["details"] = result.details
    return data


def report_from_json(data: dict) -> Report:
    report = Report(data["lab"], data["framework"], data["notebook"], seed=data["seed"],
                    execution_seconds=data["execution_seconds"], grading_seconds=data["grading_seconds"],
                    sandbox=data.get("sandbox", "none"), course=data.get("course", "private"))
    report.checks = [CheckResult(c["id"], c["title"], c["score"], c["max_score"], c["status"], c["message"],
                                 c.get("visibility", "public"), c["seconds"], c.get("details", {}))
                     for c in data["checks"]]
    report.cells = [CellEvent(**cell) for cell in data.get("cells", [])]
    report.notes, report.warnings = list(data.get("notes", [])), list(data.get("warnings", []))
    return report


def grade_sample(lab_id: str, framework: str) -> Report:
    from grader.authoring.validate import load_wrong_solutions
    from grader.course.labs import load_lab
    from grader.course.notebook import read_notebook
    from grader.judging.grading import Grading

    lab = load_lab(lab_id)
    reference = lab.flavours[framework].reference
    wrong = {w.name: w for w in load_wrong_solutions(lab_id, framework)}[SAMPLES[framework][lab_id]]
    started = time.monotonic()
    with Grading(lab, framework, seed=0, progress=lambda m: print(f"  {lab_id}: {m}", file=sys.stderr)) as run:
        events = run.execute(read_notebook(reference), reference.name)
        status = run.run_extra_cell(wrong.source)
        if status != "ok":
            raise SystemExit(f"{lab_id}: the wrong solution {wrong.name} did not run ({status})")
        executed = time.monotonic()
        checks = run.judge()
    report = Report(lab.id, framework, f"{lab_id}-{framework}-sample.ipynb", checks, events, 0)
    report.execution_seconds, report.grading_seconds = executed - started, time.monotonic() - executed
    report.notes.append(f"sample submission: the reference with the wrong solution {wrong.name} appended")
    return report


def screenshot(page: Path, png: Path, width: int, height: int) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}",
                        f"--screenshot={png}", f"--window-size={width},{height}", page.as_uri()],
                       check=True, capture_output=True, timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("labs", nargs="*", help="default: every lab with a sample in this flavour")
    parser.add_argument("--framework", default="torch", choices=["torch", "keras"])
    parser.add_argument("--from-json", action="store_true", help="re-render from the saved reports, run nothing")
    parser.add_argument("--height", type=int, default=2800)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from grader.reports.formats import html

    IMAGES.mkdir(parents=True, exist_ok=True)
    for index, lab_id in enumerate(args.labs or list(SAMPLES[args.framework])):
        stem = IMAGES / f"{lab_id}-{args.framework}"
        saved = stem.with_suffix(".report.json")
        if args.from_json:
            report = report_from_json(json.loads(saved.read_text()))
        else:
            report = grade_sample(lab_id, args.framework)
            saved.write_text(json.dumps(report_to_json(report), indent=1) + "\n")
        with tempfile.TemporaryDirectory() as folder:
            page = Path(folder) / f"{stem.name}.html"
            page.write_text(html.render(report), encoding="utf-8")
            screenshot(page, stem.with_suffix(".png"), 1000, args.height)
            if index == 0:
                screenshot(page, stem.parent / f"{stem.name}-phone.png", 390, 1600)
        print(f"{lab_id}: {report.score:g}/{report.max_score:g}, wrote {stem.name}.png")


if __name__ == "__main__":
    main()
