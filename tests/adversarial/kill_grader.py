"""Writing the ``--output`` files, then stopping and killing the grader (only ancestors that carry ``marker``)."""

from __future__ import annotations


def cell(marker: str, report: str) -> str:
    forged = '{"score": 22.0, "max_score": 22.0, "checks": [], "forged": true}'
    return f'''
import os, signal, time
try:
    with open({report!r}, "w") as handle:
        handle.write({forged!r})
    print("WROTE the report")
except OSError as exc:
    print("could not write the report:", exc)
pid, hit = os.getppid(), []
while pid > 1:
    try:
        cmdline = open(f"/proc/{{pid}}/cmdline", "rb").read().decode(errors="replace")
        parent = int(open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        break
    if {marker!r} in cmdline:
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(pid, sig)
                hit.append(pid)
            except OSError:
                pass
    pid = parent
print("SIGNALLED", hit)
'''
