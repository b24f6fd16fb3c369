"""The lowest version of every runtime dependency pyproject.toml admits, as ``name==version`` pins.

``--verify`` checks that the environment holds exactly those versions (so that a pin pip could not honour
is an error, not a silent upgrade).
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

_LOWER = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)")
RUNTIME_EXTRAS = ("keras", "torch", "pandas", "sklearn", "plots", "staff")  # every extra but dev


def floor_pins(pyproject: Path) -> dict[str, str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in RUNTIME_EXTRAS:
        requirements += project["optional-dependencies"][extra]
    pins = {}
    for requirement in requirements:
        match = _LOWER.match(requirement)
        if not match:
            raise SystemExit(f"{requirement!r} has no lower bound (>=) to test")
        pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def main() -> int:
    pins = floor_pins(Path(__file__).resolve().parent.parent / "pyproject.toml")
    if "--verify" not in sys.argv:
        print("\n".join(f"{name}=={version}" for name, version in pins.items()))
        return 0
    from packaging.version import Version  # installed with the project; the pins themselves need nothing

    wrong = []
    for name, version in pins.items():
        installed = metadata.version(name)
        if Version(Version(installed).base_version) != Version(version):
            wrong.append(f"{name} {installed} (floor {version})")
    if wrong:
        print("floor environment is not at the floor: " + ", ".join(wrong), file=sys.stderr)
        return 1
    print(f"floor environment: {len(pins)} dependencies at their lowest allowed versions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
