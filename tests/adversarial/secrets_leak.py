"""Reading credentials: the kernel's environment, the home directory, other processes' ``/proc/PID/environ``."""

from __future__ import annotations


def cell(prefix: str, homes: list[str]) -> str:
    return f'''
import os, re
pattern = re.compile(r"{prefix}[0-9a-f]+")
leaks = set()
leaks.update(pattern.findall(repr(dict(os.environ))))
for home in [os.path.expanduser("~"), *{homes!r}]:
    for dirpath, dirnames, filenames in os.walk(home):
        for name in filenames[:200]:
            try:
                with open(os.path.join(dirpath, name), "rb") as handle:
                    leaks.update(pattern.findall(handle.read(100000).decode("latin-1")))
            except OSError:
                pass
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            with open(f"/proc/{{pid}}/environ", "rb") as handle:
                leaks.update(pattern.findall(handle.read().decode("latin-1")))
        except OSError:
            pass
print("LEAKED", sorted(leaks))
'''
