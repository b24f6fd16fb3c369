"""A process together with everything it started, and killing all of it (a kernel, a grading process)."""

from __future__ import annotations

import os


def process_family(pid: int) -> list:
    """``psutil`` processes of ``pid`` and all its descendants, descendants first; [] if it is gone."""
    import psutil

    try:
        root = psutil.Process(pid)
        return [*reversed(root.children(recursive=True)), root]
    except psutil.Error:
        return []


def kill_all(processes) -> None:
    """Kill each process in order, skipping those already gone."""
    import psutil

    for process in processes:
        try:
            process.kill()
        except psutil.Error:
            pass


def kernel_process(pid: int):
    """The Jupyter kernel's own ``psutil`` process under ``pid`` (bwrap and its init come first in a sandbox):
    the topmost process of the family running ``python [options] -m ipykernel_launcher``; None if none.

    A student's process can only be below it, so a copy of the kernel's command line cannot be taken for it."""
    import psutil

    try:
        queue = [psutil.Process(pid)]
    except psutil.Error:
        return None
    while queue:
        process = queue.pop(0)
        try:
            if _runs_kernel(process.cmdline()):
                return process
            queue.extend(process.children())
        except psutil.Error:
            continue
    return None


def _runs_kernel(cmdline: list[str]) -> bool:
    """``python [-P|-I|...] -m ipykernel_launcher ...`` (not bwrap, whose command line ends with the kernel's)."""
    for position, part in enumerate(cmdline[1:6], start=1):
        if part == "-m":
            return cmdline[position + 1:position + 2] == ["ipykernel_launcher"]
        if not part.startswith("-") or part == "-c":
            return False
    return False


def set_limit(pid: int, resource_id: int, limits: tuple[int, int], uid: int | None = None) -> bool:
    """``prlimit`` another process's resource limit; False if it cannot be done (never raises).

    A grader without ``CAP_SYS_RESOURCE`` (a container's root) may not change a process of another user, but a
    process of the same user may change its soft limit up to its hard one: then a short-lived child of the grader
    does it as ``uid`` (the sandbox's user, group alike), with no capability at all."""
    import resource

    try:
        resource.prlimit(pid, resource_id, limits)
        return True
    except PermissionError:
        if uid is None or os.geteuid() != 0:
            return False
    except (OSError, ValueError):
        return False
    child = os.fork()
    if child == 0:  # only system calls here, then out: the grader has threads
        status = 1
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            resource.prlimit(pid, resource_id, limits)
            status = 0
        finally:
            os._exit(status)
    try:
        _, status = os.waitpid(child, 0)
    except ChildProcessError:
        return False
    return os.waitstatus_to_exitcode(status) == 0
