"""Public stand-ins for hidden data: the lab's public files laid out like its ``hidden/`` folder.

A lab's spec may map each hidden file to a slice of a public one (``public_standin``). The checks that read
hidden data can then be planned (by ``grader record``) and previewed (in a public install) on public data,
with the same code. The files are written deterministically, so that the same public data always gives the
same bytes (the recorded expectations are keyed by file content).
"""

from __future__ import annotations

import atexit
import gzip
import shutil
import tempfile
from functools import cache
from pathlib import Path

from grader.course.spec import Lab


def _lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.splitlines(keepends=True)


def _write(path: Path, lines: list[bytes]) -> None:
    data = b"".join(lines)
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=6, mtime=0)
    path.write_bytes(data)



@cache
def _build(lab_id: str, public_dir: str, mapping: tuple[tuple[str, str, int], ...]) -> Path:
    root = Path(tempfile.mkdtemp(prefix=f"grader-standin-{lab_id}-"))
    atexit.register(shutil.rmtree, root, True)
    shutil.copytree(public_dir, root / "public")
    hidden = root / "hidden"
    hidden.mkdir()
    for target, source, rows in mapping:
        header, *body = _lines(Path(public_dir) / source)
        chosen = body[:rows] if rows >= 0 else body[rows:]
        _write(hidden / target, [header, *chosen])
    return hidden


def public_hidden_dir(lab: Lab) -> Path:
    """Where the checks look for hidden data when they run on public data: a folder laid out like ``hidden/``
    holding the public stand-ins (built once per process), or, for a lab that reads no hidden data, a
    ``hidden/`` folder that does not exist."""
    if not lab.public_standin or not lab.public_dir.is_dir():
        return lab.root / "hidden"
    mapping = tuple(
        (target, str(entry["from"]), int(entry["first"]) if "first" in entry else -int(entry["last"]))
        for target, entry in sorted(lab.public_standin.items())
    )
    return _build(lab.id, str(lab.public_dir), mapping)
