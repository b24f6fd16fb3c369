"""``grader collect``: every submission of a GitHub Classroom assignment, at the deadline, ready for ``grader batch``.

Repositories are ``<prefix>-<github user>`` in the organisation (GitHub Classroom's naming), listed once
(``GET /orgs/{org}/repos``, every page), or named by a Classroom roster export. For each, the last commit
before the deadline (``GET /repos/{o}/{r}/commits?until=…&per_page=1``) is read through the API (its tree,
then each notebook's blob): no clone, and the token never goes into a URL. Notebooks land in
``OUT/<github user>/<path>``; ``OUT/collect.json`` records each student's repository, commit and files, so
that a rerun fetches only repositories whose commit changed and the feedback poster knows where to write.

With ``by="push"`` (``--by push``) the graded commit is instead where the branch stood at the deadline by
GitHub's own record of pushes (``GET /repos/{o}/{r}/activity``), which no student can backdate.

Commit dates come from the student's git client: a student can backdate a commit. So a collection made
after the deadline is authoritative: a rerun for the same deadline keeps the commit it found (or its
finding that there was none) and names any commit that has appeared since, dated before the deadline but
pushed after it. Collect soon after the deadline (the staff workflow's schedule does).
"""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from grader.errors import InputError
from grader.platforms.github_api import GitHubClient, GitHubError

MANIFEST = "collect.json"
COLLECTED, UNCHANGED, NO_REPOSITORY, NO_COMMIT, NO_NOTEBOOK, NO_ACCOUNT, FAILED = (
    "collected", "unchanged", "no repository", "no commit before the deadline", "no notebook", "no GitHub account",
    "error")
# GitHub logins: alphanumerics and single hyphens, at most 39 characters. Anything else never names a folder.
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
BY_COMMIT_DATE, BY_PUSH = "commit-date", "push"
# activities that move a branch (GitHub's repository activity API)
_MOVES = {"push", "force_push", "merge", "pr_merge", "branch_creation"}


@dataclass
class Student:
    user: str
    status: str
    repository: str = ""
    commit: str = ""
    commit_date: str = ""
    notebooks: list[str] = field(default_factory=list)
    message: str = ""
    roster_identifier: str = ""
    pushed_at: str = ""  # with --by push: when the graded commit was pushed (GitHub's record, not the student's)
    # with --course: the student's own deadline and cut-off (extension applied) and the late policy's verdict
    deadline: str = ""
    cutoff: str = ""
    extension: str = ""
    hours_late: float = 0.0
    penalty_percent: float = 0.0
    late_reason: str = ""
    counts: str = ""  # the course file's: "last", or "best" (then earlier holds every earlier push collected)
    earlier: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Collection:
    org: str
    prefix: str
    deadline: str
    collected_at: str
    students: dict[str, Student] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"org": self.org, "prefix": self.prefix, "deadline": self.deadline, "collected_at": self.collected_at,
                "students": {user: asdict(student) for user, student in sorted(self.students.items())}}


def parse_deadline(text: str) -> str:
    """An ISO 8601 date-time as UTC ``YYYY-MM-DDTHH:MM:SSZ``; one without a zone is refused (ambiguous)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--deadline {text!r} is not an ISO 8601 date-time (e.g. 2026-12-01T23:59:00+01:00)") from None
    if moment.tzinfo is None:
        raise InputError(f"--deadline {text!r} has no time zone; add one (Z, +01:00, ...)")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(stamp: str) -> str:
    try:
        return parse_deadline(stamp)
    except InputError:
        return stamp


def valid_login(name: str) -> bool:
    return bool(_LOGIN.match(name))


def read_roster(path: Path) -> list[tuple[str, str]]:
    """``(identifier, github_username)`` rows of a GitHub Classroom roster export (username may be empty)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or "github_username" not in reader.fieldnames:
                raise InputError(f"{path}: not a GitHub Classroom roster (no github_username column)")
            return [(str(row.get("identifier") or "").strip(), str(row.get("github_username") or "").strip())
                    for row in reader]
    except OSError as exc:
        raise InputError(f"cannot read the roster {path}: {exc.strerror or exc}") from None


def read_manifest(out_dir: Path) -> Collection | None:
    path = out_dir / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        known = set(Student.__dataclass_fields__)
        students = {user: Student(**{k: v for k, v in entry.items() if k in known})
                    for user, entry in data.get("students", {}).items()}
        return Collection(data["org"], data["prefix"], data["deadline"], data["collected_at"], students)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path} is not a collect manifest ({exc}); remove it or choose another folder") from None


def _safe_relative(path: str) -> PurePosixPath | None:
    """A tree path that stays inside the student's folder, or None."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or any(part in ("", ".", "..") or "\\" in part for part in pure.parts):
        return None
    return pure


def _notebook_paths(tree: dict[str, Any], pattern: str) -> list[dict[str, Any]]:
    entries = []
    for entry in tree.get("tree", []):
        if entry.get("type") != "blob" or ".ipynb_checkpoints" in str(entry.get("path", "")):
            continue
        path = str(entry.get("path", ""))
        # matched segment by segment against the whole path: "*.ipynb" is the top level only
        if len(PurePosixPath(path).parts) == len(PurePosixPath(pattern).parts) and PurePosixPath(path).match(pattern):
            entries.append(entry)
    return entries


class Collector:
    def __init__(self, client: GitHubClient, org: str, prefix: str, deadline: str, out_dir: Path,
                 pattern: str = "*.ipynb", branch: str | None = None,
                 progress: Callable[[Student], None] | None = None, by: str = BY_COMMIT_DATE) -> None:
        if by not in (BY_COMMIT_DATE, BY_PUSH):
            raise InputError(f"--by {by!r}: choose {BY_COMMIT_DATE} or {BY_PUSH}")
        self.client, self.org, self.prefix, self.out_dir = client, org, prefix, out_dir
        self.deadline = parse_deadline(deadline)
        self.pattern, self.branch, self.progress, self.by = pattern, branch, progress, by
        self.default_branches: dict[str, str] = {}
        # with a course file: each student's own cut-off (UTC) and the repository owner (a team) of each student
        self.cutoffs: dict[str, str] = {}
        self.owners: dict[str, str] = {}
        self.pushers: dict[str, set[str]] = {}  # a student -> whose pushes to their repository are submissions

    def repositories(self) -> dict[str, str]:
        """``{github user (lower case): owner/name}`` of the organisation's ``<prefix>-<user>`` repositories."""
        start = f"{self.prefix}-".lower()
        found = {}
        for repo in self.client.paginate(f"/orgs/{self.org}/repos?type=all&per_page=100", max_pages=300):
            name = str(repo.get("name", ""))
            if name.lower().startswith(start) and len(name) > len(start):
                full_name = str(repo.get("full_name") or f"{self.org}/{name}")
                found[name[len(start):].lower()] = full_name
                self.default_branches[full_name] = str(repo.get("default_branch") or "main")
        return found

    def _last_commit(self, repository: str, until: str | None = None,
                     pushers: set[str] | None = None) -> tuple[str, str, str] | None:
        """(sha, commit date, pushed at) of the graded commit, or None when there is none before ``until``
        (default: the deadline). ``pushers``: only pushes by these logins count (not the staff's set-up)."""
        until = until or self.deadline
        if self.by == BY_PUSH:
            for sha, pushed_at in self.pushes(repository, until, pushers):
                return sha, "", pushed_at
            return None
        try:
            query = f"until={until}&per_page=1" + (f"&sha={self.branch}" if self.branch else "")
            commits = self.client.request("GET", f"/repos/{repository}/commits?{query}").data or []
        except GitHubError as exc:
            if exc.status == 409:  # GitHub's answer for an empty repository
                return None
            raise
        if not commits:
            return None
        date = str(((commits[0].get("commit") or {}).get("committer") or {}).get("date", ""))
        return str(commits[0]["sha"]), date, ""

    def collect(self, roster: list[tuple[str, str]] | None = None) -> Collection:
        previous = read_manifest(self.out_dir)
        if previous is not None and (previous.org.lower(), previous.prefix) != (self.org.lower(), self.prefix):
            raise InputError(f"{self.out_dir} holds {previous.org}/{previous.prefix}-*; use another folder")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        repos = self.repositories()
        result = Collection(self.org, self.prefix, self.deadline,
                            datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        start = len(self.prefix) + 1
        wanted = roster if roster is not None else [("", name.split("/", 1)[1][start:]) for _, name in sorted(repos.items())]
        for identifier, user in wanted:
            if not user:
                key = f"(unlinked) {identifier or '?'}"
                result.students[key] = self._report(Student(key, NO_ACCOUNT, roster_identifier=identifier,
                                                            message="no GitHub account linked in the roster"))
                continue
            if not valid_login(user):
                result.students[user] = self._report(Student(user, FAILED, roster_identifier=identifier,
                                                             message="not a GitHub login; skipped"))
                continue
            old = previous.students.get(user) if previous else None
            # a collection made after this very deadline is authoritative: what appears later was pushed late
            # (GitHub's record of pushes cannot be backdated: by push, nothing needs settling)
            settled = (self.by != BY_PUSH and previous is not None and previous.deadline == self.deadline
                       and previous.collected_at > self.deadline)
            owner = self.owners.get(user.lower(), user.lower())
            student = self._collect_one(user, repos.get(owner), old, identifier, settled)
            result.students[user] = self._report(student)
        (self.out_dir / MANIFEST).write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
        return result

    def _report(self, student: Student) -> Student:
        if self.progress is not None:
            self.progress(student)
        return student

    def pushes(self, repository: str, until: str, pushers: set[str] | None = None) -> Iterator[tuple[str, str]]:
        """(sha, pushed at) of each move of the branch GitHub recorded up to ``until``, the latest first."""
        ref = f"refs/heads/{self.branch or self.default_branches.get(repository, 'main')}"
        query = urllib.parse.urlencode({"ref": ref, "direction": "desc", "per_page": 100})
        for activity in self.client.paginate(f"/repos/{repository}/activity?{query}", max_pages=20):
            moved = activity.get("activity_type") in _MOVES and activity.get("ref") == ref
            if pushers is not None:
                moved = moved and str((activity.get("actor") or {}).get("login", "")).lower() in pushers
            if moved and _utc(str(activity.get("timestamp", ""))) <= until and activity.get("after"):
                yield str(activity["after"]), _utc(str(activity["timestamp"]))

    def fetch(self, repository: str, commit: str) -> tuple[dict[PurePosixPath, bytes], list[str]]:
        """The notebooks of ``commit`` matching the pattern (through the API), and what was skipped and why."""
        tree = self.client.get(f"/repos/{repository}/git/trees/{commit}?recursive=1") or {}
        files: dict[PurePosixPath, bytes] = {}
        skipped = []
        for entry in _notebook_paths(tree, self.pattern):
            relative = _safe_relative(str(entry["path"]))
            if relative is None:
                skipped.append(f"{entry['path']!r} (path leaves the folder)")
                continue
            if int(entry.get("size") or 0) > MAX_NOTEBOOK_BYTES:
                skipped.append(f"{relative} ({int(entry['size']) // 2**20} MiB, over the limit)")
                continue
            blob = self.client.get(f"/repos/{repository}/git/blobs/{entry['sha']}") or {}
            files[relative] = base64.b64decode(str(blob.get("content", "")))
        return files, skipped

    def _collect_one(self, user: str, repository: str | None, old: Student | None, identifier: str,
                     settled: bool = False) -> Student:
        student = Student(user, FAILED, repository or "", roster_identifier=identifier)
        folder = self.out_dir / user
        if repository is None:
            owner = self.owners.get(user.lower(), user)
            student.status, student.message = NO_REPOSITORY, f"no repository {self.org}/{self.prefix}-{owner}"
            shutil.rmtree(folder, ignore_errors=True)
            return student
        until = self.cutoffs.get(user.lower()) or self.deadline
        try:
            last = self._last_commit(repository, until, self.pushers.get(user.lower()))
        except GitHubError as exc:
            student.message = str(exc)
            return student
        if last is None:
            pushed = "pushed" if self.by == BY_PUSH else "dated"
            student.status, student.message = NO_COMMIT, f"no commit {pushed} before {until}"
            shutil.rmtree(folder, ignore_errors=True)
            return student
        student.commit, student.commit_date, student.pushed_at = last
        late = ""
        if settled and old is not None and old.status in (NO_COMMIT, NO_REPOSITORY):
            student.status = NO_COMMIT
            student.message = (f"{student.commit[:12]} (dated {student.commit_date}) appeared after a collection made "
                               "after the deadline found none: pushed late with a backdated date; not taken")
            student.commit = student.commit_date = ""
            shutil.rmtree(folder, ignore_errors=True)
            return student
        if settled and old is not None and old.commit and old.commit != student.commit:
            # dated before the deadline but absent when it had passed: a backdated commit, pushed late
            late = (f"kept {old.commit[:12]}, collected after the deadline; {student.commit[:12]} (dated "
                    f"{student.commit_date}) appeared since: pushed late with a backdated date")
            student.commit, student.commit_date, student.pushed_at = old.commit, old.commit_date, old.pushed_at
        if (old is not None and old.commit == student.commit and old.status in (COLLECTED, UNCHANGED)
                and all((folder / name).is_file() for name in old.notebooks)):
            student.status, student.notebooks, student.message = UNCHANGED, list(old.notebooks), late
            return student
        try:
            files, skipped = self.fetch(repository, student.commit)
        except (GitHubError, ValueError, KeyError, TypeError) as exc:
            student.message = f"could not read commit {student.commit[:12]}: {exc}"
            return student
        shutil.rmtree(folder, ignore_errors=True)
        student.notebooks = write_files(folder, files)
        student.message = "; ".join([late] * bool(late) + [f"skipped {s}" for s in skipped])
        student.status = COLLECTED if files else NO_NOTEBOOK
        if not files:
            student.message = student.message or f"no file matching {self.pattern} at {student.commit[:12]}"
        return student


def write_files(folder: Path, files: dict[PurePosixPath, bytes]) -> list[str]:
    for relative, content in files.items():
        target = folder.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return sorted(r.as_posix() for r in files)


def collect(client: GitHubClient, org: str, prefix: str, deadline: str, out_dir: Path,
            roster: Path | None = None, pattern: str = "*.ipynb", branch: str | None = None,
            progress: Callable[[Student], None] | None = None, by: str = BY_COMMIT_DATE) -> Collection:
    """Fetch every submission into ``out_dir`` (see the module's docstring)."""
    rows = read_roster(roster) if roster is not None else None
    return Collector(client, org, prefix, deadline, out_dir, pattern, branch, progress, by).collect(rows)

