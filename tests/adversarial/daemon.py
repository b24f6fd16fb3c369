"""A double-forked ``setsid`` daemon that outlives grading and rewrites the report afterwards."""

from __future__ import annotations


def cell(marker: str, report: str, seconds: float = 20.0) -> str:
    forged = '{"score": 22.0, "max_score": 22.0, "checks": [], "forged": true}'
    code = f'''
import sys, time
end = time.time() + {seconds}
while time.time() < end:
    try:
        with open({report!r}, "w") as handle:
            handle.write({forged!r})
    except OSError:
        pass
    time.sleep(0.05)
'''
    return f'''
import os, subprocess, sys
if os.fork() == 0:
    os.setsid()
    subprocess.Popen([sys.executable, "-c", {code!r}, {marker!r}], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os._exit(0)
os.wait()
'''
