"""Removing a grading's scratch without following a link the kernel planted, and sweeping the scratch of
gradings whose grader died (killed, say) without cleaning up."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


OWNER_FILE = "grader.pid"


def sweep_stale_mounts(mounts: str = "/proc/mounts") -> list[Path]:
    """Unmount and remove the scratch of gradings whose grader died without cleaning up (killed, say).

    Only mounts of this module's tmpfs under a run directory that names its grader's pid are touched,
    and only once that process is gone. Returns the run directories removed.
    """
    import psutil

    removed = []
    try:
        lines = Path(mounts).read_text().splitlines()
    except OSError:
        return removed
    for line in lines:
        fields = line.split()
        if len(fields) < 3 or fields[0] != "grader-scratch" or fields[2] != "tmpfs":
            continue
        mount_point = Path(fields[1].replace("\\040", " "))
        run_dir = mount_point.parent
        try:
            owner = int((run_dir / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if psutil.pid_exists(owner):
            continue
        try:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if not remove_tree(run_dir):
            removed.append(run_dir)
    return removed


def remove_tree(path: Path) -> list[str]:
    """Delete ``path`` whatever was done to it (links, chmod 000, immutable files); never raises.

    Nothing is followed through a link: the standard library's walk works on directory descriptors, and
    what it cannot remove is unlocked (``fchmod``, immutable flags cleared) through descriptors reached
    from ``path`` one name at a time, each opened without following a link.
    """
    path = Path(path)
    problems: list[str] = []
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return problems
    except OSError as exc:
        return [f"{path}: {exc}"]
    if not stat.S_ISDIR(info.st_mode):  # a link or a file where a directory was: remove it, never follow it
        try:
            os.unlink(path)
        except OSError as exc:
            problems.append(f"{path}: {exc}")
        return problems

    def retry(function, failed: str, exc_info) -> None:
        try:
            relative = Path(os.path.relpath(failed, path)).parts
        except ValueError:
            return
        if not relative or ".." in relative or relative == (".",):
            relative = ()
        _unlock_and_remove(path, relative)

    for _ in range(2):  # a second walk once the first has unlocked what stopped it
        try:
            shutil.rmtree(path, onerror=retry)
        except OSError as exc:
            problems = [f"{path}: {exc}"]
        if not os.path.lexists(path):
            return []
    if os.path.lexists(path):
        problems.append(f"{path}: could not be removed entirely")
    return problems


def _unlock_and_remove(top: Path, relative: tuple[str, ...]) -> None:
    """Make ``top/relative`` removable and remove it, reaching it from ``top`` one name at a time without
    following a link (the kernel may have swapped a directory for a link meanwhile)."""
    fds: list[int] = []
    try:
        fds.append(_open_dir_unlocking(None, str(top)))
        for name in relative[:-1]:
            fds.append(_open_dir_unlocking(fds[-1], name))
        if not relative:
            return
        parent, name = fds[-1], relative[-1]
        _unlock(parent)
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode):
            fd = _open_dir_unlocking(parent, name)
            try:
                if os.path.samestat(info, os.fstat(fd)):
                    _unlock(fd)
                    shutil.rmtree(name, dir_fd=parent, ignore_errors=True)
            finally:
                os.close(fd)
        else:
            if stat.S_ISREG(info.st_mode):
                _clear_immutable_at(parent, name)
            os.unlink(name, dir_fd=parent)
    except OSError:
        pass
    finally:
        for fd in fds:
            os.close(fd)


def _open_dir_unlocking(dir_fd: int | None, name: str) -> int:
    """A directory opened without following a link; one its owner locked (chmod 000) is opened after
    giving the owner its rights back through an ``O_PATH`` descriptor."""
    try:
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:
        pass
    handle = os.open(name, getattr(os, "O_PATH", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0),
                     dir_fd=dir_fd)
    try:
        if not stat.S_ISDIR(os.fstat(handle).st_mode):
            raise NotADirectoryError(name)
        os.chmod(f"/proc/self/fd/{handle}", 0o700)  # the very inode the descriptor holds, never a link
    finally:
        os.close(handle)
    return os.open(name, DIR_FLAGS, dir_fd=dir_fd)


def _unlock(fd: int) -> None:
    """Give the directory open as ``fd`` back to its owner's rights and clear its immutable flags."""
    try:
        os.fchmod(fd, 0o700)
    except OSError:
        pass
    _clear_immutable(fd)


def _clear_immutable_at(dir_fd: int, name: str) -> None:
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0), dir_fd=dir_fd)
    except OSError:
        return
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            _clear_immutable(fd)
    finally:
        os.close(fd)


# FS_IOC_GETFLAGS / FS_IOC_SETFLAGS (as chattr uses them) and the immutable and append-only flags
_IOC_GETFLAGS, _IOC_SETFLAGS = (0x80086601, 0x40086602) if sys.maxsize > 2**32 else (0x80046601, 0x40046602)
_IMMUTABLE_FLAGS = 0x00000010 | 0x00000020


def _clear_immutable(fd: int) -> None:
    """Clear the immutable and append-only flags of the file open as ``fd`` (root only; never raises)."""
    if not sys.platform.startswith("linux"):
        return
    import fcntl
    import struct

    try:
        buffer = bytearray(8)
        fcntl.ioctl(fd, _IOC_GETFLAGS, buffer)
        flags = struct.unpack_from("i", buffer)[0]
        if flags & _IMMUTABLE_FLAGS:
            struct.pack_into("i", buffer, 0, flags & ~_IMMUTABLE_FLAGS)
            fcntl.ioctl(fd, _IOC_SETFLAGS, buffer)
    except OSError:
        pass
