"""Resource attacks: memory held by a detached process, many processes, a huge file, a flood of output."""

from __future__ import annotations


def detached_memory(marker: str, megabytes: int, pidfile: str, wait: float = 10.0) -> str:
    code = f'''
import time
blocks = []
for _ in range({megabytes} // 50):
    blocks.append(bytearray(50 * 1024 * 1024))
    time.sleep(0.02)
time.sleep(60)
'''
    return f'''
import os, subprocess, sys, time
if os.fork() == 0:
    os.setsid()
    child = subprocess.Popen([sys.executable, "-c", {code!r}, {marker!r}], start_new_session=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with open({pidfile!r}, "w") as handle:
            handle.write(str(child.pid))
    except OSError:
        pass
    os._exit(0)
os.wait()
time.sleep({wait})
'''


def many_processes(count: int) -> str:
    return f'''
import subprocess
children = []
try:
    for _ in range({count}):
        children.append(subprocess.Popen(["sleep", "30"]))
except OSError as exc:
    print("refused:", exc)
print("STARTED", len(children))
for child in children:
    child.kill()
    child.wait()
'''


def huge_file(megabytes: int, files: int = 1) -> str:
    return f'''
import os
written = 0
chunk = b"x" * (4 * 1024 * 1024)
for i in range({files}):
    try:
        with open(f"big-{{i}}.bin", "wb") as handle:
            for _ in range({megabytes} // 4):
                handle.write(chunk)
                handle.flush()
                written += len(chunk)
    except OSError as exc:
        print("refused:", exc.strerror)
print("WRITTEN_MB", written // (1024 * 1024))
for i in range({files}):
    try:
        os.remove(f"big-{{i}}.bin")
    except OSError:
        pass
'''


def output_flood(megabytes: int) -> str:
    return f'''
line = "y" * 1023 + "\\n"
for _ in range({megabytes}):
    print(line * 1024, end="")
'''


def output_message(megabytes: int) -> str:
    """One output message larger than the grader accepts (it closes the kernel's output channel)."""
    return f'''
import sys
sys.stdout.write("z" * ({megabytes} * 1024 * 1024))
sys.stdout.flush()
'''
