"""How much memory a kernel and everything it started really hold, measured as the machine feels it.

Two ways, the better one where it is possible:

* **A cgroup v2 memory limit** (:class:`MemoryCgroup`): the kernel's processes are moved into a fresh child
  cgroup whose ``memory.max`` is the lab's limit. The kernel itself then counts every page charged to them:
  anonymous memory, shared memory, ``memfd`` files (mapped or not) and the tmpfs pages they write. Possible
  when cgroup2 is mounted, the grader's cgroup or one of their ancestors hands the memory controller to its
  children (or ``GRADER_CGROUP_PARENT`` names such a cgroup) and the grader may create a child there.
* **Otherwise a measurement** (:func:`measure`), sampled by the memory watch: the unique memory of every
  process (PSS without its shared-memory part, so pages a forked pool shares with its parent count once),
  plus each shared-memory object the processes hold open or mapped, counted once whatever the number of
  holders (``memfd`` files, shared anonymous mappings, System V segments, files on another tmpfs), plus what
  the size-limited scratch tmpfs holds (the kernel's ``/tmp`` and ``/dev/shm`` included).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
MiB = 1024 * 1024
# names under which shared memory that lives on no visible file system shows in fd links and maps
_SHMEM_PREFIXES = ("/memfd:", "/SYSV", "/dev/zero (deleted)", "/dev/shm/")
PARENT_VARIABLE = "GRADER_CGROUP_PARENT"
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# -- the measurement -------------------------------------------------------------------------------------
@dataclass
class Usage:
    """What a process tree holds, in bytes, split by where it lives."""

    private: int = 0  # PSS less its shared-memory part, summed over the processes
    shared: int = 0  # each shared-memory object outside the scratch once (memfd, shared anonymous, SysV, tmpfs)
    scratch: int = 0  # the scratch tmpfs (every file on it, mapped or not, open or not)
    processes: int = 0
    objects: int = 0  # how many shared-memory objects were counted

    @property
    def total(self) -> int:
        return self.private + self.shared + self.scratch

    def describe(self) -> str:
        return (f"{self.total // MiB} MiB: {self.private // MiB} MiB in its {self.processes} process(es), "
                f"{self.shared // MiB} MiB in {self.objects} shared-memory object(s) (memfd and the like), "
                f"{self.scratch // MiB} MiB in the scratch directory")


def tree_pids(root: int, proc: Path = PROC) -> list[int]:
    """``root`` and every descendant, parents before children; [] if ``root`` is gone.

    Read from each thread's ``task/<tid>/children`` where the kernel has them (only the tree is read), otherwise
    from every process's ``stat`` (no psutil either way: a fake ``proc`` tests it)."""
    if not (proc / str(root)).exists():
        return []
    if not (proc / str(root) / "task" / str(root) / "children").exists():
        return _tree_from_stat(root, proc)
    order, queue, seen = [], [root], {root}
    while queue:
        pid = queue.pop(0)
        order.append(pid)
        try:
            tasks = os.listdir(proc / str(pid) / "task")
        except OSError:
            continue
        found: list[int] = []
        for tid in tasks:
            try:
                found += [int(child) for child in (proc / str(pid) / "task" / tid / "children").read_text().split()]
            except (OSError, ValueError):
                continue
        for child in sorted(found):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return order


def _tree_from_stat(root: int, proc: Path) -> list[int]:
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir(proc)
    except OSError:
        return []
    for name in entries:
        if not name.isdigit():
            continue
        try:
            stat = (proc / name / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # the command name may hold spaces and parentheses
        if len(fields) > 1 and fields[1].isdigit():
            children.setdefault(int(fields[1]), []).append(int(name))
    order, queue, seen = [], [root], {root}
    while queue:
        pid = queue.pop(0)
        order.append(pid)
        for child in sorted(children.get(pid, [])):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return order


def resident(pid: int, proc: Path = PROC) -> int:
    """Resident bytes of ``pid`` (``statm``: cheap, no page walk); 0 if it is gone."""
    try:
        return int((proc / str(pid) / "statm").read_text().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def rollup(pid: int, proc: Path = PROC) -> dict[str, int]:
    """``/proc/<pid>/smaps_rollup`` as bytes per field ({} if the process is gone or unreadable)."""
    values: dict[str, int] = {}
    try:
        text = (proc / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return values
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB" and parts[0].isdigit():
            values[key.strip()] = int(parts[0]) * 1024
    return values


def tmpfs_devices(pid: int, proc: Path = PROC) -> set[int]:
    """Devices of the tmpfs mounts ``pid`` sees (from its mountinfo): files there are memory, not disk."""
    devices: set[int] = set()
    try:
        text = (proc / str(pid) / "mountinfo").read_text()
    except OSError:
        return devices
    for line in text.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 3:
            continue
        fstype = line.split(" - ", 1)[1].split()[0]
        if fstype in ("tmpfs", "shm", "ramfs"):
            with contextlib.suppress(ValueError):
                major, minor = fields[2].split(":")
                devices.add(os.makedev(int(major), int(minor)))
    return devices


def _is_shmem(target: str, device: int | None, tmpfs: set[int]) -> bool:
    return target.startswith(_SHMEM_PREFIXES) or (device is not None and device in tmpfs)


def _open_objects(pid: int, proc: Path, tmpfs: set[int]) -> dict[tuple[int, int], int]:
    """Shared-memory objects ``pid`` holds open: (device, inode) -> bytes allocated."""
    found: dict[tuple[int, int], int] = {}
    fd_dir = proc / str(pid) / "fd"
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return found
    for name in names:
        path = fd_dir / name
        try:
            target = os.readlink(path)
            if not target.startswith("/"):  # pipes, sockets, anon_inode:...
                continue
            st = os.stat(path)  # follows the descriptor itself: the file even when deleted
        except OSError:
            continue
        if _is_shmem(target, st.st_dev, tmpfs):
            found[(st.st_dev, st.st_ino)] = st.st_blocks * 512
    return found


def _mapped_objects(pid: int, proc: Path, tmpfs: set[int]) -> dict[tuple[int, int], str]:
    """Shared-memory objects ``pid`` maps: (device, inode) -> one address range (``start-end``) mapping it."""
    found: dict[tuple[int, int], str] = {}
    try:
        text = (proc / str(pid) / "maps").read_text()
    except OSError:
        return found
    for line in text.splitlines():
        fields = line.split(None, 5)
        if len(fields) < 6 or fields[4] == "0":
            continue
        try:
            major, minor = (int(part, 16) for part in fields[3].split(":"))
            key = (os.makedev(major, minor), int(fields[4]))
        except ValueError:
            continue
        if _is_shmem(fields[5], key[0], tmpfs):
            found.setdefault(key, fields[0])
    return found


def sysv_unattached(proc: Path = PROC, creators: set[int] | None = None) -> tuple[int, int]:
    """Bytes and count of System V shared-memory segments no process has attached (``/proc/sysvipc/shm`` of the
    reader's IPC namespace): memory that no descriptor or mapping shows. ``creators``: only segments made by these
    processes (when the reader shares its IPC namespace with others); None: all of them."""
    try:
        lines = (proc / "sysvipc" / "shm").read_text().splitlines()
    except OSError:
        return 0, 0
    header = lines[0].split() if lines else []
    total = count = 0
    for line in lines[1:]:
        row = dict(zip(header, line.split(), strict=False))
        try:
            if int(row["nattch"]) != 0 or (creators is not None and int(row["cpid"]) not in creators):
                continue
            total += int(row["rss"])
            count += 1
        except (KeyError, ValueError):
            continue
    return total, count


def enter_ipc_namespace(pids: list[int], proc: Path = PROC) -> bool:
    """Move the calling thread (never the whole grader) into the IPC namespace of the first of ``pids`` that is in
    another one, so that its System V segments can be read; False if all share ours or it cannot be done."""
    import ctypes

    try:
        ours = os.stat(proc / "thread-self" / "ns" / "ipc").st_ino
    except OSError:
        return False
    for pid in pids:
        path = proc / str(pid) / "ns" / "ipc"
        try:
            if os.stat(path).st_ino == ours:
                continue
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            return libc.setns(fd, 0x08000000) == 0  # CLONE_NEWIPC; needs CAP_SYS_ADMIN
        except (OSError, AttributeError):
            return False
        finally:
            os.close(fd)
    return False


def scratch_bytes(mount: Path | None) -> int:
    """Bytes in use on the scratch file system (a tmpfs: all of it is memory); 0 without one."""
    if mount is None:
        return 0
    try:
        st = os.statvfs(mount)
    except OSError:
        return 0
    return max(0, (st.f_blocks - st.f_bfree) * st.f_frsize)


def _scratch_device(scratch: Path | None) -> int | None:
    if scratch is None:
        return None
    try:
        return os.stat(scratch).st_dev
    except OSError:
        return None


def _objects(pids: list[int], proc: Path, tmpfs: set[int]) -> tuple[dict[tuple[int, int], int], set[int]]:
    """The shared-memory objects the processes hold open or map, (device, inode) -> bytes, each once; and the
    processes that map an object that cannot be sized (``/proc/<pid>/map_files`` may need root)."""
    objects: dict[tuple[int, int], int] = {}
    mapped: dict[int, dict[tuple[int, int], str]] = {}
    for pid in pids:
        objects.update(_open_objects(pid, proc, tmpfs))
        mapped[pid] = _mapped_objects(pid, proc, tmpfs)
    unsized: set[int] = set()
    for pid, ranges in mapped.items():
        for key, span in ranges.items():
            if key in objects:
                continue
            try:
                start, end = (int(part, 16) for part in span.split("-"))
                objects[key] = os.stat(proc / str(pid) / "map_files" / f"{start:x}-{end:x}").st_blocks * 512
            except (OSError, ValueError):
                unsized.add(pid)
    return objects, unsized


def _usage(root: int, scratch: Path | None, proc: Path, memory_of) -> Usage:
    pids = tree_pids(root, proc)
    scratch_dev = _scratch_device(scratch)
    tmpfs = tmpfs_devices(pids[-1] if pids else root, proc) | tmpfs_devices(root, proc)
    objects, unsized = _objects(pids, proc, tmpfs)
    usage = Usage(processes=len(pids), scratch=scratch_bytes(scratch))
    usage.private = sum(memory_of(pid, pid in unsized) for pid in pids)
    for (device, _), size in objects.items():
        if device != scratch_dev:
            usage.shared += size
            usage.objects += 1
    return usage


def upper_bound(root: int, scratch: Path | None = None, proc: Path = PROC) -> Usage:
    """At least what :func:`measure` says, read cheaply (no page-table walk): every process's resident size (a
    page it shares counts in each) in place of its unique memory. A tree under its limit by this bound is under
    it by the measure too."""
    return _usage(root, scratch, proc, lambda pid, unsized: resident(pid, proc))


def measure(root: int, scratch: Path | None = None, proc: Path = PROC) -> Usage:
    """What the process tree of ``root`` holds; ``scratch``: the size-limited tmpfs it writes to, if any.

    Shared-memory pages are taken out of each process's PSS and counted once per object instead, at the
    size the object holds (``st_blocks``), whether mapped, partly mapped or only open: a ``memfd`` nobody maps
    still counts. Objects on the scratch are counted by the scratch's own usage. A process that maps an object
    that cannot be sized keeps its shared PSS instead.
    """
    def unique(pid: int, unsized: bool) -> int:
        values = rollup(pid, proc)
        return values.get("Pss", 0) - (0 if unsized else values.get("Pss_Shmem", 0))

    return _usage(root, scratch, proc, unique)


# -- the cgroup ------------------------------------------------------------------------------------------
def cgroup2_mount(proc: Path = PROC) -> Path | None:
    """Where the cgroup2 file system is mounted (``/sys/fs/cgroup``, or ``.../unified`` on hybrid systems)."""
    try:
        text = (proc / "self" / "mountinfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if " - cgroup2 " in line:
            return Path(line.split()[4])
    return None


def own_cgroup(proc: Path = PROC) -> str | None:
    """This process's cgroup2 path (the ``0::`` line of ``/proc/self/cgroup``)."""
    try:
        text = (proc / "self" / "cgroup").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("0::"):
            return line[3:].strip() or "/"
    return None


def _words(path: Path) -> set[str]:
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def _write(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def cgroup_parent(proc: Path = PROC) -> tuple[Path | None, str]:
    """The cgroup under which the grader creates its kernels' cgroups, or None and why not."""
    configured = os.environ.get(PARENT_VARIABLE)
    if configured:
        return Path(configured), ""
    mount = cgroup2_mount(proc)
    if mount is None:
        return None, "no cgroup2 file system is mounted"
    path = own_cgroup(proc)
    if path is None:
        return None, "the grader is in no cgroup2 group"
    own = mount / path.lstrip("/")
    # the nearest of its own cgroup and their ancestors that already hands the memory controller to its children
    # (a delegated cgroup; on a systemd machine run as root, the slice above the grader's unit): nothing is
    # enabled anywhere, a child is only created
    for candidate in [own, *own.parents]:
        if "memory" in _words(candidate / "cgroup.subtree_control"):
            return candidate, ""
        if candidate == mount:
            break
    return own, ""


@dataclass
class MemoryCgroup:
    """A child cgroup whose ``memory.max`` bounds everything the kernel's processes are charged for."""

    path: Path
    limit: int
    _oom_seen: int = field(default=0, init=False)

    @classmethod
    def create(cls, limit: int, parent: Path | None = None) -> tuple[MemoryCgroup | None, str]:
        """A fresh cgroup under ``parent`` (default: :func:`cgroup_parent`) limited to ``limit`` bytes, or None
        and the reason it cannot be made here. Never raises."""
        # only a cgroup named for the purpose gets the controller enabled; one found is used as it is
        may_enable = parent is not None or bool(os.environ.get(PARENT_VARIABLE))
        if parent is None:
            parent, reason = cgroup_parent()
            if parent is None:
                return None, reason
        if "memory" not in _words(parent / "cgroup.controllers"):
            return None, f"the cgroup2 memory controller is not available in {parent}"
        if "memory" not in _words(parent / "cgroup.subtree_control"):
            if not may_enable:
                return None, f"no cgroup above the grader hands the memory controller to its children ({parent})"
            try:
                _write(parent / "cgroup.subtree_control", "+memory")
            except OSError as exc:
                return None, f"the memory controller cannot be enabled below {parent} ({exc.strerror})"
            if "memory" not in _words(parent / "cgroup.subtree_control"):
                return None, f"the memory controller cannot be enabled below {parent}"
        _sweep(parent)
        path = parent / f"grader-kernel-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except OSError as exc:
            return None, f"no cgroup can be created in {parent} ({exc.strerror})"
        group = cls(path, limit)
        try:
            _write(path / "memory.max", str(limit))
            for name, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
                if (path / name).exists():
                    _write(path / name, value)
        except OSError as exc:
            group.remove(wait=0)
            return None, f"the memory limit of {path} cannot be set ({exc.strerror})"
        group._oom_seen = group.oom_kills()
        return group, ""

    def add(self, pids: list[int]) -> None:
        """Move the processes (parents first, before they start anything) into this cgroup."""
        for pid in pids:
            with contextlib.suppress(OSError):  # a process that is already gone
                _write(self.path / "cgroup.procs", str(pid))

    def _events(self) -> dict[str, int]:
        values: dict[str, int] = {}
        try:
            text = (self.path / "memory.events").read_text()
        except OSError:
            return values
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if value.strip().isdigit():
                values[key] = int(value)
        return values

    def oom_kills(self) -> int:
        events = self._events()
        return max(events.get("oom_kill", 0), events.get("oom_group_kill", 0))

    def over_limit(self) -> bool:
        """Whether the kernel's out-of-memory killer acted in this cgroup since it was last asked."""
        return self.oom_kills() > self._oom_seen

    def reset(self) -> None:
        """Forget the out-of-memory kills so far (a new kernel starts in this cgroup)."""
        self._oom_seen = self.oom_kills()

    def current(self) -> int:
        try:
            return int((self.path / "memory.current").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def kill(self) -> None:
        """Kill every process in the cgroup (``cgroup.kill``, Linux 5.14+); nothing where it is missing."""
        if (self.path / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                _write(self.path / "cgroup.kill", "1")

    def remove(self, wait: float = 5.0) -> None:
        """Remove the cgroup once its processes are gone (waits up to ``wait`` seconds); never raises."""
        deadline = time.monotonic() + wait
        while True:
            try:
                self.path.rmdir()
                return
            except OSError as exc:
                if exc.errno != errno.EBUSY or time.monotonic() > deadline:  # EBUSY: processes still inside
                    return
                time.sleep(0.05)


def _sweep(parent: Path) -> None:
    """Remove the empty cgroups of graders that died without removing theirs (killed, say)."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        fields = name.split("-")
        if len(fields) == 4 and name.startswith("grader-kernel-") and fields[2].isdigit() \
                and not (PROC / fields[2]).exists():
            with contextlib.suppress(OSError):  # processes still inside, or not a cgroup: left alone
                (parent / name).rmdir()
