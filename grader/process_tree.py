"""A process together with everything it started, and killing all of it (a kernel, a grading process)."""

from __future__ import annotations


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
