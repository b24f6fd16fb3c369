"""Memory the machine feels: a forked pool over shared data (legitimate), memory held in memfd files nobody maps,
and processes a notebook leaves running (legitimate, but they must not starve the checks)."""

from __future__ import annotations


def shared_pool(megabytes: int, workers: int = 4, seconds: float = 3.0) -> str:
    """A legitimate cell: ``workers`` forked processes read one array of ``megabytes`` they share with the kernel
    (as DataLoader workers do); each process's resident size counts the whole array."""
    return f'''
import multiprocessing, time
import numpy as np
shared_data = np.ones({megabytes} * 1024 * 1024 // 8)
def _pool_work(i):
    total = float(shared_data[::512].sum())  # every page resident in this worker too, none copied
    time.sleep({seconds})
    return total
with multiprocessing.get_context("fork").Pool({workers}) as pool:
    totals = pool.map(_pool_work, range({workers}))
print("POOL_OK", len(totals))
del shared_data
'''


def memfd_hoard(megabytes: int, files: int, seconds: float = 5.0) -> str:
    """``files`` memfd files of ``megabytes`` each, written and kept open but never mapped: shared memory of the
    machine that no process's resident size shows."""
    return f'''
import os, time
held = []
chunk = b"m" * (4 * 1024 * 1024)
for i in range({files}):
    fd = os.memfd_create(f"hoard-{{i}}")
    for _ in range({megabytes} // 4):
        os.write(fd, chunk)
    held.append(fd)
print("HELD_MB", {megabytes} * len(held), flush=True)
time.sleep({seconds})
'''


def leftover_children(function: str) -> str:
    """A notebook that leaves as many ``sleep`` children running as its limit allows (a forgotten loop of
    ``Popen``) and whose ``function`` runs its work in a thread of its own: correct, but each call needs a task."""
    return f'''
import functools, subprocess, threading
leftovers = []
try:
    for _ in range(2000):
        leftovers.append(subprocess.Popen(["sleep", "300"]))
except OSError as exc:
    print("refused:", exc)
print("LEFT", len(leftovers))

def _in_a_thread(function):
    @functools.wraps(function)
    def run(*args, **kwargs):
        result = {{}}
        worker = threading.Thread(target=lambda: result.setdefault("value", function(*args, **kwargs)))
        worker.start()
        worker.join()
        return result["value"]
    return run

{function} = _in_a_thread({function})
'''


def scratch_and_memory(file_megabytes: int, array_megabytes: int) -> str:
    """A file on the kernel's /tmp (the scratch tmpfs: memory, though no process maps it) and then an array."""
    return f'''
import numpy as np, time
with open("/tmp/cache.bin", "wb") as handle:
    for _ in range({file_megabytes} // 4):
        handle.write(b"c" * (4 * 1024 * 1024))
array = np.ones({array_megabytes} * 1024 * 1024 // 8)
print("ALLOCATED", flush=True)
time.sleep(5)
'''


SYSV_SEGMENTS = """
import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.argtypes, libc.shmget.restype = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int], ctypes.c_int
libc.shmat.argtypes, libc.shmat.restype = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int], ctypes.c_void_p
libc.shmdt.argtypes = [ctypes.c_void_p]
segments = []
for _ in range({count}):
    shmid = libc.shmget(0, {megabytes} * 1024 * 1024, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
    address = libc.shmat(shmid, None, 0)
    ctypes.memset(address, 1, {megabytes} * 1024 * 1024)
    libc.shmdt(address)  # attached by nobody now, never removed: it lives as long as the IPC namespace
    segments.append(shmid)
print("SEGMENTS_MB", {megabytes} * len(segments), flush=True)
time.sleep({seconds})
"""


def sysv_hoard(megabytes: int, count: int, seconds: float = 5.0) -> str:
    """System V shared-memory segments, filled and detached: memory no descriptor or mapping of any process shows."""
    return SYSV_SEGMENTS.format(megabytes=megabytes, count=count, seconds=seconds)
