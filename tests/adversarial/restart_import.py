"""Files a restarted kernel would run: a notebook plants modules and IPython start-up files in its working
directory, then kills its kernel. Each planted file, if the new kernel ever runs it, leaves a marker in the
working directory; the planted ``ipykernel_launcher`` (and ``resource``, which the sandbox's launcher
imports) then stops the kernel from starting at all. A later cell prints the markers it finds."""

from __future__ import annotations

PLANTED = {
    "ipykernel_launcher.py": "launcher",
    "resource.py": "resource",
    ".ipython/profile_default/startup/00-planted.py": "startup",
    ".ipython/profile_default/ipython_kernel_config.py": "config",
}


def plant(crash_on_import: bool = True) -> str:
    """The cell that plants the files and kills the kernel (without ``crash_on_import``: only the files that
    let a kernel start, IPython's start-up file and configuration)."""
    planted = {path: name for path, name in PLANTED.items() if crash_on_import or name not in ("launcher", "resource")}
    return f'''
import os, signal
for _path, _name in {planted!r}.items():
    os.makedirs(os.path.dirname(_path) or ".", exist_ok=True)
    _stop = {crash_on_import!r} and _name in ("launcher", "resource")
    with open(_path, "w") as _handle:
        _handle.write(f"open({{os.path.abspath('MARKER-' + _name)!r}}, 'w').close()\\n"
                      + ("raise SystemExit('planted')\\n" if _stop else ""))
os.kill(os.getpid(), signal.SIGKILL)
'''


def report() -> str:
    """The cell that says which planted files ran."""
    return '''
import os
print("MARKERS", sorted(name[len("MARKER-"):] for name in os.listdir(".") if name.startswith("MARKER-")))
'''
