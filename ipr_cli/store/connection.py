"""Opening a store file safely: its owner, a read-only look, its schema, SQLite errors as ours."""

from __future__ import annotations

import os
import stat
import sqlite3
from pathlib import Path

from ..errors import StoreError
from .paths import busy_timeout


def store_error(exc: sqlite3.Error, path: Path) -> StoreError:
    """Translate an SQLite failure into the user's terms."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError(
            f"The store {path} is busy: another ipr process is writing to it.",
            hint="Wait for it to finish and run the command again "
            "(IPR_BUSY_TIMEOUT sets how many seconds to wait).",
        )
    if "full" in text:
        return StoreError(
            f"The store {path} could not be written: the disk or the store is full. Nothing was changed.",
            hint="Free some space and run the command again.",
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(
            f"The store {path} is read-only here (its file or its directory may not be written). Nothing was changed.",
            hint="Run the command as the store's owner, or ask for write access to its directory.",
        )
    if "not a database" in text:
        return StoreError(
            f"{path} is not an ipr store (it is not an SQLite database).",
            hint="Check --db / IPR_DB: `ipr db path` shows which file is used.",
        )
    if "malformed" in text or "corrupt" in text:
        return StoreError(
            f"The store {path} is damaged ({text}).",
            hint="Restore it from a backup (`ipr db path` shows where it is).",
        )
    return StoreError(f"The store {path} failed: {text}.")


def _check_ownership(path: Path, info: os.stat_result) -> None:
    """A store is the user's own and only theirs to write: another user's file (an
    empty one planted in a shared directory included) or one others may write could
    be read or changed behind this user's back."""
    uid = getattr(os, "getuid", lambda: None)()
    if uid is not None and info.st_uid != uid:
        raise StoreError(
            f"The store {path} belongs to another user (uid {info.st_uid}); ipr uses only a store of your own.",
            hint="Point --db / IPR_DB at your own store, or have its owner run the command.",
        )
    if info.st_mode & 0o022:
        raise StoreError(
            f"The store {path} may be written by other users (mode {stat.filemode(info.st_mode)}); ipr refuses it.",
            hint=f"Make it yours alone: chmod 600 {path}",
        )


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Open a store whose directory is not writable: read-only, and as immutable when no
    write-ahead log beside it shows that someone could be writing it."""
    from urllib.parse import quote

    wal = Path(str(path) + "-wal")
    immutable = "" if wal.exists() and wal.stat().st_size else "&immutable=1"
    uri = f"file:{quote(str(path.resolve()))}?mode=ro{immutable}"
    return sqlite3.connect(uri, uri=True, timeout=busy_timeout(), isolation_level=None)


KNOWN_USER_VERSION = 0  # ipr keeps its schema version in the migrations table


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a store written by a newer ipr: its schema may mean what this one cannot know."""
    from ..migrations import migrations

    version = conn.execute("PRAGMA user_version").fetchone()[0]
    unknown: list[str] = []
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (migrations.migrations_table,)
    ).fetchone()
    if has_table:
        from sqlite_utils import Database as _Memory

        known = {m.name for m in migrations.pending(_Memory(memory=True))}  # every step this ipr has
        applied = [r[0] for r in conn.execute(
            f"SELECT name FROM [{migrations.migrations_table}] WHERE migration_set = ?", (migrations.name,)
        )]
        unknown = [name for name in applied if name not in known]
    if version > KNOWN_USER_VERSION or unknown:
        detail = f"schema steps {', '.join(unknown)}" if unknown else f"user_version {version}"
        raise StoreError(
            f"The store {path} was written by a newer ipr ({detail}); this ipr does not know that schema "
            "and leaves the store alone.",
            hint="Upgrade ipr (pip install -U ipr-cli), or point --db / IPR_DB at another store.",
        )


