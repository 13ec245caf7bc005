"""Temporary files renamed into place, and the clean-up of those a killed process left.

A file being written is named ``.NAME.PID-RANDOM.tmp`` next to its target and held
under an exclusive ``flock`` until it is renamed.  Before writing, ``sweep`` removes
the leftovers of earlier writes of the same NAME whose writer is gone: the process
named in the file is no longer running (or the file is over a minute old) *and* no one
holds its lock.  A writer that is alive keeps its lock, so it is never swept away;
a killed one leaves at most one stray file, until the next write of that name.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

STALE_AFTER_S = 60.0  # a leftover whose writer cannot be told is removed after this


def create(directory: str, name: str) -> tuple[int, str]:
    """Create ``directory/.NAME.PID-RANDOM.tmp`` (mode 0600), locked; return (fd, path)."""
    while True:
        path = os.path.join(directory, f".{name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        except FileExistsError:
            continue
        if fcntl is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd, path


def sweep(directory: str, name: str) -> int:
    """Remove stale temporary files of ``name`` in ``directory``; return how many."""
    pattern = re.compile(r"\." + re.escape(name) + r"\.(?:(\d+)-[0-9a-f]{8}|[A-Za-z0-9_]{8})\.tmp\Z")
    try:
        entries = os.listdir(directory or ".")
    except OSError:
        return 0
    removed = 0
    for entry in entries:
        found = pattern.match(entry)
        if found is None:
            continue
        path = os.path.join(directory, entry)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            continue
        pid = int(found.group(1)) if found.group(1) else None
        old = time.time() - info.st_mtime > STALE_AFTER_S
        if not old and (pid is None or pid == os.getpid() or _alive(pid)):
            continue
        if _remove_unlocked(path):
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def _remove_unlocked(path: str) -> bool:
    """Unlink ``path`` unless a writer holds its lock."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # its writer is still at work
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
