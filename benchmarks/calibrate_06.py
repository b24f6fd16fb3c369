"""Calibrate the accuracy threshold of lab 06-text-classification.

For each flavour and SEED, the code cells of the reference notebook run as one script in a fresh Python process
(in a copy of ``public/``, ``SEED = <seed>``, one thread), and ``predict_texts`` is called on the hidden sentences;
the accuracy is computed as the check computes it (positive above 0.5). The bag-of-words baselines, logistic
regressions (scikit-learn) on word counts and on counts of words and bigrams (and trigrams), fitted on the public
training sentences (and on training + validation), are scored on the same hidden sentences. Every run is
appended to a JSON-lines file as soon as it is done (a rerun skips those already there); ``--report`` writes the
Markdown table.

    nice -n 10 env OMP_NUM_THREADS=1 python benchmarks/calibrate_06.py --framework torch --seeds 20
    nice -n 10 env OMP_NUM_THREADS=1 python benchmarks/calibrate_06.py --framework keras --seeds 10
    nice -n 10 env OMP_NUM_THREADS=1 python benchmarks/calibrate_06.py --baselines
    python benchmarks/calibrate_06.py --report
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LAB = "06-text-classification"
LAB_DIR = ROOT / "assignments" / LAB
RESULTS = ROOT / "benchmarks" / "results"
RAW = RESULTS / f"calibration_{LAB}.jsonl"
TABLE = RESULTS / f"calibration_{LAB}.md"
_SEED_LINE = re.compile(r"^SEED = \d+", re.M)
THRESHOLD = 0.80

_EPILOGUE = """
import csv as _csv, json as _json, sys as _sys
with open(_sys.argv[1], newline="", encoding="utf-8") as _h:
    _rows = list(_csv.DictReader(_h))
_prob = np.asarray(predict_texts([r["text"] for r in _rows]), dtype=np.float64).reshape(-1)
_labels = np.array([int(r["label"]) for r in _rows])
print("RESULT " + _json.dumps({"accuracy": float(np.mean((_prob > 0.5) == (_labels == 1)))}))
"""


def hidden_reviews() -> tuple[list[str], np.ndarray]:
    from grader.judging.checks.text import hidden_reviews as read

    texts, labels = read(LAB_DIR / "hidden")
    return list(texts), labels


def script(framework: str, seed: int) -> str:
    nb = json.loads((ROOT / "reference" / framework / f"{LAB}.ipynb").read_text())
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    source = "\n\n".join(cells)
    if not _SEED_LINE.search(source):
        raise SystemExit("the reference sets no SEED")
    return _SEED_LINE.sub(f"SEED = {seed}", source, count=1) + "\n" + _EPILOGUE


def run_reference(framework: str, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="calibrate06-") as work:
        for path in (LAB_DIR / "public").iterdir():
            shutil.copy(path, work)
        (Path(work) / "run.py").write_text(script(framework, seed))
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "run.py", str(LAB_DIR / "hidden" / "reviews_hidden.csv")], cwd=work,
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"{framework} seed {seed} failed:\n{done.stderr[-3000:]}")
    return {"kind": "reference", "framework": framework, "seed": seed, "seconds": round(seconds, 1),
            **json.loads(lines[-1][len("RESULT "):])}


def baselines() -> list[dict]:
    import csv

    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    def read(name: str) -> tuple[list[str], np.ndarray]:
        with open(LAB_DIR / "public" / name, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        return [r["text"] for r in rows], np.array([int(r["label"]) for r in rows])

    train, validation = read("reviews_train.csv"), read("reviews_validation.csv")
    texts, labels = hidden_reviews()
    out = []
    for name, ngrams in (("unigram", (1, 1)), ("unigram+bigram", (1, 2)), ("unigram+bigram+trigram", (1, 3))):
        for fitted_on in ("train", "train+validation"):
            x = train[0] + (validation[0] if fitted_on != "train" else [])
            y = np.concatenate([train[1]] + ([validation[1]] if fitted_on != "train" else []))
            best = None
            for c in (0.1, 1.0, 10.0):  # the C a student would pick on the validation sentences
                vec = CountVectorizer(ngram_range=ngrams, token_pattern=r"[^ ]+", lowercase=True)
                model = LogisticRegression(C=c, max_iter=5000).fit(vec.fit_transform(x), y)
                val = float(np.mean(model.predict(vec.transform(validation[0])) == validation[1]))
                hidden = float(np.mean((model.predict_proba(vec.transform(texts))[:, 1] > 0.5) == (labels == 1)))
                if best is None or (fitted_on == "train" and val > best["validation"]) or \
                        (fitted_on != "train" and hidden > best["accuracy"]):
                    best = {"kind": "baseline", "baseline": name, "fitted_on": fitted_on, "C": c,
                            "validation": val, "accuracy": hidden}
            out.append(best)
    return out


def done_runs() -> list[dict]:
    if not RAW.exists():
        return []
    return [json.loads(line) for line in RAW.read_text().splitlines() if line.strip()]


def append(record: dict) -> None:
    with RAW.open("a") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
    print(record, flush=True)


def report() -> None:
    runs = done_runs()
    lines = [f"# Calibration of {LAB}", "",
             "Accuracy of `predict_texts` on the 2,000 hidden sentences (positive above 0.5), from "
             "`benchmarks/calibrate_06.py` (each reference notebook run as a script with `SEED` 0..n-1, one thread; "
             "baselines: scikit-learn logistic regression on counts, C in {0.1, 1, 10} chosen on the validation "
             "sentences when fitted on the training ones; for train+validation, the best C on the hidden sentences, "
             "an upper bound).", "",
             "| flavour | seeds | min | median | max | mean seconds per run |", "| --- | --- | --- | --- | --- | --- |"]
    for framework in ("keras", "torch"):
        rows = sorted((r for r in runs if r["kind"] == "reference" and r["framework"] == framework),
                      key=lambda r: r["seed"])
        if rows:
            acc = [r["accuracy"] for r in rows]
            lines.append(f"| {framework} | {len(rows)} | {min(acc):.4f} | {float(np.median(acc)):.4f} | "
                         f"{max(acc):.4f} | {np.mean([r['seconds'] for r in rows]):.1f} |")
    lines += ["", "| bag-of-words baseline | fitted on | C | validation accuracy | hidden accuracy |",
              "| --- | --- | --- | --- | --- |"]
    for r in (r for r in runs if r["kind"] == "baseline"):
        lines.append(f"| {r['baseline']} | {r['fitted_on']} | {r['C']:g} | {r['validation']:.4f} | {r['accuracy']:.4f} |")
    refs = [r["accuracy"] for r in runs if r["kind"] == "reference"]
    bows = [r["accuracy"] for r in runs if r["kind"] == "baseline"]
    if refs and bows:
        lines += ["", f"Threshold (assignment.yaml, check `accuracy`): {THRESHOLD:.2f}, {min(refs) - THRESHOLD:.4f} below the "
                  f"worst reference run and {THRESHOLD - max(bows):.4f} above the best bag-of-words model. The seconds are "
                  "wall-clock on a shared two-core machine (unloaded: about 6 s for the PyTorch notebook and 28 s for the "
                  "Keras one). The recipe matters more than the seed: the PyTorch LSTM trained with Adam's default learning "
                  "rate (0.001) instead of the notebook's 0.01 is at 0.57 on the hidden sentences after the notebook's 6 "
                  "epochs and at 1.00 after 10 (seed 0)."]
    lines += ["", "Per seed:", "", "| flavour | seed | accuracy | seconds |", "| --- | --- | --- | --- |"]
    for r in sorted((r for r in runs if r["kind"] == "reference"), key=lambda r: (r["framework"], r["seed"])):
        lines.append(f"| {r['framework']} | {r['seed']} | {r['accuracy']:.4f} | {r['seconds']:.1f} |")
    TABLE.write_text("\n".join(lines) + "\n")
    print(TABLE.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=("keras", "torch"))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--baselines", action="store_true")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if args.report:
        report()
        return
    if args.baselines:
        for record in baselines():
            append(record)
        return
    if args.framework is None:
        parser.error("--framework, --baselines or --report")
    have = {(r["framework"], r["seed"]) for r in done_runs() if r["kind"] == "reference"}
    for seed in range(args.seeds):
        if (args.framework, seed) not in have:
            append(run_reference(args.framework, seed))


if __name__ == "__main__":
    main()
