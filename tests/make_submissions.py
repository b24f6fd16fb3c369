"""Sample submissions: a reference notebook with one classic bug appended, as a student might hand in.

``python tests/make_submissions.py`` rewrites ``tests/submissions/``; a test keeps them up to date.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "submissions"

# (lab, framework, wrong solution under tests/wrong_solutions/<lab>/<framework>/)
SAMPLES = [
    ("01-rnn-cells", "torch", "lstm_ignores_c_prev"),
    ("01-rnn-cells", "keras", "gru_update_swapped"),
]


def sample_path(lab: str, framework: str) -> Path:
    return SUBMISSIONS / f"{lab}-{framework}-sample.ipynb"


def build_sample(lab: str, framework: str, wrong: str) -> str:
    reference = nbformat.read(ROOT / "reference" / framework / f"{lab}.ipynb", as_version=4)
    nb = nbformat.v4.new_notebook()
    nb.metadata = nbformat.from_dict({
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "grader": {"lab": lab, "framework": framework},
    })
    intro = nbformat.v4.new_markdown_cell(
        f"A sample submission for `{lab}` ({framework}): every exercise is solved, but the last cell "
        f"redefines one function with a classic bug (`{wrong}`). `grader check` should give partial credit "
        "and explain what is wrong."
    )
    intro["id"] = "sample-intro"
    nb.cells.append(intro)
    for cell in reference.cells:
        new = nbformat.from_dict(dict(cell))
        if new.cell_type == "code":
            new.outputs, new.execution_count = [], None
        nb.cells.append(new)
    bug = nbformat.v4.new_code_cell((ROOT / "tests" / "wrong_solutions" / lab / framework / f"{wrong}.py").read_text().strip())
    bug["id"] = "sample-bug"
    nb.cells.append(bug)
    return nbformat.writes(nb) + "\n"


def main() -> None:
    SUBMISSIONS.mkdir(parents=True, exist_ok=True)
    for lab, framework, wrong in SAMPLES:
        path = sample_path(lab, framework)
        path.write_text(build_sample(lab, framework, wrong), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
