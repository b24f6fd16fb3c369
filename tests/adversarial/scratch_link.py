"""Replacing the scratch directory by a link to somewhere else (cleanup must neither fail nor follow it)."""

from __future__ import annotations


def cell(target: str) -> str:
    return f'''
import os, shutil
here = os.getcwd()
os.chdir("/")
try:
    shutil.move(here, here + "-moved")
    os.symlink({target!r}, here)
    print("REPLACED the scratch directory by a link")
except OSError as exc:
    print("could not replace the scratch directory:", exc)
'''
