"""Where the store lives, how long to wait for it, and who and when a change is."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import math
import os
import sqlite3
import sys
from pathlib import Path

from ..errors import UsageError


APP_NAME = "ipr"
DEFAULT_BUSY_TIMEOUT = 5.0


def default_path() -> Path:
    """The per-user store location (used when neither --db nor IPR_DB is given): the
    user's data directory ($XDG_DATA_HOME or ~/.local/share on Linux, Application
    Support on macOS, %LOCALAPPDATA% on Windows)."""
    base = os.environ.get("XDG_DATA_HOME")
    if base:
        return Path(base) / APP_NAME / "ipr.db"
    if sys.platform.startswith("win"):
        root = os.environ.get("LOCALAPPDATA") or os.environ.get("APPDATA") or str(Path.home())
        return Path(root) / APP_NAME / "ipr.db"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME / "ipr.db"
    return Path.home() / ".local" / "share" / APP_NAME / "ipr.db"


def legacy_default_path() -> Path:
    """Where versions before this one kept the default store: Click's application
    directory, which is the configuration directory on Linux."""
    if sys.platform.startswith("win"):
        root = os.environ.get("APPDATA") or str(Path.home())
        return Path(root) / APP_NAME / "ipr.db"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME / "ipr.db"
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / APP_NAME / "ipr.db"


def adopt_legacy_store() -> str | None:
    """Move a store left at the old default location to the data directory (with its
    WAL files), when none is there yet; return a notice for the user, or None."""
    new, old = default_path(), legacy_default_path()
    if new == old or new.exists() or not old.is_file():
        return None
    try:
        # Everything into the database file first (the last connection to close removes
        # the WAL), so that one rename moves the whole store.
        conn = sqlite3.connect(str(old), timeout=busy_timeout())
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        new.parent.mkdir(parents=True, exist_ok=True)
        os.replace(old, new)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(str(old) + suffix).unlink()
    except sqlite3.Error as exc:
        return f"Notice: the store at the old location {old} could not be moved ({exc}); give --db {old}."
    except OSError as exc:
        return (f"Notice: the store is still at the old location {old} (it could not be moved to {new}: "
                f"{exc.strerror}); give --db {old} or move it there yourself.")
    return f"Notice: the store moved from the old location {old} to the data directory: {new}."


def resolve_path(option: str | None) -> Path:
    """--db, else IPR_DB, else the per-user default."""
    chosen = option or os.environ.get("IPR_DB")
    if not chosen:
        return default_path()
    try:
        return Path(chosen).expanduser()
    except RuntimeError:  # ~name of no such user, or no home directory
        source = "--db" if option else "IPR_DB"
        raise UsageError(
            f"{source} {chosen}: {chosen.split('/')[0]} names no user's home directory.",
            hint="Give the store's path in full.",
        ) from None


MAX_BUSY_TIMEOUT = 86400.0  # a day: longer is a mistake, not a wish


def busy_timeout() -> float:
    """Seconds to wait for a busy store: IPR_BUSY_TIMEOUT, else 5.  A value that is not
    a number from 0 to 86400 (a day) is refused, ``inf`` and ``nan`` included: SQLite
    cannot wait forever, and a nightly job should fail rather than hang."""
    text = os.environ.get("IPR_BUSY_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_BUSY_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 <= value <= MAX_BUSY_TIMEOUT):  # (false for nan)
        raise UsageError(
            f"IPR_BUSY_TIMEOUT={text!r} is not a number of seconds from 0 to {MAX_BUSY_TIMEOUT:.0f}.",
            hint="Set it to how long to wait for another ipr process, e.g. IPR_BUSY_TIMEOUT=30, or unset it (5 s).",
        )
    return value


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return str(os.getuid())

