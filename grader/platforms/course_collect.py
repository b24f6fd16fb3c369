"""``grader collect --course``: a lab of the course file collected at each student's own deadline.

Each student's repository is ``PREFIX-<login>`` or their team's (a team's members each get their folder).
What counts is a push to the branch by the repository's students (not the staff's set-up) that GitHub
recorded before the student's own cut-off: their deadline with their extension, then the late policy's last
accepted time. With ``counts: last`` that is the last such push; with ``counts: best`` every such push is
collected (the last in ``OUT/<user>/``, each earlier one in ``OUT/<user>/earlier/<pushed at>-<commit>/``), the
batch grades each and the best final score counts. Each push's lateness and penalty (the late policy's
verdict) go into ``collect.json`` for ``grader batch``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.course.late_policy import LatePolicy, Window, assess, parse_time, utc_stamp
from grader.platforms.collect import (
    BY_PUSH,
    COLLECTED,
    UNCHANGED,
    Collection,
    Collector,
    Student,
    read_manifest,
    write_files,
)
from grader.platforms.github_api import GitHubClient, GitHubError

EARLIER = "earlier"  # OUT/<user>/earlier/<pushed at>-<commit>/: the earlier pushes of a lab that counts the best
NO_CUTOFF = "9999-12-31T23:59:59Z"


def _verdict(student_window: Window, pushed_at: str, policy: LatePolicy) -> dict[str, Any]:
    verdict = assess(student_window, parse_time(pushed_at), policy)
    return {"hours_late": verdict.hours_late, "penalty_percent": verdict.penalty_percent, "late_reason": verdict.reason}


def collect_course(client: GitHubClient, course: Any, lab_id: str, out_dir: Path, entries: list[Any],
                   pattern: str = "*.ipynb", branch: str | None = None,
                   progress: Callable[[Student], None] | None = None) -> Collection:
    """Collect ``lab_id`` of ``course`` (``grader.course.course_file.Course``) for the roster ``entries``."""
    from grader.course.roster import teams

    lab = course.lab(lab_id)
    previous = read_manifest(out_dir)
    collector = Collector(client, course.organisation, lab.prefix, utc_stamp(lab.deadline), out_dir, pattern, branch,
                          None, BY_PUSH)
    windows: dict[str, Window] = {}
    for owner, members in teams(entries).items():
        names = [name for member in members for name in member.names]
        student_window = course.window(lab_id, names)
        logins = {member.github_username.lower() for member in members}
        for member in members:
            login = member.github_username.lower()
            collector.owners[login], collector.pushers[login], windows[login] = owner.lower(), logins, student_window
            collector.cutoffs[login] = utc_stamp(student_window.cutoff) if student_window.cutoff else NO_CUTOFF

    def judged(student: Student) -> Student:
        student_window = windows.get(student.user.lower())
        if student_window is not None:
            student.deadline = utc_stamp(student_window.deadline)
            student.cutoff = utc_stamp(student_window.cutoff) if student_window.cutoff else ""
            student.extension, student.counts = student_window.extension, lab.counts
            if student.pushed_at:
                for key, value in _verdict(student_window, student.pushed_at, lab.policy).items():
                    setattr(student, key, value)
            if lab.counts == "best" and student.status in (COLLECTED, UNCHANGED):
                old = previous.students.get(student.user) if previous else None
                _earlier_pushes(collector, student, student_window, lab.policy, old)
        if progress is not None:
            progress(student)
        return student

    collector.progress = judged
    return collector.collect([(entry.identifier, entry.github_username) for entry in entries])


def _earlier_pushes(collector: Collector, student: Student, student_window: Window, policy: LatePolicy,
                    old: Student | None) -> None:
    """Every push before the cut-off other than the last, each in its own folder, fetched once."""
    login = student.user.lower()
    base = collector.out_dir / student.user / EARLIER
    kept = {entry["folder"]: entry for entry in (old.earlier if old else [])}
    entries, seen = [], {student.commit}
    try:
        pushes = list(collector.pushes(student.repository, collector.cutoffs.get(login, NO_CUTOFF),
                                       collector.pushers.get(login)))
    except GitHubError as exc:
        student.message = f"earlier pushes not read: {exc}"
        return
    for sha, pushed_at in reversed(pushes):  # oldest first
        if sha in seen:
            continue
        seen.add(sha)
        folder = f"{EARLIER}/{pushed_at.replace('-', '').replace(':', '')}-{sha[:12]}"
        entry = {"folder": folder, "commit": sha, "pushed_at": pushed_at,
                 **_verdict(student_window, pushed_at, policy)}
        target = collector.out_dir / student.user / folder
        previous = kept.get(folder)
        if previous and previous.get("notebooks") and all((target / n).is_file() for n in previous["notebooks"]):
            entry["notebooks"] = previous["notebooks"]
        else:
            try:
                files, _ = collector.fetch(student.repository, sha)
            except (GitHubError, ValueError, KeyError, TypeError) as exc:
                student.message = f"could not read the earlier push {sha[:12]}: {exc}"
                continue
            shutil.rmtree(target, ignore_errors=True)
            entry["notebooks"] = write_files(target, files)
        entries.append(entry)
    wanted = {entry["folder"].split("/", 1)[1] for entry in entries}
    if base.is_dir():
        for stale in base.iterdir():
            if stale.name not in wanted:
                shutil.rmtree(stale, ignore_errors=True)
    student.earlier = entries

