"""``grader starter``: the template repository for GitHub Classroom, and the staff's graded-run workflow.

The template repository holds the student notebook, the lab's public data, a README for students and a
feedback workflow that holds no secret: it installs the *public* grader (the ``rnn-course-grader``
distribution, pinned to a version, a tag or a commit) and runs the public checks. A student can edit
that workflow, so nothing it prints is a grade. The grade comes from the staff workflow
(``--staff-workflow``), which runs in the teaching staff's private repository: ``grader collect`` at the
deadline, ``grader batch`` in the sandbox, each report posted on the student's Feedback pull request.
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from grader.course import frameworks
from grader.course.lab_extras import LAB_EXTRAS
from grader.course.release import build_release
from grader.course.spec import Lab
from grader.errors import InputError
from grader.version import __version__

DISTRIBUTION = "rnn-course-grader"
EXTRAS = {"keras": "keras", "torch": "torch"}
# the student job's environment has no pip of its own (smaller to cache and restore): the runner's pip fills it,
# without compiling every module of the framework (and of what it depends on but a grading never imports) ...
PIP_INTO_ENV = 'python -m pip --python "$HOME/grader-venv/bin/python" install --quiet --no-compile'
# ... then the lab's own student notebook, shipped with the grader, is graded once and what that imported is
# compiled (grader.judging.warm_up), before the environment is kept: nothing of the student's repository runs
WARM_UP = '"$HOME/grader-venv/bin/grader" warm-up {lab} --framework {framework}'
_SHA = re.compile(r"^[0-9a-f]{40}$")
_TAG = re.compile(r"^v?\d+(\.\d+)*([-.+]?[A-Za-z0-9.]+)?$")
_VERSION = re.compile(r"^\d+(\.\d+)*([abc]|rc|\.post|\.dev)?\d*$")
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")
_PLACEHOLDER = re.compile(r"<<(\w+)>>")


@dataclass(frozen=True)
class StarterOptions:
    """Where the student workflow installs the public grader from.

    ``grader_version`` pins ``rnn-course-grader==VERSION`` from the package index (the default: this
    grader's own version); ``grader_repo`` with ``grader_ref`` (a tag or a 40-hex commit, never a branch)
    installs ``git+https://github.com/<grader_repo>@<grader_ref>`` instead.
    """

    grader_version: str = __version__
    grader_repo: str | None = None
    grader_ref: str | None = None
    classroom_reporter: bool = False  # add Classroom's autograding reporter, one runner per check

    def requirement(self, extra: str) -> str:
        if self.grader_repo:
            return f"{DISTRIBUTION}[{extra}] @ git+https://github.com/{self.grader_repo}@{self.grader_ref}"
        return f"{DISTRIBUTION}[{extra}]=={self.grader_version}"

    def pin(self) -> str:
        return f"{self.grader_repo}@{self.grader_ref}" if self.grader_repo else f"{DISTRIBUTION}=={self.grader_version}"

    def validate(self) -> None:
        if self.grader_repo or self.grader_ref:
            if not self.grader_repo or not _REPO.match(self.grader_repo):
                raise InputError(f"--grader-repo {self.grader_repo!r}: give the public grader's owner/name")
            ref = self.grader_ref or ""
            if not (_SHA.match(ref) or _TAG.match(ref)):
                raise InputError(f"--grader-ref {ref!r} looks like a branch, which moves: give a tag (v0.1.0) or "
                                 "a full 40-character commit sha")
        elif not _VERSION.match(self.grader_version):
            raise InputError(f"--grader-version {self.grader_version!r} is not a version (e.g. {__version__})")


@dataclass(frozen=True)
class StaffOptions:
    """What the staff workflow collects: the organisation, the assignment prefix and its deadline."""

    org: str
    prefix: str
    deadline: str  # ISO 8601 with a zone
    extras: str = "keras,torch"
    by: str = "commit-date"  # or "push": GitHub's record of pushes decides what came before the deadline


def lab_extras(lab: Lab) -> tuple[str, ...]:
    """The extras ``lab`` needs beyond its framework's: its spec's ``extras``, all of them where it says none."""
    return LAB_EXTRAS if lab.extras is None else lab.extras


def student_extras(lab: Lab, framework: str) -> list[str]:
    """What a student's install of ``lab`` in ``framework`` takes: the framework's extra and the lab's."""
    return [EXTRAS[framework], *lab_extras(lab)]


def _cache_key(options: StarterOptions, install: list[str]) -> str:
    """The grader's pin and a digest of the install lines, in the characters a cache key may hold (no commas)."""
    digest = hashlib.sha256("\n".join(install).encode()).hexdigest()[:12]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", options.pin()).strip("-") + "-" + digest


def _template(name: str) -> str:
    return resources.files("grader.platforms").joinpath("templates", name).read_text(encoding="utf-8")


def fill(template: str, **values: str) -> str:
    """Replace every ``<<name>>``; a placeholder without a value is a bug, not a blank."""
    missing = sorted({name for name in _PLACEHOLDER.findall(template) if name not in values})
    if missing:
        raise KeyError(f"template placeholders without a value: {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), template)


def student_report_formats() -> list[tuple[str, str]]:
    """The reports the student's run writes: only formats that leave hidden checks' messages out."""
    from grader.reports import formats

    wanted = [("markdown", "report.md"), ("classroom", "classroom.txt"), ("html", "report.html")]
    return [(name, file) for name, file in wanted if name in formats.names()]


# classroom-resources/autograding-grading-reporter, the commit of its tag v1 (the tag's tree carries dist/main.js)
REPORTER = "classroom-resources/autograding-grading-reporter@d13b5912daf5042ac1b71bc38bdb4a6bcd61d8ca  # v1"


def _reporter_step(lab: Lab, framework: str) -> str:
    """Classroom's reporter given one runner per check: its table and its points then give the report's total.

    The reporter scores a runner as passed tests / tests x ``max_score`` and reads its runner results from
    ``<RUNNER>_RESULTS`` (grader.reports.formats.classroom): with a runner per check each runner is all or nothing,
    as each check is, so the table, the points it prints and the report agree.
    """
    ids = [check.id for check in lab.checks_for(framework)]
    env = "\n".join(f"          {check_id.upper()}_RESULTS: ${{{{ steps.grader.outputs.result-{check_id} }}}}"
                    for check_id in ids)
    return (
        "\n      # GitHub Classroom's reporter, one runner per check (the outputs result-<check id> above). It fails\n"
        "      # its step when a check failed or is pending (graded by your instructors): feedback, the job goes on.\n"
        "      # It prints the same two points lines as the grader.\n"
        "      - name: Classroom's autograding reporter\n"
        "        if: always()\n"
        "        continue-on-error: true\n"
        f"        uses: {REPORTER}\n"
        "        env:\n"
        f"{env}\n"
        "        with:\n"
        f"          runners: {','.join(ids)}\n"
    )


def workflow(lab: Lab, framework: str, options: StarterOptions | None = None) -> str:
    """The student's feedback workflow (``.github/workflows/classroom.yml``)."""
    options = options or StarterOptions()
    options.validate()
    notebook = lab.flavours[framework].notebook.name
    install = []
    if framework == "torch":  # the CPU build first, so that the extra does not pull a CUDA build
        install.append(f'{PIP_INTO_ENV} --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"')
    install.append(f'{PIP_INTO_ENV} "{options.requirement(",".join(student_extras(lab, framework)))}"')
    install.append(WARM_UP.format(lab=lab.id, framework=framework))
    pairs = student_report_formats()
    formats = [f"            --format {name} --output grading/{file}" + (" \\" if i < len(pairs) - 1 else "")
               for i, (name, file) in enumerate(pairs)]
    return fill(
        _template("classroom.yml"),
        timeout_minutes=str(int(lab.limits.notebook_timeout // 60) + 15), grader_pin=options.pin(),
        cache_key=_cache_key(options, install), install="\n".join(f"          {line}" for line in install), notebook=notebook, lab=lab.id,
        framework=framework, executed=notebook.replace(".ipynb", "-executed.ipynb"), formats="\n".join(formats),
        reporter=_reporter_step(lab, framework) if options.classroom_reporter else "",
    )


_DEADLINE_INPUT = """\
      deadline:
        description: "Deadline, ISO 8601 with a zone (default: <<deadline>>)"
        required: false
        type: string
"""
_COLLECT_AT_DEADLINE = """\
      - name: Collect the submissions at the deadline
        env:
          GITHUB_TOKEN: ${{ secrets.CLASSROOM_TOKEN }}
          DEADLINE: ${{ inputs.deadline || '<<deadline>>' }}
        run: grader collect --org <<org>> --prefix <<prefix>> --deadline "$DEADLINE" --by <<by>> --out submissions
"""
# The course file gives each student's own deadline and cut-off (extensions, late policy); GitHub's record
# of pushes decides what came before it.
_COLLECT_BY_COURSE = """\
      - name: Collect each submission at its student's own cut-off
        env:
          GITHUB_TOKEN: ${{ secrets.CLASSROOM_TOKEN }}
        run: grader collect --course <<course>> --lab <<lab>> --out submissions
"""


@dataclass(frozen=True)
class CourseStaffOptions:
    """The staff workflow of a lab of the course file ``course`` (a file inside the staff repository)."""

    course: Path
    extras: str = "keras,torch"


def _cron(moment: datetime) -> str:
    """GitHub's cron line (UTC) for the first whole minute 15 minutes after ``moment`` or later."""
    run_at = moment.astimezone(UTC).replace(tzinfo=None) + timedelta(minutes=15)
    if run_at.second or run_at.microsecond:
        run_at = run_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return f"{run_at.minute} {run_at.hour} {run_at.day} {run_at.month} *"


def latest_cutoff(course, lab_id: str) -> datetime:
    """The latest time a push of any student of ``lab_id`` can still count (``course``: a course file).

    Each student's cut-off comes from the course file's window (the last accepted time or ``max_late_hours``,
    moved by the student's extension); a policy without one stops counting a push once its penalty reaches
    100%. A penalty capped below 100% with no cut-off accepts pushes forever: refused.
    """
    from grader.course.late_policy import PER_SECONDS

    lab = course.lab(lab_id)
    students = sorted({e.student for e in course.extensions if e.lab in (None, lab_id)})
    ends = []
    for names in [[], *([student] for student in students)]:
        student_window = course.window(lab_id, names)
        end = student_window.cutoff
        if end is None:
            policy = lab.policy
            if policy.cap_percent < 100:
                raise InputError(
                    f"{course.path}: lab {lab_id} accepts late pushes without end (no last_accepted or max_late_hours, "
                    f"penalty capped at {policy.cap_percent:g}%): give it a cut-off for the graded run to start after")
            # the last push that still earns a point: (units - 1) begun after the deadline, at least the grace
            units = math.ceil(100 / policy.penalty_percent)
            late = max((units - 1) * PER_SECONDS[policy.per], policy.grace_minutes * 60)
            end = student_window.deadline + timedelta(seconds=late)
        ends.append(end.astimezone(UTC))
    return max(ends)


def staff_workflow(lab: Lab, staff: StaffOptions | CourseStaffOptions, directory: Path | None = None) -> str:
    """The graded run for the staff's private repository (``.github/workflows/graded-<lab>.yml``).

    With ``CourseStaffOptions``, ``directory`` is the staff repository's checkout, which holds the course file.
    """
    minutes = int(lab.limits.notebook_timeout // 60) * 4 + 60
    # the frameworks, what the lab imports beyond them, and the staff extra (grader batch's Dask engine)
    extras = ",".join(dict.fromkeys([*staff.extras.split(","), *lab_extras(lab), "staff"]))
    if isinstance(staff, CourseStaffOptions):
        return _course_staff_workflow(lab, staff, directory or Path("."), extras, str(min(360, minutes)))
    from grader.platforms.collect import parse_deadline, valid_login

    deadline = parse_deadline(staff.deadline)
    if staff.by not in ("commit-date", "push"):
        raise InputError(f"--by {staff.by!r}: choose commit-date or push")
    if not valid_login(staff.org):
        raise InputError(f"--org {staff.org!r} is not a GitHub organisation name")
    if not re.fullmatch(r"[A-Za-z0-9._-]+", staff.prefix):
        raise InputError(f"--prefix {staff.prefix!r}: letters, digits, '.', '_' and '-' only")
    values = {"lab": lab.id, "deadline": deadline, "org": staff.org, "prefix": staff.prefix, "by": staff.by}
    return fill(
        _template("staff_workflow.yml"), **values, collected_at="the deadline",
        deadline_input=fill(_DEADLINE_INPUT, **values), collect_step=fill(_COLLECT_AT_DEADLINE, **values).rstrip("\n"),
        cron=_cron(datetime.strptime(deadline, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)), extras=extras,
        timeout_minutes=str(min(360, minutes)),
    )


def _course_staff_workflow(lab: Lab, staff: CourseStaffOptions, directory: Path, extras: str, timeout: str) -> str:
    from grader.course.course_file import read_course
    from grader.course.labs import lab_ids

    course = read_course(staff.course, lab_ids())
    course.lab(lab.id)  # a lab the course file does not name: its one-line error
    try:
        relative = staff.course.resolve().relative_to(directory.resolve()).as_posix()
    except ValueError:
        raise InputError(f"--course {staff.course} is not inside {directory}: the workflow reads it from the "
                         "staff repository's checkout") from None
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", relative) or relative.startswith("-"):
        raise InputError(f"--course {relative!r}: a path of letters, digits, '.', '_', '-' and '/' only")
    if course.roster is None:
        raise InputError(f"{staff.course} names no roster (roster: roster.csv): the workflow's collect needs one")
    return fill(
        _template("staff_workflow.yml"), lab=lab.id, collected_at="each student's own cut-off",
        deadline_input="", collect_step=fill(_COLLECT_BY_COURSE, course=relative, lab=lab.id).rstrip("\n"),
        cron=_cron(latest_cutoff(course, lab.id)), extras=extras, timeout_minutes=timeout,
    )


def student_readme(lab: Lab, framework: str, options: StarterOptions | None = None) -> str:
    options = options or StarterOptions()
    rows = "\n".join(f"| {check.title} | {check.points:g} |" for check in lab.checks_for(framework))
    return fill(
        _template("student_readme.md"),
        title=lab.title, framework_title=frameworks.get(framework).title, notebook=lab.flavours[framework].notebook.name,
        cell_timeout=f"{lab.limits.cell_timeout:g}", notebook_timeout=f"{lab.limits.notebook_timeout:g}",
        api=", ".join(f"`{name}`" for name in lab.api) or "the notebook's functions",
        requirement=options.requirement(",".join(student_extras(lab, framework))), check_rows=rows,
        torch_first=('pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"   # the CPU build, first\n'
                     if framework == "torch" else ""),
    )


def _prepare(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise InputError(f"{directory} is not empty; give a new or empty directory")
    directory.mkdir(parents=True, exist_ok=True)


def write_starter(lab: Lab, framework: str, directory: Path, options: StarterOptions | None = None) -> list[Path]:
    """Write the template repository into ``directory`` (created; must be empty if it exists)."""
    options = options or StarterOptions()
    if framework not in lab.flavours:
        raise InputError(f"lab {lab.id} has no {framework!r} flavour (it has: {', '.join(lab.flavours)})")
    options.validate()
    release = next(r for r in build_release(lab) if r.framework == framework)
    texts = {
        lab.flavours[framework].notebook.name: release.text,
        "README.md": student_readme(lab, framework, options),
        ".github/workflows/classroom.yml": workflow(lab, framework, options),
        ".gitignore": ".venv/\n.ipynb_checkpoints/\n__pycache__/\ngrading/\n",
    }
    _prepare(directory)
    written = []
    for relative, text in texts.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    if lab.public_dir.is_dir():
        for item in sorted(lab.public_dir.iterdir()):
            if item.is_file():
                target = directory / ("DATA.md" if item.name == "README.md" else item.name)
                shutil.copy2(item, target)
                written.append(target)
    return written


def write_staff_workflow(lab: Lab, directory: Path, staff: StaffOptions | CourseStaffOptions) -> list[Path]:
    """Write ``.github/workflows/graded-<lab>.yml`` into ``directory`` (the staff repository's checkout)."""
    text = staff_workflow(lab, staff, directory)
    path = directory / ".github" / "workflows" / f"graded-{lab.id}.yml"
    if path.exists():
        raise InputError(f"{path} exists; remove it first to write a new one")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return [path]
