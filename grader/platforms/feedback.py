"""After the graded run: each student's report on their Feedback pull request, with the TA's token.

``grader batch ... --post-feedback`` calls :func:`post_class_feedback` with the batch's rows. The student's
repository comes from the ``collect.json`` that ``grader collect`` wrote in the submissions folder; the
comment goes on the open pull request into ``feedback`` (GitHub Classroom's Feedback PR), headed by the
commit that was graded, and a rerun edits the comment this token posted before (never anyone else's).
``dry_run`` posts nothing: it writes each body to ``OUT/feedback/<submission>.md`` and says where it would go.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import InputError
from grader.platforms import late_grades
from grader.platforms.collect import MANIFEST, Collection, read_manifest
from grader.platforms.github_api import GitHubClient, GitHubError
from grader.platforms.github_comment import CommentError, feedback_pull_request, upsert_comment
from grader.reports.formats import inert
from grader.reports.formats.markdown import MARKER_PREFIX

POSTED, WOULD_POST, NOT_POSTED = "posted", "would post", "not posted"
GRADED = "graded"


@dataclass
class FeedbackItem:
    """One comment to post: which submission, on which repository, with what body."""

    submission: str
    student: str
    repository: str
    body: str


@dataclass
class FeedbackOutcome:
    submission: str
    student: str
    status: str  # posted | would post | not posted
    message: str
    repository: str = ""
    url: str = ""


def find_manifest(paths: Iterable[Path]) -> Collection:
    """The ``collect.json`` of the submissions folder(s) given to ``grader batch`` (one, merged if several)."""
    found = [m for m in (read_manifest(Path(p)) for p in paths if Path(p).is_dir()) if m is not None]
    if not found:
        raise InputError(f"--post-feedback needs the {MANIFEST} that `grader collect` writes in the submissions "
                         "folder (it says which repository each student's report goes to)")
    merged = found[0]
    for other in found[1:]:
        merged.students.update(other.students)
    return merged


def _graded_marker(lab: str, submission: str) -> str:
    word = re.compile(r"[^\w.@+-]")  # a submission's name as words of the comment (nothing ends the comment)
    return f"{MARKER_PREFIX} lab={word.sub('-', lab)} run=graded submission={word.sub('-', submission)} -->"


def _fenced(text: str) -> str:
    """``text`` as a literal block whatever backticks it holds (it may come from the student's notebook)."""
    return inert.fence(text)


def comment_body(row: Any, out_dir: Path, manifest: Collection) -> str | None:
    """The comment for one batch row: the graded report with the commit, or why it was not graded."""
    student = manifest.students.get(row.student)
    commit = f"`{student.commit[:12]}`" if student and student.commit else "your last commit"
    lab = row.lab or "lab"
    when = late_grades.which_commit(student, row) or f"{commit}, the last one before the deadline ({manifest.deadline})"
    header = [_graded_marker(lab, row.name),
              f"**Graded run** of commit {when}. "
              "This report, not the one your pushes produce, is your grade.", "", *late_grades.feedback_lines(row)]
    if row.status == GRADED:
        report = out_dir / f"{row.name}.md"
        try:
            text = report.read_text(encoding="utf-8")
        except OSError:
            return None
        lines = text.split("\n")
        if lines and lines[0].startswith(MARKER_PREFIX):
            lines = lines[1:]
        return "\n".join(header + lines)
    return "\n".join(header + [f"Your notebook could not be graded ({row.status}):", "", _fenced(row.message or "?"),
                               "", "Your instructors have the details."])


def plan_feedback(rows: Sequence[Any], out_dir: Path, manifest: Collection) -> tuple[list[FeedbackItem],
                                                                                    list[FeedbackOutcome]]:
    """What to post for each row, and the rows that get nothing (with the reason)."""
    items, skipped = [], []
    for row in rows:
        student = manifest.students.get(row.student)
        if student is None or not student.repository:
            skipped.append(FeedbackOutcome(row.name, row.student, NOT_POSTED,
                                           f"{inert.one_line(repr(row.student))} is not in {MANIFEST}: no repository "
                                           "to post to"))
            continue
        if row.status not in (GRADED, "not graded"):
            skipped.append(FeedbackOutcome(row.name, row.student, NOT_POSTED,
                                           f"{row.status}: {inert.one_line(row.message)} (regrade, then post)",
                                           student.repository))
            continue
        body = comment_body(row, out_dir, manifest)
        if body is None:
            skipped.append(FeedbackOutcome(row.name, row.student, NOT_POSTED, f"no report {row.name}.md in {out_dir}",
                                           student.repository))
            continue
        items.append(FeedbackItem(row.name, row.student, student.repository, body))
    return items, skipped


def post_feedback(items: Sequence[FeedbackItem], client: GitHubClient | None, out_dir: Path, dry_run: bool = False,
                  progress: Callable[[FeedbackOutcome], None] | None = None) -> list[FeedbackOutcome]:
    """Post (or, dry, write out) every item; one student's failure never stops the others."""
    outcomes = []
    author = None
    if not dry_run:
        if client is None:
            raise InputError("posting feedback needs a GitHub token (GITHUB_TOKEN, GH_TOKEN or `gh auth token`)")
        try:
            author = client.login()
        except GitHubError as exc:
            raise InputError(f"cannot tell whose token this is: {exc}") from None
        if not author:
            raise InputError("cannot tell whose token this is (GET /user refused it): give a TA's personal token")
    for item in items:
        if dry_run:
            target = out_dir / "feedback" / f"{item.submission}.md"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(item.body, encoding="utf-8")
            outcome = FeedbackOutcome(item.submission, item.student, WOULD_POST,
                                      f"on {item.repository}'s Feedback pull request: {target}", item.repository)
        else:
            outcome = _post_one(client, item, str(author))
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes


def _post_one(client: GitHubClient, item: FeedbackItem, author: str) -> FeedbackOutcome:
    try:
        number = feedback_pull_request(client, item.repository)
        if number is None:
            return FeedbackOutcome(item.submission, item.student, NOT_POSTED,
                                   f"{item.repository} has no open Feedback pull request (into 'feedback')",
                                   item.repository)
        done = upsert_comment(client, item.repository, number, item.body, author)
    except (GitHubError, CommentError) as exc:
        return FeedbackOutcome(item.submission, item.student, NOT_POSTED, str(exc), item.repository)
    return FeedbackOutcome(item.submission, item.student, POSTED, f"{done.action} on pull request #{number}",
                           item.repository, done.url)


def post_class_feedback(paths: Iterable[Path], rows: Sequence[Any], out_dir: Path, client: GitHubClient | None,
                        dry_run: bool = False,
                        progress: Callable[[FeedbackOutcome], None] | None = None) -> list[FeedbackOutcome]:
    """Everything ``--post-feedback`` does after the batch: find the manifest, plan, post (or write out)."""
    manifest = find_manifest(paths)
    items, skipped = plan_feedback(late_grades.counted(rows), out_dir, manifest)
    for outcome in skipped:
        if progress is not None:
            progress(outcome)
    return skipped + post_feedback(items, client, out_dir, dry_run, progress)
