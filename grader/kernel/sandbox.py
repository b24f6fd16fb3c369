"""The sandbox the student's kernel runs in: bubblewrap on Linux, or nothing (and the report says so).

Under bubblewrap (``bwrap``) the kernel sees a read-only system and Python environment, one writable
scratch directory (the notebook and the lab's public files), a directory of ZMQ ``ipc`` sockets through
which it talks to the grader (fresh at every start), a read-only directory of probe requests and a
directory into which it writes its answers. It has
its own PID, network (no route out), IPC and UTS namespaces, an environment built from an allow-list,
and resource limits; when the grader runs as root it runs as an unprivileged user id of its own. Every
process the student starts lives in the kernel's PID namespace and dies with it.

Nothing else of the machine is visible: not the private course, not the home directory, not the
grader's reports or outputs.

No file operation of the grader follows a path the kernel can change: what the kernel must read is
written before it is handed over, into directories the kernel cannot write; what the kernel writes is read
through directory descriptors without following links; ownership and modes change on open descriptors
only; and removal never follows a link.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from grader.errors import GraderError
from grader.kernel.cleanup import DIR_FLAGS, OWNER_FILE, remove_tree, sweep_stale_mounts
from grader.reports.report import one_line

BUBBLEWRAP, NONE = "bubblewrap", "none"
SANDBOX_UID = 65534  # nobody: the user the start-up probe runs as
# When the grader is root every kernel runs as a user of its own, drawn from this range (no account needed):
# RLIMIT_NPROC then counts that kernel's processes alone, whatever runs beside it.
SANDBOX_UIDS = range(1_000_000, 2_000_000)
# Processes (tasks) the checks may start beyond RLIMIT_NPROC, whatever the notebook left running.
CHECK_PROCESS_ROOM = 64
KERNEL_NAME = "grader-sandbox"

# Variables a kernel may inherit from the grader's environment; everything else (tokens, GITHUB_*, ...) stays out.
ENV_ALLOW = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ",
             # needed by Python itself on Windows when there is no sandbox
             "SYSTEMROOT", "SYSTEMDRIVE", "COMSPEC", "PATHEXT", "WINDIR")
_SECRET = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_KEY|PRIVATE)|^(GITHUB_|ACTIONS_|RUNNER_|GRADER_)",
                     re.I)
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
# Opening a directory the kernel may have touched: never through a link in its last component.
# The kernel proper: safe-path mode (-P), so that neither Python nor IPython puts its working directory (the
# scratch) on sys.path while the kernel starts; the grader adds it once start-up is over (KernelSession.start).
KERNEL_COMMAND = ["-P", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
# Run in the kernel once it has started (and run its set-up code): its working directory on sys.path as IPython
# would have put it (before site-packages), so that the student's own modules import as in Jupyter.
WORKDIR_ON_PATH = (
    "import os as _os, sys as _sys\n"
    "if '' not in _sys.path:\n"
    "    _sys.path.insert(next((_i for _i, _p in enumerate(_sys.path)\n"
    "                           if _os.path.basename(_p) in ('site-packages', 'dist-packages')), 0), '')\n"
    "del _os, _sys\n"
)


def safe_path_kernel(km) -> None:
    """The kernel command of a kernel manager started without the sandbox, in safe-path mode too."""
    argv = km.kernel_spec.argv
    if "-m" in argv and "-P" not in argv:
        argv.insert(argv.index("-m"), "-P")


class SandboxUnavailable(GraderError):
    """Grading needs the sandbox (a trusted place) and it cannot start here."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one sandboxed kernel (and of every process it starts)."""

    scratch_mb: int = 2048  # size of the writable scratch (a tmpfs when the grader is root)
    file_mb: int = 1024  # RLIMIT_FSIZE: largest file a process may write
    processes: int = 256  # RLIMIT_NPROC of the sandbox's user (only when it is a user of its own)
    cpu_seconds: int = 7200  # RLIMIT_CPU of each process
    open_files: int = 1024  # RLIMIT_NOFILE
    address_space_mb: int | None = None  # RLIMIT_AS; off by default: TensorFlow reserves tens of GiB it never uses


def kernel_environment(extra: dict[str, str], home: Path, source: dict[str, str] | None = None) -> dict[str, str]:
    """The kernel's whole environment: the allow-listed variables, ``extra`` (threads, seeds), HOME=scratch."""
    source = dict(os.environ if source is None else source)
    env = {name: source[name] for name in ENV_ALLOW if name in source}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    env.update({key: value for key, value in extra.items() if not _SECRET.search(key)})
    env.update({"HOME": str(home), "TMPDIR": str(home), "USER": "student", "LOGNAME": "student", "MPLCONFIGDIR": str(home / ".config" / "matplotlib"),
                "IPYTHONDIR": str(home / ".ipython"), "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONNOUSERSITE": "1"})
    return env


# -- can the sandbox start here? ------------------------------------------------------------------
def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def disabled_by_environment() -> bool:
    """``GRADER_SANDBOX=off`` (or ``none``, ``0``) turns the sandbox off, as ``--no-sandbox`` does."""
    return os.environ.get("GRADER_SANDBOX", "").strip().lower() in ("off", "none", "0", "no", "false")


@lru_cache(maxsize=1)
def _probe() -> tuple[bool, str]:
    if not sys.platform.startswith("linux"):
        return False, f"bubblewrap runs on Linux only (this is {sys.platform})"
    binary = bwrap_path()
    if binary is None:
        return False, "bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    # the kernel's own way in: the same namespaces and mounts, the launcher, Python as the sandbox's user
    uid = SANDBOX_UID if os.geteuid() == 0 else None
    argv = [binary, *_namespace_args(), *_system_binds()]
    for directory in python_dirs():
        argv += [*_parents(directory), "--ro-bind", str(directory), str(directory)]
    argv += ["--proc", "/proc", "--dev", "/dev", *(_ROOT_CAPS if uid is not None else []), "--",
             sys.executable, "-I", "-c", _LAUNCHER.format(limits="{}", uid=repr(uid)), sys.executable, "-c", "pass"]
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap could not start ({exc})"
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        hint = ""
        if Path("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").exists() and os.geteuid() != 0:
            hint = " (user namespaces restricted by AppArmor: run as root, or sudo sysctl -w " \
                   "kernel.apparmor_restrict_unprivileged_userns=0)"
        return False, f"bubblewrap cannot create its namespaces here: {reason[-1] if reason else done.returncode}{hint}"
    return True, "bubblewrap " + bwrap_version()


def available() -> tuple[bool, str]:
    """Whether the sandbox can start on this machine, and why not (or which bubblewrap) in words."""
    return _probe()


@lru_cache(maxsize=1)
def bwrap_version() -> str:
    binary = bwrap_path()
    if binary is None:
        return ""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    match = re.search(r"(\d+(?:\.\d+)+)", out)
    return match.group(1) if match else ""


def choose(use_sandbox: bool | None) -> tuple[str, str]:
    """The isolation to use: (``"bubblewrap"`` | ``"none"``, reason); ``use_sandbox=False`` forces none."""
    if use_sandbox is False or (use_sandbox is None and disabled_by_environment()):
        return NONE, "turned off (--no-sandbox or GRADER_SANDBOX=off)"
    ok, reason = available()
    return (BUBBLEWRAP, reason) if ok else (NONE, reason)


# -- the command line --------------------------------------------------------------------------------
def _namespace_args() -> list[str]:
    return ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session",
            "--hostname", "sandbox"]


def _system_binds() -> list[str]:
    args: list[str] = []
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _parents(path: Path) -> list[str]:
    """``--dir`` for every missing parent of ``path``, world-traversable (bwrap would make them 0700)."""
    args: list[str] = []
    for parent in reversed(path.parents):
        if str(parent) in ("/", *_SYSTEM_DIRS):
            continue
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


def python_dirs() -> list[Path]:
    """The Python environment the kernel needs: the interpreter's prefix and base prefix, resolved."""
    dirs: list[Path] = []
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        for candidate in (Path(prefix), Path(prefix).resolve()):
            if not any(str(candidate).startswith(system + "/") or str(candidate) == system for system in _SYSTEM_DIRS):
                dirs.append(candidate)
    unique = sorted(set(dirs), key=lambda p: len(p.parts))
    # a directory inside another one already bound needs no bind of its own
    return [d for d in unique if not any(other != d and other in d.parents for other in unique)]


def fresh_uid() -> int:
    """A user id for one sandboxed kernel that no running process uses."""
    import secrets

    import psutil

    used = set()
    for process in psutil.process_iter(["uids"]):
        try:
            used.add(process.info["uids"].real)
        except (psutil.Error, AttributeError):
            pass
    while True:
        uid = SANDBOX_UIDS.start + secrets.randbelow(len(SANDBOX_UIDS))
        if uid not in used:
            return uid


def masked_dirs() -> list[Path]:
    """Directories inside the bound Python environment that the kernel must not see: the installed grader.

    The kernel never imports the grader (its kernel-side code arrives as text), and an installed grader
    may carry course files (an older wheel held the whole private course as ``grader/_course``).
    """
    import site
    import sysconfig

    places = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    places.update(getattr(site, "getsitepackages", lambda: [])())
    return sorted({Path(place) / "grader" for place in places if (Path(place) / "grader").is_dir()})


# bwrap run by root keeps every capability unless told otherwise: only those to become the sandbox's user
_ROOT_CAPS = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]

# Runs first inside the sandbox (isolated mode: nothing of the scratch is imported): lower the limits, become the
# unprivileged user, then exec the kernel.
_LAUNCHER = """\
import os, resource, sys
limits = {limits}
for name, value in limits.items():
    resource.setrlimit(getattr(resource, name), value if isinstance(value, tuple) else (value, value))
uid = {uid}
if uid is not None and os.getuid() == 0:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
os.execv(sys.argv[1], sys.argv[1:])
"""


@dataclass
class Sandbox:
    """The directories of one sandboxed grading and the kernel command that runs inside them.

    ``scratch`` (the kernel's working directory), ``ipc`` (ZMQ sockets, the connection file and IPython's
    own directory: a fresh one at every kernel start), ``exchange`` (probe requests: read-only to the kernel)
    and ``answers`` (one directory per probe that the kernel owns) are the only host paths the kernel can
    see besides the read-only system and its own ``/tmp`` and ``/dev/shm``; they live under a private
    directory of the grader, mounted at the same paths.
    """

    isolation: str = BUBBLEWRAP
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    root: Path = field(init=False)
    scratch: Path = field(init=False)
    ipc: Path = field(init=False)
    exchange: Path = field(init=False)
    answers: Path = field(init=False)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="grader-run-"))
        os.chmod(self.root, 0o700)
        self.uid = fresh_uid() if self.isolation == BUBBLEWRAP and os.geteuid() == 0 else None
        self._mounted = False
        # everything the kernel can write lives on one size-limited tmpfs (when the grader is root)
        self._fs = self.root / "fs"
        self._fs.mkdir()
        if self.uid is not None:
            sweep_stale_mounts()
            (self.root / OWNER_FILE).write_text(str(os.getpid()))
            self._mount_scratch()
        self.scratch, self.exchange, self.answers = self._fs / "scratch", self._fs / "exchange", self._fs / "answers"
        self.ipc = self._fs / "ipc-0"  # replaced by a fresh one at every kernel start (kernel_manager)
        self._starts = 0
        self.shm = self._fs / "shm"  # the kernel's /dev/shm (multiprocessing's semaphores, DataLoader workers)
        self.tmp = self._fs / "tmp"  # the kernel's /tmp, for code that writes there by name
        self._spec_dir = self.root / "kernelspec"
        # nothing of the kernel runs yet: these paths are the grader's alone
        for path in (self.scratch, self.ipc, self.exchange, self.answers, self.shm, self.tmp):
            path.mkdir()
            os.chmod(path, 0o755)
        # the exchange (read-only to the kernel) and the answers directory stay the grader's: the kernel may
        # write only into each probe's own answer directory
        for path in (self.scratch, self.ipc, self.shm, self.tmp):
            self.give(path)

    @property
    def sandboxed(self) -> bool:
        return self.isolation == BUBBLEWRAP

    def _mount_scratch(self) -> None:
        """A size-limited tmpfs as the scratch directory (root only; otherwise RLIMIT_FSIZE alone bounds it)."""
        options = f"size={self.limits.scratch_mb}m,mode=0755,nosuid,nodev"
        try:
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "grader-scratch", str(self._fs)],
                                  capture_output=True, text=True, check=False, timeout=30)
            self._mounted, problem = done.returncode == 0, done.stderr.strip() or "mount failed"
        except (OSError, subprocess.TimeoutExpired) as exc:
            self._mounted, problem = False, str(exc)
        if not self._mounted:
            self.notes.append(f"the scratch directory is not size-limited ({problem})")

    def give(self, path: Path) -> None:
        """Make the directory ``path`` the sandbox user's (when the kernel runs as a user of its own).

        Through a descriptor opened without following a link: called on directories whose parent only the
        grader can write."""
        if self.uid is not None:
            fd = os.open(path, DIR_FLAGS)
            try:
                os.fchown(fd, self.uid, self.uid)
            finally:
                os.close(fd)

    def give_tree(self, path: Path) -> None:
        """The scratch's files to the sandbox user, before any kernel starts (``lchown``: links are not followed)."""
        if self.uid is None:
            return
        for dirpath, dirnames, filenames in os.walk(path):
            for name in [*dirnames, *filenames]:
                os.lchown(os.path.join(dirpath, name), self.uid, self.uid)
        os.lchown(path, self.uid, self.uid)

    # -- the kernel --------------------------------------------------------------------------------
    def rlimits(self) -> dict[str, int | tuple[int, int]]:
        limits = self.limits
        values = {"RLIMIT_FSIZE": limits.file_mb * 1024 * 1024, "RLIMIT_CPU": limits.cpu_seconds,
                  "RLIMIT_NOFILE": limits.open_files, "RLIMIT_CORE": 0}
        if self.uid is not None:  # per-user: only meaningful for a user that runs nothing else
            # soft, hard: the grader raises the kernel's own soft limit while its checks run (grader.kernel.execute)
            values["RLIMIT_NPROC"] = (limits.processes, limits.processes + CHECK_PROCESS_ROOM)
        if limits.address_space_mb:
            values["RLIMIT_AS"] = limits.address_space_mb * 1024 * 1024
        return values

    def argv(self, env: dict[str, str], python: str | None = None, inner: list[str] | None = None) -> list[str]:
        """The kernelspec ``argv``: bwrap, its mounts and environment, the launcher, then ipykernel (or ``inner``)."""
        python = python or sys.executable
        binary = bwrap_path() or "bwrap"
        args = [binary, *_namespace_args(), *_system_binds()]
        args += ["--proc", "/proc", "--dev", "/dev", "--bind", str(self.tmp), "/tmp", "--bind", str(self.shm), "/dev/shm"]
        # the Python environment after the kernel's own /tmp and /dev/shm, which would hide one installed there
        for directory in python_dirs():
            args += [*_parents(directory), "--ro-bind", str(directory), str(directory)]
        empty = self.root / "empty"
        empty.mkdir(mode=0o555, exist_ok=True)
        for directory in masked_dirs():
            args += ["--ro-bind", str(empty), str(directory)]
        args += _parents(self.scratch)  # scratch, ipc, exchange, answers: one parent
        for directory in (self.scratch, self.ipc, self.answers):
            args += ["--bind", str(directory), str(directory)]
        args += ["--ro-bind", str(self.exchange), str(self.exchange)]  # requests: the kernel reads, never writes
        args += ["--remount-ro", "/", "--chdir", str(self.scratch), "--clearenv"]
        # IPython's own directory (profile, configuration, start-up files) is this start's, never the scratch's
        env = {**env, "IPYTHONDIR": str(self.ipc / ".ipython")}
        for key, value in sorted(env.items()):
            args += ["--setenv", key, value]
        if self.uid is not None:  # bwrap run by root keeps every capability unless told otherwise
            args += _ROOT_CAPS
        launcher = _LAUNCHER.format(limits=repr(self.rlimits()), uid=repr(self.uid))
        inner = inner or [python, *KERNEL_COMMAND]
        return [*args, "--", python, "-I", "-c", launcher, *inner]

    def diagnose(self, env: dict[str, str], python: str | None = None) -> str:
        """Why a kernel cannot start in this sandbox, in one line, or "" when its Python starts there; never raises.

        Runs the kernel's own command (the same mounts, limits and user) with ``python -I -c "import
        ipykernel_launcher"`` in place of the kernel: isolated mode, so nothing left in the scratch is run.
        """
        python = python or sys.executable
        try:
            argv = self.argv(env, python, [python, "-I", "-c", "import ipykernel_launcher"])
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  timeout=60, check=False)
        except Exception as exc:  # noqa: BLE001 - a diagnosis must not replace the error it explains
            return f"the sandbox could not run Python: {type(exc).__name__}: {exc}"
        if done.returncode == 0:
            return ""
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        last = one_line(lines[-1], 300) if lines else f"exit status {done.returncode}"
        return f"Python could not start inside the sandbox: {last}"

    def kernel_manager(self, env: dict[str, str]):
        """A jupyter_client kernel manager for a kernel in this sandbox (ipc transport, kernelspec in a temp dir).

        Every start gets a fresh ``ipc`` directory, the grader's until :meth:`before_start` has written the
        connection file into it: nothing a previous kernel left there (links, a planted IPython profile)
        is seen by the next one, nor followed by the grader."""
        from jupyter_client import AsyncKernelManager
        from jupyter_client.kernelspec import KernelSpecManager

        self._starts += 1
        self.ipc = self._fs / f"ipc-{self._starts}"
        self.ipc.mkdir(mode=0o755)  # fails if anything is already there
        os.chmod(self.ipc, 0o755)
        spec = self._spec_dir / KERNEL_NAME
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": self.argv(env), "display_name": "Python 3 (grader sandbox)", "language": "python",
            "interrupt_mode": "message",  # a signal to bwrap would not reach the kernel inside
        }))
        connection = self.ipc / f"kernel-{os.urandom(4).hex()}.json"
        km = AsyncKernelManager(kernel_name=KERNEL_NAME, transport="ipc", connection_file=str(connection),
                                kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(self._spec_dir)]))
        return km

    def before_start(self, km) -> None:
        """Write the connection file now, then hand it and its directory to the sandbox user (the file holds
        the session key; the kernel creates its sockets in the directory)."""
        km.write_connection_file()
        if self.uid is not None:
            fd = os.open(km.connection_file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
            try:
                os.fchown(fd, self.uid, self.uid)
            finally:
                os.close(fd)
            self.give(self.ipc)

    # -- the end -------------------------------------------------------------------------------------
    def cleanup(self) -> list[str]:
        """Remove everything; never raises. Returns what could not be removed (in words)."""
        problems: list[str] = []
        if self._mounted:
            try:
                done = subprocess.run(["umount", "-l", str(self._fs)], capture_output=True, text=True, check=False,
                                      timeout=30)
                if done.returncode != 0:
                    problems.append(f"could not unmount the scratch directory: {done.stderr.strip()}")
            except (OSError, subprocess.TimeoutExpired) as exc:
                problems.append(f"could not unmount the scratch directory: {exc}")
            self._mounted = False
        problems += remove_tree(self.root)
        return problems
