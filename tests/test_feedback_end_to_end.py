"""collect -> batch -> feedback, end to end, against the local fake GitHub API serving real git repositories.

Three students on the roster: alice submits on time (the lab 01 sample, 17/22), bob pushed the untouched
student notebook before the deadline and the sample after it (his graded commit scores 0), carol has no
repository. Real ``grader batch`` in real kernels (the sandbox where it starts), lab 01 PyTorch.
"""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from fake_github import FakeGitHub, commit_files, make_repo

from grader.cli import main

DEADLINE = "2026-11-30T23:59:00Z"


@pytest.mark.slow
def test_collect_batch_feedback(root, tmp_path, monkeypatch):
    sample = (root / "tests" / "submissions" / "01-rnn-cells-torch-sample.ipynb").read_bytes()
    blank = (root / "assignments" / "01-rnn-cells" / "01-rnn-cells-torch.ipynb").read_bytes()
    fake = FakeGitHub().start()
    try:
        alice = make_repo(tmp_path / "git" / "alice")
        alice_sha = commit_files(alice, {"01-rnn-cells-torch.ipynb": sample}, "2026-11-30T20:00:00Z")
        bob = make_repo(tmp_path / "git" / "bob")
        bob_sha = commit_files(bob, {"01-rnn-cells-torch.ipynb": blank}, "2026-11-29T10:00:00Z")
        commit_files(bob, {"01-rnn-cells-torch.ipynb": sample}, "2026-12-01T08:00:00Z", "late")
        fake.add_repo("course/lab1-alice", alice)
        fake.add_repo("course/lab1-bob", bob)
        roster = tmp_path / "classroom_roster.csv"
        roster.write_text('"identifier","github_username","github_id","name"\n'
                          '"a@uni","alice","1","Alice"\n"b@uni","bob","2","Bob"\n"c@uni","carol","3","Carol"\n')
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("GITHUB_TOKEN", "ta-token")
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        runner = CliRunner()

        collected = runner.invoke(main, ["collect", "--org", "course", "--prefix", "lab1", "--deadline", DEADLINE,
                                         "--roster", str(roster), "--out", "submissions"])
        assert collected.exit_code == 0, collected.output
        manifest = json.loads((tmp_path / "submissions" / "collect.json").read_text())["students"]
        assert (manifest["alice"]["commit"], manifest["bob"]["commit"]) == (alice_sha, bob_sha)
        assert manifest["carol"]["status"] == "no repository"

        graded = runner.invoke(main, ["batch", "submissions", "--lab", "01-rnn-cells", "--out", "grading",
                                      "--sequential", "--seed", "3", "--post-feedback"])
        assert graded.exit_code == 0, graded.output
        with open(tmp_path / "grading" / "grades.csv", newline="") as handle:
            rows = {row["submission"].split("__")[0]: row for row in csv.DictReader(handle)}
        assert set(rows) == {"alice", "bob"}
        assert (float(rows["alice"]["score"]), float(rows["bob"]["score"])) == (17.0, 0.0)
        assert {rows[s]["status"] for s in rows} == {"graded"}

        [alice_comment] = fake.comments_on("course/lab1-alice", 1)
        [bob_comment] = fake.comments_on("course/lab1-bob", 1)
        assert alice_comment["user"]["login"] == bob_comment["user"]["login"] == "ta-login"
        assert f"`{alice_sha[:12]}`" in alice_comment["body"] and "17/22 points" in alice_comment["body"]
        assert f"`{bob_sha[:12]}`" in bob_comment["body"] and "0/22 points" in bob_comment["body"]
        assert "**Graded run**" in alice_comment["body"]

        # a dry rerun writes what it would post and posts nothing; a real rerun edits the same comments
        writes = sum(r["method"] in ("POST", "PATCH") for r in fake.requests)
        dry = runner.invoke(main, ["batch", "submissions", "--lab", "01-rnn-cells", "--out", "grading",
                                   "--sequential", "--seed", "3", "--post-feedback", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert sum(r["method"] in ("POST", "PATCH") for r in fake.requests) == writes
        assert "17/22 points" in (tmp_path / "grading" / "feedback" / f"{rows['alice']['submission']}.md").read_text()
        again = runner.invoke(main, ["batch", "submissions", "--lab", "01-rnn-cells", "--out", "grading",
                                     "--sequential", "--seed", "3", "--post-feedback"])
        assert again.exit_code == 0, again.output
        assert len(fake.comments_on("course/lab1-alice", 1)) == len(fake.comments_on("course/lab1-bob", 1)) == 1
    finally:
        fake.stop()
