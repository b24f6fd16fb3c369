"""Memory as the machine feels it (grader.kernel.memory) and the watch built on it: fake /proc and fake cgroups, plus a few
small real processes (a forked pool over shared data, an unmapped memfd)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader.kernel import memory
from grader.kernel.execute import _MemoryWatch
from grader.kernel.memory import MemoryCgroup, MiB, measure, tree_pids, upper_bound
from grader.kernel.process_tree import _runs_kernel, kernel_process, set_limit

LINUX = pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc")


# -- a fake /proc ----------------------------------------------------------------------------------------
def _process(proc: Path, pid: int, ppid: int, comm: str = "python", pss_kb: int = 0, shmem_kb: int = 0,
             rss_kb: int = 0, fds: dict[str, Path | str] | None = None, maps: list[str] | None = None) -> Path:
    """A process directory: stat (with a command name full of spaces and parentheses), smaps_rollup, fd links, maps."""
    base = proc / str(pid)
    (base / "fd").mkdir(parents=True)
    (base / "map_files").mkdir()
    (base / "stat").write_text(f"{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194560 0 0\n")
    (base / "statm").write_text(f"900000 {rss_kb * 1024 // memory._PAGE} 300 1 0 500 0\n")
    (base / "smaps_rollup").write_text(
        "00400000-7fff0000 ---p 00000000 00:00 0                          [rollup]\n"
        f"Rss:            {rss_kb} kB\nPss:            {pss_kb} kB\nPss_Anon:       {pss_kb - shmem_kb} kB\n"
        f"Pss_File:       0 kB\nPss_Shmem:      {shmem_kb} kB\nShared_Clean:   0 kB\n")
    for name, target in (fds or {}).items():
        os.symlink(target, base / "fd" / name)
    (base / "maps").write_text("".join(line + "\n" for line in maps or []))
    return base


def _file(path: Path, megabytes: int) -> Path:
    with open(path, "wb") as handle:
        handle.write(b"x" * (megabytes * MiB))
    return path


def _maps_line(path: Path, start: int = 0x7F0000000000, shown: str | None = None) -> str:
    st = os.stat(path)
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}"
    return f"{start:x}-{start + 0x1000:x} rw-s 00000000 {dev} {st.st_ino}  {shown or path}"


@pytest.fixture()
def fake(tmp_path: Path):
    """A fake /proc whose 'tmpfs' is the directory ``shm`` (its device listed as tmpfs in every mountinfo)."""
    proc, shm = tmp_path / "proc", tmp_path / "shm"
    proc.mkdir()
    shm.mkdir()
    st = os.stat(shm)
    mountinfo = f"40 30 {os.major(st.st_dev)}:{os.minor(st.st_dev)} / /dev/shm rw,nosuid - tmpfs tmpfs rw\n"

    def add(pid: int, ppid: int, **kwargs) -> Path:
        base = _process(proc, pid, ppid, **kwargs)
        (base / "mountinfo").write_text(mountinfo)
        return base

    return proc, shm, add


def test_the_tree_is_the_root_and_its_descendants_only(fake):
    proc, _, add = fake
    add(10, 1, comm="bwrap")
    add(11, 10, comm="a) S 99 (weird")  # a command name that imitates the stat line
    add(12, 11)
    add(13, 10)
    add(20, 1)  # a neighbour, not ours
    (proc / "self").mkdir()
    assert tree_pids(10, proc) == [10, 11, 13, 12]
    assert tree_pids(12, proc) == [12]
    assert tree_pids(99, proc) == []


def test_the_tree_is_read_from_each_threads_children_where_the_kernel_has_them(fake):
    proc, _, add = fake
    for pid, ppid in ((10, 1), (11, 10), (12, 10), (13, 12), (20, 1)):
        add(pid, ppid)
    children = {10: {"10": "11 ", "15": "12"}, 11: {"11": ""}, 12: {"12": "13"}, 13: {"13": ""}}
    for pid, tasks in children.items():
        for tid, text in tasks.items():  # the kernel lists a child under the thread that started it
            (proc / str(pid) / "task" / tid).mkdir(parents=True)
            (proc / str(pid) / "task" / tid / "children").write_text(text)
    (proc / "20" / "stat").write_text("20 (x) S 10 20 20 0\n")  # says 10 is its parent: not read in this way
    assert tree_pids(10, proc) == [10, 11, 12, 13]


def test_a_forked_pool_counts_its_shared_pages_once(fake):
    """Five processes each resident on 800 MB they share: RSS sums to 4,000 MB, PSS to what is really used."""
    proc, _, add = fake
    add(10, 1, pss_kb=170_000, rss_kb=800_000)
    for pid in range(11, 15):
        add(pid, 10, pss_kb=165_000, rss_kb=800_000)
    usage = measure(10, proc=proc)
    assert usage.processes == 5 and usage.shared == 0
    assert usage.total == (170_000 + 4 * 165_000) * 1024 < 1000 * MiB < 5 * 800_000 * 1024


def test_a_memfd_nobody_maps_counts_at_its_full_size_once(fake):
    """Memory held only through descriptors: counted once per object, however many processes hold it."""
    proc, shm, add = fake
    hoard = _file(shm / "hoard", 3)
    add(10, 1, pss_kb=1000, fds={"0": "/dev/null", "5": hoard, "6": "socket:[123]"})
    add(11, 10, pss_kb=500, fds={"3": hoard})
    usage = measure(10, proc=proc)
    assert usage.objects == 1 and usage.shared == os.stat(hoard).st_blocks * 512 >= 3 * MiB
    assert usage.total == 1500 * 1024 + usage.shared


def test_a_mapped_object_counts_once_not_in_pss_and_in_the_object(fake):
    proc, shm, add = fake
    mapped = _file(shm / "mapped", 2)
    only_mapped = _file(shm / "only-mapped", 1)
    # process 10 holds and maps `mapped` (2 MB in its Pss_Shmem); process 11 maps `only_mapped` with no descriptor
    add(10, 1, pss_kb=5000, shmem_kb=2048, fds={"4": mapped}, maps=[_maps_line(mapped)])
    base = add(11, 10, pss_kb=3000, shmem_kb=1024, maps=[_maps_line(only_mapped, 0x7F0000100000)])
    os.symlink(only_mapped, base / "map_files" / "7f0000100000-7f0000101000")
    usage = measure(10, proc=proc)
    size = os.stat(mapped).st_blocks * 512 + os.stat(only_mapped).st_blocks * 512
    assert usage.objects == 2 and usage.shared == size
    assert usage.private == (5000 - 2048 + 3000 - 1024) * 1024
    assert upper_bound(10, proc=proc).shared == size  # the cheap bound sizes mapped objects too


def test_a_mapped_object_that_cannot_be_sized_keeps_its_pss(fake):
    proc, shm, add = fake
    unseen = _file(shm / "unseen", 1)
    add(10, 1, pss_kb=4000, shmem_kb=1024, maps=[_maps_line(unseen, shown="/memfd:unseen (deleted)")])
    usage = measure(10, proc=proc)  # no map_files entry: as without root
    assert usage.objects == 0 and usage.private == 4000 * 1024


def test_objects_on_the_scratch_count_through_the_scratch(fake, monkeypatch):
    """A file on the scratch tmpfs (the kernel's /dev/shm and /tmp live there) is counted by the scratch's usage."""
    proc, shm, add = fake
    hoard = _file(shm / "hoard", 2)
    add(10, 1, pss_kb=1000, fds={"3": hoard})
    monkeypatch.setattr(memory, "scratch_bytes", lambda mount: 7 * MiB if mount == shm else 0)
    usage = measure(10, scratch=shm, proc=proc)
    assert (usage.shared, usage.objects, usage.scratch) == (0, 0, 7 * MiB)
    assert usage.total == 1000 * 1024 + 7 * MiB
    assert "7 MiB in the scratch directory" in usage.describe()


def test_the_cheap_bound_is_never_below_the_measure(fake):
    """The watch reads resident sizes and open objects first, and walks page tables only above the limit."""
    proc, shm, add = fake
    hoard = _file(shm / "hoard", 2)
    mapped = _file(shm / "mapped", 1)
    add(10, 1, pss_kb=170_000, shmem_kb=1024, rss_kb=800_000, fds={"3": hoard, "4": mapped},
        maps=[_maps_line(mapped)])
    for pid in range(11, 15):
        add(pid, 10, pss_kb=165_000, rss_kb=800_000, fds={"3": hoard})
    bound, usage = upper_bound(10, proc=proc), measure(10, proc=proc)
    assert bound.total >= usage.total and bound.shared == usage.shared
    assert bound.private == 5 * 800_000 * 1024 and usage.private == (170_000 - 1024 + 4 * 165_000) * 1024


def test_unattached_system_v_segments_are_counted(tmp_path):
    (tmp_path / "sysvipc").mkdir()
    header = ("       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime"
              "      dtime      ctime                   rss                  swap\n")
    rows = ["0 1 1600 8388608 10 10 0 0 0 0 0 0 0 0 8388608 0",  # made by 10, attached by nobody
            "0 2 1600 4194304 11 11 1 0 0 0 0 0 0 0 4194304 0",  # attached: counted through the maps
            "0 3 1600 2097152 99 99 0 0 0 0 0 0 0 0 2097152 0"]  # another tree's
    (tmp_path / "sysvipc" / "shm").write_text(header + "\n".join(rows) + "\n")
    assert memory.sysv_unattached(tmp_path) == (8388608 + 2097152, 2)
    assert memory.sysv_unattached(tmp_path, creators={10, 11}) == (8388608, 1)
    assert memory.sysv_unattached(tmp_path / "missing") == (0, 0)


def test_the_scratch_usage_is_what_its_file_system_holds(tmp_path):
    assert memory.scratch_bytes(None) == 0
    assert memory.scratch_bytes(tmp_path / "missing") == 0
    assert memory.scratch_bytes(tmp_path) > 0


# -- real processes ----------------------------------------------------------------------------------------
def _child(code: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "READY"
    return process


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
    process.wait()


POOL = """
    import os, sys, time
    os.setpgid(0, 0)
    data = bytearray(b"d" * (96 * 1024 * 1024))
    for _ in range(3):
        if os.fork() == 0:
            total = sum(data[::4096])  # every page resident here too, none written
            time.sleep(60)
    time.sleep(0.5)
    print("READY", flush=True)
    time.sleep(60)
"""

MEMFD = """
    import os, time
    os.setpgid(0, 0)
    fd = os.memfd_create("hoard")
    chunk = b"m" * (1024 * 1024)
    for _ in range(128):
        os.write(fd, chunk)
    print("READY", flush=True)
    time.sleep(60)
"""


WINDOW = """
    import mmap, os, time
    os.setpgid(0, 0)
    fd = os.memfd_create("hoard")
    chunk = b"m" * (1024 * 1024)
    for _ in range(128):
        os.write(fd, chunk)
    window = mmap.mmap(fd, 4096)  # a page of it mapped, the descriptor closed: only the mapping keeps it
    os.close(fd)
    print("READY", flush=True)
    time.sleep(60)
"""

def _rss_sum(pid: int) -> int:
    import psutil

    root = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])


@LINUX
def test_a_real_forked_pool_is_measured_by_its_unique_memory():
    process = _child(POOL)
    try:
        usage = measure(process.pid)
        assert usage.processes == 4
        assert _rss_sum(process.pid) > 4 * 96 * MiB  # what the old watch counted
        assert usage.total < 2 * 96 * MiB  # the 96 MB once, and each interpreter
    finally:
        _stop(process)


@LINUX
def test_a_real_unmapped_memfd_is_measured():
    process = _child(MEMFD)
    try:
        usage = measure(process.pid)
        assert usage.objects == 1 and usage.shared == 128 * MiB
        assert _rss_sum(process.pid) < 64 * MiB  # invisible to the old watch
    finally:
        _stop(process)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0] != "Z"


def _wait(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@LINUX
def test_the_watch_leaves_a_forked_pool_that_fits_alone():
    """96 MB shared by four processes against a 250 MiB limit: the RSS sum (>384 MiB) would have killed it."""
    process = _child(POOL)
    watch = _MemoryWatch(process.pid, 250)
    watch.start()
    try:
        time.sleep(1.5)
        assert not watch.tripped and _alive(process.pid)
    finally:
        watch.stop()
        _stop(process)


@LINUX
def test_the_watch_stops_memory_held_in_an_unmapped_memfd():
    process = _child(MEMFD)
    watch = _MemoryWatch(process.pid, 100)
    watch.start()
    try:
        assert _wait(lambda: watch.tripped and not _alive(process.pid))
        assert "128 MiB in 1 shared-memory object(s)" in watch.describe()
    finally:
        watch.stop()
        _stop(process)


@LINUX
@pytest.mark.skipif(os.geteuid() != 0, reason="joining another IPC namespace needs CAP_SYS_ADMIN")
def test_the_watch_stops_system_v_segments_nobody_attached_in_the_kernels_ipc_namespace():
    from adversarial.memory import sysv_hoard

    code = "import os\nos.setpgid(0, 0)\n" + sysv_hoard(64, 2, seconds=60).replace(
        'print("SEGMENTS_MB"', 'print("READY", flush=True) or print("SEGMENTS_MB"')
    process = subprocess.Popen(["unshare", "--ipc", sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "READY"
    watch = _MemoryWatch(process.pid, 100)
    watch.start()
    try:
        assert _wait(lambda: watch.tripped and not _alive(process.pid))
        assert "128 MiB in 2 shared-memory object(s)" in watch.describe()
    finally:
        watch.stop()
        _stop(process)


@LINUX
def test_the_watch_stops_a_memfd_kept_alive_by_a_one_page_mapping():
    process = _child(WINDOW)
    rss = _rss_sum(process.pid)
    watch = _MemoryWatch(process.pid, 100)
    watch.start()
    try:
        assert rss < 64 * MiB  # what the old watch counted
        assert _wait(lambda: watch.tripped and not _alive(process.pid))
        assert "128 MiB in 1 shared-memory object(s)" in watch.describe()
    finally:
        watch.stop()
        _stop(process)


# -- the cgroup ---------------------------------------------------------------------------------------------
def _cgroup_parent(tmp_path: Path, controllers: str = "cpu memory pids", subtree: str = "memory") -> Path:
    parent = tmp_path / "cgroup"
    parent.mkdir()
    (parent / "cgroup.controllers").write_text(controllers + "\n")
    (parent / "cgroup.subtree_control").write_text(subtree + "\n")
    return parent


def test_no_cgroup_without_the_memory_controller(tmp_path):
    group, why = MemoryCgroup.create(100 * MiB, _cgroup_parent(tmp_path, controllers="cpu pids", subtree=""))
    assert group is None and "memory controller is not available" in why


def test_no_cgroup_where_the_memory_controller_cannot_be_enabled(tmp_path):
    parent = _cgroup_parent(tmp_path, subtree="")
    group, why = MemoryCgroup.create(100 * MiB, parent)
    assert group is None and "cannot be enabled" in why
    assert (parent / "cgroup.subtree_control").read_text().split() == ["+memory"]  # it was asked for


def test_a_cgroup_found_rather_than_named_never_gets_a_controller_enabled(tmp_path, monkeypatch):
    parent = _cgroup_parent(tmp_path, subtree="pids")
    monkeypatch.delenv(memory.PARENT_VARIABLE, raising=False)
    monkeypatch.setattr(memory, "cgroup_parent", lambda: (parent, ""))
    group, why = MemoryCgroup.create(100 * MiB)
    assert group is None and "hands the memory controller" in why
    assert (parent / "cgroup.subtree_control").read_text() == "pids\n"


def test_a_cgroup_is_created_limited_and_given_the_processes(tmp_path):
    parent = _cgroup_parent(tmp_path)
    group, why = MemoryCgroup.create(123 * MiB, parent)
    assert group is not None and why == "" and group.path.parent == parent
    assert (group.path / "memory.max").read_text() == str(123 * MiB)
    group.add([5, 6])
    assert (group.path / "cgroup.procs").read_text() == "56"  # one write per process, as cgroupfs wants
    assert not group.over_limit()
    (group.path / "memory.events").write_text("low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n")
    assert group.over_limit()
    group.reset()
    assert not group.over_limit()
    (group.path / "memory.current").write_text("4096\n")
    assert group.current() == 4096


def test_a_cgroup_sets_no_swap_and_a_whole_group_kill_where_it_can(tmp_path):
    parent = _cgroup_parent(tmp_path)
    original_mkdir = Path.mkdir

    def mkdir_with_files(self, *args, **kwargs):  # what cgroupfs creates in a new group
        original_mkdir(self, *args, **kwargs)
        for name in ("memory.swap.max", "memory.oom.group", "cgroup.kill"):
            (self / name).write_text("")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Path, "mkdir", mkdir_with_files)
        group, _ = MemoryCgroup.create(50 * MiB, parent)
    assert (group.path / "memory.swap.max").read_text() == "0"
    assert (group.path / "memory.oom.group").read_text() == "1"
    group.kill()
    assert (group.path / "cgroup.kill").read_text() == "1"


def test_the_empty_cgroups_of_dead_graders_are_swept(tmp_path):
    parent = _cgroup_parent(tmp_path)
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale, mine, other = (parent / f"grader-kernel-{dead.pid}-00", parent / f"grader-kernel-{os.getpid()}-00",
                          parent / "grader-kernel-x")
    for path in (stale, mine, other):
        path.mkdir()
    group, _ = MemoryCgroup.create(10 * MiB, parent)
    assert not stale.exists() and mine.exists() and other.exists() and group.path.exists()
    started = time.monotonic()
    group.remove()  # a fake directory is not empty: given up at once, not after a wait
    assert time.monotonic() - started < 1


def test_the_parent_is_the_graders_own_cgroup_or_the_configured_one(tmp_path, monkeypatch):
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "mountinfo").write_text(
        "25 30 0:22 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
        "26 30 0:23 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n")
    (proc / "self" / "cgroup").write_text("4:memory:/x\n0::/system.slice/grader.service\n")
    monkeypatch.delenv(memory.PARENT_VARIABLE, raising=False)
    assert memory.cgroup_parent(proc) == (Path("/sys/fs/cgroup/unified/system.slice/grader.service"), "")
    monkeypatch.setenv(memory.PARENT_VARIABLE, str(tmp_path / "delegated"))
    assert memory.cgroup_parent(proc) == (tmp_path / "delegated", "")
    monkeypatch.delenv(memory.PARENT_VARIABLE)
    (proc / "self" / "mountinfo").write_text("25 30 0:22 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n")
    assert memory.cgroup_parent(proc)[0] is None


def test_the_parent_is_the_nearest_cgroup_that_hands_out_the_memory_controller(tmp_path, monkeypatch):
    mount = tmp_path / "cgroup2"
    own = mount / "system.slice" / "grader.service"
    own.mkdir(parents=True)
    (mount / "cgroup.subtree_control").write_text("cpu memory pids\n")
    (mount / "system.slice" / "cgroup.subtree_control").write_text("memory pids\n")
    (own / "cgroup.subtree_control").write_text("")
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "mountinfo").write_text(f"26 30 0:23 / {mount} rw - cgroup2 cgroup2 rw\n")
    (proc / "self" / "cgroup").write_text("0::/system.slice/grader.service\n")
    monkeypatch.delenv(memory.PARENT_VARIABLE, raising=False)
    assert memory.cgroup_parent(proc) == (mount / "system.slice", "")
    (mount / "system.slice" / "cgroup.subtree_control").write_text("pids\n")
    assert memory.cgroup_parent(proc) == (mount, "")
    (mount / "cgroup.subtree_control").write_text("cpu\n")
    assert memory.cgroup_parent(proc) == (own, "")  # none: create() then says why not
    (tmp_path / "cgroup.subtree_control").write_text("memory\n")  # above the mount: never looked at
    assert memory.cgroup_parent(proc) == (own, "")


def test_here_a_cgroup_is_made_or_the_reason_is_given():
    """Whatever this machine allows, creating the cgroup never raises and says why it could not."""
    group, why = MemoryCgroup.create(64 * MiB)
    if group is None:
        assert why
    else:
        group.remove()


@LINUX
def test_the_watch_moves_the_tree_into_its_cgroup_and_stops_it_on_an_out_of_memory_kill(tmp_path):
    group, _ = MemoryCgroup.create(64 * MiB, _cgroup_parent(tmp_path))
    process = subprocess.Popen(["sleep", "60"])
    watch = _MemoryWatch(process.pid, 64, cgroup=group)
    try:
        assert (group.path / "cgroup.procs").read_text() == str(process.pid)
        watch.start()
        time.sleep(0.5)
        assert not watch.tripped and process.poll() is None
        (group.path / "memory.events").write_text("oom_kill 1\noom_group_kill 1\n")
        assert watch.tripped and "cgroup memory limit" in watch.describe()
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        watch.stop()
        process.kill()
        process.wait()


# -- the kernel process and its limits -----------------------------------------------------------------------
def test_the_kernel_is_python_running_ipykernel_not_bwrap_nor_a_lookalike():
    assert _runs_kernel(["python", "-m", "ipykernel_launcher", "-f", "c.json"])
    assert _runs_kernel(["python", "-P", "-m", "ipykernel_launcher"])
    assert not _runs_kernel(["bwrap", "--unshare-pid", "--", "python", "-m", "ipykernel_launcher"])
    assert not _runs_kernel(["python", "-c", "launcher", "python", "-m", "ipykernel_launcher"])
    assert not _runs_kernel(["python", "-m", "other"])


@LINUX
def test_the_topmost_kernel_process_is_found(tmp_path):
    """bwrap-like parent, then `python -m ipykernel_launcher` (here a stand-in), then a student's lookalike below."""
    (tmp_path / "ipykernel_launcher.py").write_text(
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-m', 'ipykernel_launcher', 'lookalike']) if len(sys.argv) < 2 else None\n"
        "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; subprocess.run(sys.argv[1:])",
                               sys.executable, "-m", "ipykernel_launcher"], cwd=tmp_path)
    try:
        import psutil

        assert _wait(lambda: len(psutil.Process(parent.pid).children(recursive=True)) == 2)
        kernel = kernel_process(parent.pid)
        assert kernel is not None and kernel.ppid() == parent.pid
        assert kernel_process(kernel.children()[0].pid).cmdline()[-1] == "lookalike"
    finally:
        for child in psutil.Process(parent.pid).children(recursive=True):
            child.kill()
        parent.kill()
        parent.wait()


@LINUX
def test_a_soft_limit_is_set_on_another_process():
    import resource

    process = subprocess.Popen(["sleep", "60"])
    try:
        soft, hard = resource.prlimit(process.pid, resource.RLIMIT_NPROC)
        target = 1000 if hard == resource.RLIM_INFINITY else min(hard, 1000)
        assert set_limit(process.pid, resource.RLIMIT_NPROC, (target, hard))
        assert resource.prlimit(process.pid, resource.RLIMIT_NPROC) == (target, hard)
    finally:
        process.kill()
        process.wait()


def _capable(capability: int) -> bool:
    with open("/proc/self/status") as handle:
        effective = next(line for line in handle if line.startswith("CapEff:")).split()[1]
    return bool(int(effective, 16) >> capability & 1)


@LINUX
@pytest.mark.skipif(os.geteuid() != 0, reason="runs a process as another user")
def test_a_soft_limit_is_raised_on_a_process_of_another_user_even_without_cap_sys_resource():
    """As the sandbox's kernel: another uid, a soft limit below its hard one. A grader whose root lacks
    CAP_SYS_RESOURCE (a container's) does it through a child of the same uid as the process."""
    uid = 1_999_123
    process = subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                                "prlimit", "--nproc=40:50", "sleep", "60"])
    try:
        def nproc() -> list[str]:
            with open(f"/proc/{process.pid}/limits") as handle:
                return next(line for line in handle if line.startswith("Max processes")).split()[2:4]

        assert _wait(lambda: nproc() == ["40", "50"])
        import resource

        assert set_limit(process.pid, resource.RLIMIT_NPROC, (50, 50), uid)
        assert nproc() == ["50", "50"]
        if not _capable(24):  # CAP_SYS_RESOURCE: the child of the same uid never goes above the hard limit
            assert not set_limit(process.pid, resource.RLIMIT_NPROC, (60, 60), uid)
            assert nproc() == ["50", "50"]
        assert set_limit(process.pid, resource.RLIMIT_NPROC, (40, 50), uid) and nproc() == ["40", "50"]
    finally:
        process.kill()
        process.wait()
