"""What GitHub Classroom did, through GitHub's REST API and the staff's token: the lab's template repository,
one private repository per student (or team) with an invitation, the ``feedback`` branch, the Feedback pull
request and its protection; and a status table.

Every step reads first and writes only what is missing, so a rerun creates nothing twice; what it finds
changed since (a repository made public, ``feedback`` moved off the starter, the Feedback pull request
closed, protection removed, someone with access who is not on the roster) is reported, never undone
silently. With ``dry_run`` nothing is written: each write is listed as what would be done.

Endpoints (all documented in GitHub's REST API, version 2022-11-28):

- template: ``POST /orgs/{org}/repos`` (``is_template``, ``auto_init``), ``PATCH /repos/{o}/{r}``, the starter
  as one commit with ``POST /repos/{o}/{r}/git/blobs``, ``/git/trees``, ``/git/commits`` and
  ``PATCH /repos/{o}/{r}/git/refs/heads/main``;
- a student's repository: ``POST /repos/{template_owner}/{template_repo}/generate``; ``PUT
  /repos/{o}/{r}/collaborators/{username}`` (``push``); ``POST /repos/{o}/{r}/git/refs`` for ``feedback`` at
  the starter commit; an empty commit on ``main`` so that the pull request has something to show, as
  Classroom made one; ``POST /repos/{o}/{r}/pulls``; ``PUT /repos/{o}/{r}/branches/feedback/protection``;
- status: ``GET /repos/{o}/{r}/collaborators``, ``/invitations`` and ``/activity`` (pushes by the students).
"""

from __future__ import annotations

import base64
import hashlib
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.course.roster import RosterEntry, teams
from grader.errors import InputError
from grader.platforms.github_api import GitHubClient, GitHubError

FEEDBACK = "feedback"
FEEDBACK_TITLE = "Feedback"
SETUP_MESSAGE = "Set up the Feedback pull request"
FEEDBACK_BODY = ("The course staff's feedback and grade come here. Do not merge or close this pull request: "
                 "it shows every change since the starter.")
PROTECTION = {"required_status_checks": None, "enforce_admins": False, "required_pull_request_reviews": None,
              "restrictions": {"users": [], "teams": [], "apps": []}, "allow_force_pushes": False,
              "allow_deletions": False}


@dataclass
class Outcome:
    """One repository: what was done (or would be, on a dry run), what was found changed, what failed."""

    repository: str
    members: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what GitHub will not do here (and needs no rerun)

    @property
    def unchanged(self) -> bool:
        return not (self.done or self.found or self.problems)


def explain(exc: GitHubError, org: str, what: str) -> str:
    """A one-line message for the staff: a bad token, an organisation it cannot write, a rate limit."""
    if exc.status == 401:
        return (f"GitHub refused the token (HTTP 401 Bad credentials) while {what}: set GITHUB_TOKEN (or "
                "GH_TOKEN) to a valid token of a staff member")
    if "rate limited" in str(exc):
        return str(exc)
    if exc.status in (403, 404) and what.startswith(("creating", "publishing")):
        return (f"the token cannot create repositories in the organisation {org} (HTTP {exc.status}) while {what}: "
                "it needs the repo scope (classic token) or Administration: write on the organisation "
                "(fine-grained), and its owner must be allowed to create repositories there")
    return f"{str(exc)} (while {what})"


def git_blob_sha(content: bytes) -> str:
    """The sha git (and GitHub) gives a blob of ``content``."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def starter_files(directory: Path) -> dict[str, tuple[str, bytes]]:
    """``{path: (mode, content)}`` of the starter ``grader starter`` wrote (no ``.git``)."""
    if not directory.is_dir():
        raise InputError(f"{directory} is not a folder; write the starter with `grader starter LAB {directory}`")
    files = {}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if ".git" in relative.parts or not path.is_file() or path.is_symlink():
            continue
        mode = "100755" if os.access(path, os.X_OK) else "100644"
        files[relative.as_posix()] = (mode, path.read_bytes())
    if not files:
        raise InputError(f"{directory} is empty; write the starter with `grader starter LAB {directory}`")
    return files


class Provisioner:
    """Provision the repositories of one lab in ``org``. ``log`` hears each step as it happens."""

    def __init__(self, client: GitHubClient, org: str, *, dry_run: bool = False,
                 log: Callable[[str], None] | None = None, wait_seconds: float = 1.0, wait_tries: int = 10) -> None:
        self.client, self.org, self.dry_run = client, org, dry_run
        self.log = log or (lambda message: None)
        self.wait_seconds, self.wait_tries = wait_seconds, wait_tries

    # -- helpers -----------------------------------------------------------------------------------------
    def _get_or_none(self, path: str) -> Any:
        try:
            return self.client.get(path)
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise

    def _write(self, outcome: Outcome, action: str, method: str, path: str, body: dict[str, Any] | None) -> Any:
        """Do one write (or, on a dry run, list it)."""
        outcome.done.append(("would " if self.dry_run else "") + action)
        self.log(f"{outcome.repository}: {outcome.done[-1]}")
        if self.dry_run:
            return None
        return self.client.request(method, path, body).data

    def _head(self, repository: str, branch: str) -> str | None:
        try:
            ref = self._get_or_none(f"/repos/{repository}/git/ref/heads/{branch}")
        except GitHubError as exc:
            if exc.status != 409:  # GitHub's answer while a repository is still empty
                raise
            return None
        return str(ref["object"]["sha"]) if ref else None

    def check_token(self) -> str:
        """The token's login; a bad token is a one-line error before anything is written."""
        try:
            user = self.client.get("/user")
        except GitHubError as exc:
            if exc.status in (403, 404) and "rate limited" not in str(exc):  # an app's token has no user
                return ""
            raise GitHubError(explain(exc, self.org, "reading the token's user"), exc.status) from None
        return str((user or {}).get("login", ""))

    # -- the template ------------------------------------------------------------------------------------
    def publish_template(self, directory: Path, name: str) -> Outcome:
        """Make ``org/name`` a private template repository whose ``main`` holds exactly the starter."""
        files = starter_files(directory)
        repository = f"{self.org}/{name}"
        outcome = Outcome(repository)
        try:
            repo = self._get_or_none(f"/repos/{repository}")
            if repo is None:
                self._write(outcome, "create the template repository", "POST", f"/orgs/{self.org}/repos",
                            {"name": name, "private": True, "is_template": True, "auto_init": True,
                             "description": "Starter of a lab (grader starter)"})
                if self.dry_run:
                    outcome.done.append(f"would commit the starter ({len(files)} files)")
                    return outcome
                repo = self.client.get(f"/repos/{repository}")
            elif not repo.get("is_template"):
                outcome.found.append("it is not a template repository")
                self._write(outcome, "mark it a template repository", "PATCH", f"/repos/{repository}",
                            {"is_template": True})
            branch = str(repo.get("default_branch") or "main")
            head = self._head(repository, branch)
            tree: dict[str, str] = {}
            if head:
                commit = self.client.get(f"/repos/{repository}/git/commits/{head}")
                listing = self.client.get(f"/repos/{repository}/git/trees/{commit['tree']['sha']}?recursive=1")
                tree = {e["path"]: f"{e['mode']} {e['sha']}" for e in listing.get("tree", []) if e.get("type") == "blob"}
            wanted = {path: f"{mode} {git_blob_sha(content)}" for path, (mode, content) in files.items()}
            if tree == wanted:
                return outcome
            changed = sorted(set(wanted) ^ set(tree) | {p for p in wanted if p in tree and wanted[p] != tree[p]})
            action = f"commit the starter ({len(changed)} file{'s' * (len(changed) != 1)} changed: {', '.join(changed[:5])}" + \
                     (", ..." if len(changed) > 5 else "") + ")"
            if self.dry_run:
                outcome.done.append("would " + action)
                return outcome
            entries = []
            for path, (mode, content) in files.items():
                blob = self.client.request("POST", f"/repos/{repository}/git/blobs",
                                           {"content": base64.b64encode(content).decode(), "encoding": "base64"}).data
                entries.append({"path": path, "mode": mode, "type": "blob", "sha": blob["sha"]})
            new_tree = self.client.request("POST", f"/repos/{repository}/git/trees", {"tree": entries}).data
            commit = self.client.request("POST", f"/repos/{repository}/git/commits",
                                         {"message": "Starter of the lab", "tree": new_tree["sha"],
                                          "parents": [head] if head else []}).data
            self._write(outcome, action, "PATCH", f"/repos/{repository}/git/refs/heads/{branch}",
                        {"sha": commit["sha"], "force": False})
        except GitHubError as exc:
            raise GitHubError(explain(exc, self.org, f"publishing the template {repository}"), exc.status) from None
        return outcome

    # -- students' repositories --------------------------------------------------------------------------
    def provision(self, template: str, prefix: str, entries: list[RosterEntry]) -> list[Outcome]:
        """One private repository ``prefix-<team or login>`` per team or student of ``entries``."""
        if self._get_or_none(f"/repos/{template}") is None:
            raise InputError(f"no template repository {template}: publish it with `grader provision template`")
        outcomes = []
        for owner, members in teams(entries).items():
            outcome = Outcome(f"{self.org}/{prefix}-{owner}", [m.github_username for m in members])
            try:
                self._one(template, outcome)
            except GitHubError as exc:
                if exc.status == 401 or "rate limited" in str(exc) or (
                        exc.status in (403, 404) and outcome.done and outcome.done[-1].endswith("from the template")):
                    raise GitHubError(explain(exc, self.org, f"creating {outcome.repository}"), exc.status) from None
                outcome.problems.append(str(exc))
            outcomes.append(outcome)
        for entry in entries:
            if not entry.github_username:
                outcomes.append(Outcome("", [], problems=[f"{entry.identifier} ({entry.name}) has no GitHub "
                                                          "username in the roster: no repository"]))
        return outcomes

    def _one(self, template: str, outcome: Outcome) -> None:
        repository = outcome.repository
        name = repository.split("/", 1)[1]
        repo = self._get_or_none(f"/repos/{repository}")
        if repo is None:
            self._write(outcome, "create the repository from the template", "POST", f"/repos/{template}/generate",
                        {"owner": self.org, "name": name, "private": True, "include_all_branches": False})
            if self.dry_run:
                outcome.done += [f"would invite {m}" for m in outcome.members] + [
                    "would create feedback at the starter", "would open the Feedback pull request",
                    "would protect feedback"]
                return
            starter = self._wait_for_starter(repository)
        else:
            if not repo.get("private", True):
                outcome.found.append("the repository is public")
            starter = None
        self._invite(outcome)
        feedback = self._head(repository, FEEDBACK)
        if feedback is None:
            starter = starter or self._root_commit(repository)
            self._write(outcome, f"create {FEEDBACK} at the starter {starter[:12]}", "POST",
                        f"/repos/{repository}/git/refs", {"ref": f"refs/heads/{FEEDBACK}", "sha": starter})
            feedback = starter
        elif self.client.get(f"/repos/{repository}/git/commits/{feedback}").get("parents"):
            outcome.found.append(f"{FEEDBACK} has moved off the starter (now at {feedback[:12]})")
        self._feedback_pull(outcome, feedback)
        if self._get_or_none(f"/repos/{repository}/branches/{FEEDBACK}/protection") is None:
            try:
                self._write(outcome, f"protect {FEEDBACK}", "PUT",
                            f"/repos/{repository}/branches/{FEEDBACK}/protection", PROTECTION)
            except GitHubError as exc:
                if exc.status != 403:
                    raise
                outcome.done.pop()
                outcome.notes.append(f"{FEEDBACK} not protected: GitHub refused (HTTP 403; branch protection of a "
                                        "private repository needs GitHub Team or an education organisation)")
                return
            if repo is not None and not any(f"create {FEEDBACK}" in d for d in outcome.done):
                outcome.found.append(f"{FEEDBACK} was not protected")

    def _wait_for_starter(self, repository: str) -> str:
        """GitHub fills a repository generated from a template shortly after answering: wait for its commit."""
        for _ in range(self.wait_tries):
            head = self._head(repository, "main")
            if head:
                return head
            self.client.sleep(self.wait_seconds)
        raise GitHubError(f"{repository}: still empty {self.wait_tries * self.wait_seconds:g} s after its creation; "
                          "run the command again")

    def _root_commit(self, repository: str) -> str:
        """The starter: the first commit of ``main`` (a generated repository starts with one)."""
        commits = list(self.client.paginate(f"/repos/{repository}/commits?sha=main&per_page=100", max_pages=100))
        if not commits:
            raise GitHubError(f"{repository}: no commit on main")
        return str(commits[-1]["sha"])

    def _invite(self, outcome: Outcome) -> None:
        repository = outcome.repository
        collaborators = {c["login"].lower(): c for c in self.client.paginate(
            f"/repos/{repository}/collaborators?affiliation=direct")}
        invitations = {i["invitee"]["login"].lower(): i for i in self.client.paginate(f"/repos/{repository}/invitations")
                       if i.get("invitee")}
        members = {m.lower() for m in outcome.members}
        for login in outcome.members:
            if login.lower() in collaborators:
                continue
            invitation = invitations.get(login.lower())
            if invitation is not None and not invitation.get("expired"):
                continue
            if invitation is not None:
                outcome.found.append(f"the invitation of {login} expired")
            try:
                self._write(outcome, f"invite {login}", "PUT", f"/repos/{repository}/collaborators/{login}",
                            {"permission": "push"})
            except GitHubError as exc:
                if exc.status not in (404, 422):
                    raise
                outcome.done.pop()
                outcome.problems.append(f"GitHub has no user {login!r} to invite (HTTP {exc.status}): correct the "
                                        "roster and run this again")
        for login, collaborator in collaborators.items():
            if login not in members and not (collaborator.get("permissions") or {}).get("admin"):
                outcome.found.append(f"{collaborator['login']} has access but is not on the roster for it")

    def _feedback_pull(self, outcome: Outcome, feedback: str) -> None:
        repository = outcome.repository
        query = urllib.parse.urlencode({"state": "all", "base": FEEDBACK})
        pulls = list(self.client.paginate(f"/repos/{repository}/pulls?{query}"))
        titled = [p for p in pulls if p.get("title") == FEEDBACK_TITLE] or pulls
        if titled:
            if all(p.get("state") != "open" for p in titled):
                outcome.found.append(f"the Feedback pull request #{titled[0]['number']} is closed")
            return
        main = self._head(repository, "main")
        if main == feedback:  # nothing to compare yet: an empty commit, as Classroom made
            if self.dry_run:
                outcome.done.append("would add an empty commit to main for the pull request")
            else:
                commit = self.client.get(f"/repos/{repository}/git/commits/{main}")
                empty = self.client.request("POST", f"/repos/{repository}/git/commits",
                                            {"message": SETUP_MESSAGE, "tree": commit["tree"]["sha"],
                                             "parents": [main]}).data
                self._write(outcome, "add an empty commit to main for the pull request", "PATCH",
                            f"/repos/{repository}/git/refs/heads/main", {"sha": empty["sha"], "force": False})
        self._write(outcome, "open the Feedback pull request", "POST", f"/repos/{repository}/pulls",
                    {"title": FEEDBACK_TITLE, "head": "main", "base": FEEDBACK, "body": FEEDBACK_BODY})


@dataclass
class StatusRow:
    repository: str
    members: list[str]
    exists: bool
    invited: list[str]
    accepted: list[str]
    pushes: int
    last_push: str


def status(client: GitHubClient, org: str, prefix: str, entries: list[RosterEntry]) -> list[StatusRow]:
    """Each repository of the lab: who is invited, who accepted, how many pushes by its students, the last."""
    rows = []
    for owner, members in teams(entries).items():
        repository = f"{org}/{prefix}-{owner}"
        logins = [m.github_username for m in members]
        try:
            client.get(f"/repos/{repository}")
        except GitHubError as exc:
            if exc.status != 404:
                raise
            rows.append(StatusRow(repository, logins, False, [], [], 0, ""))
            continue
        collaborators = {c["login"].lower() for c in client.paginate(f"/repos/{repository}/collaborators?affiliation=direct")}
        invited = {i["invitee"]["login"].lower() for i in client.paginate(f"/repos/{repository}/invitations")
                   if i.get("invitee") and not i.get("expired")}
        lowered = {login.lower() for login in logins}
        query = urllib.parse.urlencode({"ref": "refs/heads/main", "direction": "desc", "per_page": 100})
        pushes = [a for a in client.paginate(f"/repos/{repository}/activity?{query}", max_pages=20)
                  if a.get("activity_type") in ("push", "force_push")
                  and str((a.get("actor") or {}).get("login", "")).lower() in lowered]
        rows.append(StatusRow(repository, logins, True, [m for m in logins if m.lower() in invited],
                              [m for m in logins if m.lower() in collaborators], len(pushes),
                              str(pushes[0]["timestamp"]) if pushes else ""))
    return rows


def unknown_logins(entries: list[RosterEntry], client: GitHubClient) -> list[str]:
    """The GitHub usernames GitHub does not know (``GET /users/{username}`` answers 404)."""
    unknown = []
    for entry in entries:
        if not entry.github_username:
            continue
        try:
            client.get(f"/users/{entry.github_username}")
        except GitHubError as exc:
            if exc.status != 404:
                raise
            unknown.append(f"{entry.identifier}: no GitHub user {entry.github_username!r} (unknown user)")
    return unknown
