"""The SQLite store: opening (and migrating) it, and every query.  No printing here.

One file, WAL journal, a busy timeout, readable by its owner only.  Every write runs
in one ``BEGIN IMMEDIATE`` transaction, so a failure or a kill leaves the store as it
was before the command.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import math
import os
import secrets
import stat
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from .errors import NotFoundError, StoreError, UsageError
from .gctuning import cycle_collector_paused
from .models import (
    LIST_FIELDS,
    RECORDATION_FIELDS,
    DeclarationLine,
    DenyEntry,
    Hit,
    Recordation,
    SUPPLY_CHAIN_FIELDS,
    ScreeningContext,
    Suppression,
)
from .migrations import line_key
from .recordations import from_store_row, from_store_rows

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
    from .migrations import migrations

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


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


class Store:
    """An open store.  Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self.db = Database(conn, execute_plugins=False)

    # -- opening -------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = False) -> "Store":
        """Open (and migrate) the store; create it only when ``create`` is true.

        Refused (exit 3): a symbolic link at the path (dangling or not), a file another
        user owns, a file others may write, a store of a newer schema.  In a directory
        this user may not write, the store is opened read-only: reads work, writes are
        refused with a clear message.
        """
        path = Path(path)
        try:
            info: os.stat_result | None = os.lstat(path)
        except FileNotFoundError:
            info = None
        except OSError as exc:
            raise StoreError(f"Cannot open the store {path}: {exc.strerror}.") from exc
        if info is not None and stat.S_ISLNK(info.st_mode):
            raise StoreError(
                f"The store path {path} is a symbolic link (to {os.readlink(path)}); ipr does not follow it.",
                hint="Point --db / IPR_DB at the store file itself.",
            )
        if info is None:
            if not create:
                raise NotFoundError(
                    f"No store at {path}.",
                    hint="Import recordations first (`ipr recordation import FILE`), "
                    "or point --db / IPR_DB at an existing store.",
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)
                os.close(os.open(path, flags, 0o600))
            except FileExistsError:
                pass  # created by another process meanwhile: checked below like any store
            except OSError as exc:
                raise StoreError(f"Cannot create the store {path}: {exc.strerror}.") from exc
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                raise StoreError(f"The store path {path} became a symbolic link; ipr does not follow it.")
        if stat.S_ISDIR(info.st_mode):
            raise NotFoundError(f"The store path {path} is a directory, not a store file.")
        _check_ownership(path, info)
        read_only = not os.access(path.parent, os.W_OK)
        try:
            if read_only:
                conn = _connect_read_only(path)
            else:
                conn = sqlite3.connect(str(path), timeout=busy_timeout(), isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            _check_schema(conn, path)
            if not read_only:
                mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
                if mode != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
            store = cls(path, conn)
            store._check_is_ipr_store()
            store._migrate()
        except sqlite3.Error as exc:
            raise store_error(exc, path) from exc
        return store

    def _check_is_ipr_store(self) -> None:
        """Refuse another application's database rather than add ipr's tables to it."""
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and not tables & {"recordations", "_sqlite_migrations"}:
            self.conn.close()
            raise StoreError(
                f"{self.path} is not an ipr store (an SQLite database of another application).",
                hint="Check --db / IPR_DB: `ipr db path` shows which file is used.",
            )

    def _migrate(self) -> None:
        from .migrations import migrations

        if migrations.pending(self.db):
            # Table rebuilds (adding a foreign key) need the checks off, which SQLite
            # allows only outside a transaction; they are back on before any other write.
            self.conn.execute("PRAGMA foreign_keys = OFF")
            try:
                with self.write():
                    migrations.apply(self.db)
            finally:
                self.conn.execute("PRAGMA foreign_keys = ON")

    def check_writable(self) -> None:
        """Make sure a write would be let in now (the store is not busy, not read-only):
        take the write lock and give it straight back.  Raises StoreError (exit 3)."""
        with self.write():
            pass

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions --------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator["Store"]:
        """One write transaction: all of it lands, or none of it (also on Ctrl-C)."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise store_error(exc, self.path) from exc
        try:
            yield self
            self.conn.execute("COMMIT")
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, sqlite3.Error):  # disk full, I/O error... inside the block too
                raise store_error(exc, self.path) from exc
            raise

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already done so (it may, on SQLITE_FULL)."""
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # the original error is the one to report
                self.conn.execute("ROLLBACK")

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Map SQLite errors raised by reads to :class:`StoreError`."""
        try:
            yield
        except sqlite3.Error as exc:
            raise store_error(exc, self.path) from exc

    # -- audit ---------------------------------------------------------------------

    def audit(
        self,
        action: str,
        entity: str,
        entity_id: str,
        before: dict | None,
        after: dict | None,
        note: str = "",
    ) -> None:
        """Record a change (call inside :meth:`write`)."""
        self.conn.execute(
            "INSERT INTO audit (at, user, action, entity, entity_id, before, after, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                now(),
                current_user(),
                action,
                entity,
                entity_id,
                json.dumps(before, ensure_ascii=False) if before is not None else None,
                json.dumps(after, ensure_ascii=False) if after is not None else None,
                note,
            ),
        )

    def audit_rows(self, entity: str | None = None, entity_id: str | None = None) -> list[dict]:
        sql = "SELECT * FROM audit"
        where, params = [], []
        if entity:
            where.append("entity = ?")
            params.append(entity)
        if entity_id:
            where.append("entity_id = ?")
            params.append(entity_id)
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self.guard():
            return [dict(r) for r in self.conn.execute(sql + " ORDER BY id", params)]

    # -- recordations --------------------------------------------------------------

    def _bump_revision(self) -> None:
        self.conn.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'recordations_revision'"
        )

    def revision(self) -> int:
        with self.guard():
            row = self.conn.execute(
                "SELECT value FROM meta WHERE key = 'recordations_revision'"
            ).fetchone()
        return int(row[0]) if row else 0

    def index_cache_key(self) -> bytes | None:
        """The secret the matcher's index cache is sealed with (see matching/index.py),
        made on first use; None when it cannot be stored (the cache is then not used)."""
        query = "SELECT value FROM meta WHERE key = 'index_cache_key'"
        try:
            with self.guard():
                row = self.conn.execute(query).fetchone()
            if row is None:
                with self.write():
                    self.conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('index_cache_key', ?)",
                                      (secrets.token_hex(32),))
                with self.guard():
                    row = self.conn.execute(query).fetchone()
        except StoreError:  # a read-only or busy store still screens, without the cache
            return None
        try:
            return bytes.fromhex(row[0]) if row and row[0] else None
        except (TypeError, ValueError):
            return None

    def recordations(self) -> list[Recordation]:
        columns = ", ".join(RECORDATION_FIELDS)
        with self.guard():
            cursor = self.conn.cursor()
            cursor.row_factory = None  # plain tuples: a register of 100,000 loads in a second
            rows = cursor.execute(f"SELECT {columns} FROM recordations ORDER BY recordation_id").fetchall()
        try:
            with cycle_collector_paused():  # (a quarter of the time with 100,000)
                return from_store_rows(rows)
        except (ValueError, KeyError, TypeError, ArithmeticError):
            raise self._bad_row(rows) from None

    def recordation_ids_changed_since(self, since: str) -> set[str]:
        """Ids of the recordations added or changed at or after ``since`` (a UTC time
        stamp in ISO form, as the store keeps ``updated_at``)."""
        with self.guard():
            rows = self.conn.execute(
                "SELECT recordation_id FROM recordations WHERE updated_at >= ? OR created_at >= ?", (since, since)
            ).fetchall()
        return {row[0] for row in rows}

    def get(self, recordation_id: str) -> Recordation:
        with self.guard():
            row = self.conn.execute(
                "SELECT * FROM recordations WHERE recordation_id = ?", (recordation_id,)
            ).fetchone()
        if row is None:
            raise NotFoundError(
                f"No recordation {recordation_id!r} in the store.",
                hint="`ipr recordation list` or `ipr recordation search TEXT` finds its id.",
            )
        try:
            return from_store_row(dict(row))
        except (ValueError, KeyError, TypeError, ArithmeticError):
            raise self._bad_row([tuple(row[k] for k in RECORDATION_FIELDS)]) from None

    def _bad_row(self, rows: list[tuple]) -> StoreError:
        """The error for stored recordations that break the contract (changed outside
        ipr, or by a bug): the first such row and field, named."""
        for values in rows:
            found = stored_value_problem(dict(zip(RECORDATION_FIELDS, values)))
            if found:
                field, problem = found
                return StoreError(
                    f"The store {self.path} holds a recordation that ipr cannot use: "
                    f"recordation {values[0]!r}, field {field}: {problem}.",
                    hint="It was changed outside ipr. Correct it with `ipr recordation update` "
                    "(or `ipr recordation remove`), or restore the store from a backup.",
                )
        return StoreError(f"The store {self.path} holds recordations that ipr cannot read.")

    def exists(self, recordation_id: str) -> bool:
        with self.guard():
            return (
                self.conn.execute(
                    "SELECT 1 FROM recordations WHERE recordation_id = ?", (recordation_id,)
                ).fetchone()
                is not None
            )

    def save(
        self, recordations: Iterable[Recordation], action: str = "import", note: str = "", *, apply: bool = True
    ) -> ImportResult:
        """Insert or update recordations by id, auditing each change (inside :meth:`write`).

        With ``apply=False`` only count what would change (for ``--dry-run``).
        """
        result = ImportResult()
        columns = ", ".join(RECORDATION_FIELDS)
        marks = ", ".join("?" for _ in RECORDATION_FIELDS)
        stamp = now()
        for rec in recordations:
            new = rec.to_record()
            stored = to_store_row(rec)
            old_row = self.conn.execute(
                f"SELECT {columns} FROM recordations WHERE recordation_id = ?", (rec.recordation_id,)
            ).fetchone()
            if old_row is None:
                result.added += 1
                if not apply:
                    continue
                self.conn.execute(
                    f"INSERT INTO recordations ({columns}, created_at, updated_at)"
                    f" VALUES ({marks}, ?, ?)",
                    [stored[k] for k in RECORDATION_FIELDS] + [stamp, stamp],
                )
                self.audit("add" if action == "import" else action, "recordation", rec.recordation_id, None, new, note)
                continue
            before = dict(zip(RECORDATION_FIELDS, tuple(old_row)))
            changed = [k for k in RECORDATION_FIELDS if before[k] != stored[k]]
            if not changed:
                result.unchanged += 1
                continue
            result.updated += 1
            if not apply:
                continue
            sets = ", ".join(f"{k} = ?" for k in RECORDATION_FIELDS)
            self.conn.execute(
                f"UPDATE recordations SET {sets}, updated_at = ? WHERE recordation_id = ?",
                [stored[k] for k in RECORDATION_FIELDS] + [stamp, rec.recordation_id],
            )
            old = from_store_rows([tuple(old_row)])[0].to_record()
            self.audit(
                "update" if action == "import" else action,
                "recordation",
                rec.recordation_id,
                {k: old[k] for k in changed},
                {k: new[k] for k in changed},
                note,
            )
        if apply and (result.added or result.updated):
            self._bump_revision()
        return result

    def remove(self, recordation_id: str, note: str = "") -> None:
        """Delete a recordation, keeping its last state in the audit trail (inside :meth:`write`)."""
        rec = self.get(recordation_id)
        cases = self.conn.execute("SELECT COUNT(*) FROM hits WHERE recordation_id = ?", (recordation_id,)).fetchone()[0]
        if cases:
            from .errors import InputError

            raise InputError(
                f"Recordation {recordation_id} cannot be removed: {cases} saved hit(s) refer to it, "
                "and their cases keep its id.",
                hint=f"Suspend it instead (`ipr recordation suspend {recordation_id} --reason TEXT`): "
                "lines are no longer screened against it.",
            )
        self.conn.execute("DELETE FROM recordations WHERE recordation_id = ?", (recordation_id,))
        self.audit("remove", "recordation", recordation_id, rec.to_record(), None, note)
        self._bump_revision()

    # -- runs and hits -------------------------------------------------------------

    def hit_planner(self) -> "HitPlanner":
        """Hit ids for a run's hits before the run is saved (for output that names them)."""
        return HitPlanner(self)

    def save_run(
        self,
        run: dict,
        hits: Iterable[tuple[Hit, DeclarationLine]],
        planner: "HitPlanner | None" = None,
    ) -> list[int]:
        """Store a finished run and its hits in one transaction; return the hit ids.

        A hit is a case, not a sighting: a line already flagged against the same
        recordation in an earlier run (same declaration id and item, else same file
        digest and row) links to that hit, whose status and decisions stay; the run is
        added to the runs that saw it (``hit_runs``) and its score, reasons and line are
        brought up to date.  ``planner`` (see :meth:`hit_planner`) gives the ids the
        output already named; should another run have taken them meanwhile, the hits
        get new ids and ``planner.renumbered`` is set.
        """
        digests = {f["path"]: f.get("sha256") or "" for f in run["files"]}
        ids: list[int] = []
        stamp = run.get("finished_at") or now()
        with self.write():
            self.conn.execute(
                "INSERT INTO runs (run_id, started_at, finished_at, user, as_of, files, options,"
                " recordations_revision, lines_read, lines_flagged, hits, reviews, suppressed, skipped,"
                " duration_s) VALUES (:run_id, :started_at, :finished_at, :user, :as_of, :files, :options,"
                " :recordations_revision, :lines_read, :lines_flagged, :hits, :reviews, :suppressed,"
                " :skipped, :duration_s)",
                {**run, "files": json.dumps(run["files"]), "options": json.dumps(run["options"]), "user": current_user()},
            )
            top = self.conn.execute("SELECT COALESCE(MAX(hit_id), 0) FROM hits").fetchone()[0]
            keep_planned = planner is not None and top < planner.first_new
            for hit, line in hits:
                planned = planner.planned.get(id(hit)) if planner is not None else None
                key = planned[0] if planned else line_key(hit.declaration_id, hit.item_no, digests.get(hit.file), hit.row)
                values = (
                    hit.file, hit.row, hit.declaration_id, hit.item_no, hit.mark, hit.holder, hit.score,
                    hit.verdict.value, hit.matched_text, json.dumps(list(hit.reasons), ensure_ascii=False), hit.field,
                    hit.span[0] if hit.span else None, hit.span[1] if hit.span else None,
                    json.dumps(line_record(line), ensure_ascii=False),
                )
                existing = self.conn.execute(
                    "SELECT hit_id FROM hits WHERE line_key = ? AND recordation_id = ?", (key, hit.recordation_id)
                ).fetchone()
                if existing is not None:
                    hit_id = int(existing[0])
                    self.conn.execute(
                        "UPDATE hits SET file = ?, row = ?, declaration_id = ?, item_no = ?, mark = ?, holder = ?,"
                        " score = ?, verdict = ?, matched_text = ?, reasons = ?, field = ?, span_start = ?,"
                        " span_end = ?, line = ?, last_seen_at = ? WHERE hit_id = ?",
                        (*values, stamp, hit_id),
                    )
                else:
                    wanted = planned[1] if planned and keep_planned else None
                    cur = self.conn.execute(
                        "INSERT INTO hits (hit_id, run_id, file, row, declaration_id, item_no, mark, holder,"
                        " score, verdict, matched_text, reasons, field, span_start, span_end, line, recordation_id,"
                        " line_key, last_seen_at, status)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')",
                        (wanted, run["run_id"], *values, hit.recordation_id, key, stamp),
                    )
                    hit_id = int(cur.lastrowid)
                if planner is not None and planned and planned[1] != hit_id:
                    planner.renumbered = True
                self.conn.execute(
                    "INSERT OR REPLACE INTO hit_runs (hit_id, run_id, file, row, score, verdict, seen_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (hit_id, run["run_id"], hit.file, hit.row, hit.score, hit.verdict.value, stamp),
                )
                ids.append(hit_id)
        return ids

    def allow_entries(self) -> list[Suppression]:
        with self.guard():
            rows = self.conn.execute("SELECT * FROM allow ORDER BY id").fetchall()
        return [
            Suppression(
                recordation_id=r["recordation_id"],
                importer=r["importer"],
                origin=r["origin"] or "",
                until=dt.date.fromisoformat(r["until"]) if r["until"] else None,
                reason=r["reason"] or "",
            )
            for r in rows
        ]

    def deny_entries(self) -> list[DenyEntry]:
        with self.guard():
            rows = self.conn.execute("SELECT * FROM deny ORDER BY id").fetchall()
        return [DenyEntry(importer=r["importer"], recordation_id=r["recordation_id"] or "", reason=r["reason"] or "") for r in rows]

    def context(self) -> ScreeningContext:
        return ScreeningContext(allow=self.allow_entries(), deny=self.deny_entries())


def stored_value_problem(row: dict) -> tuple[str, str] | None:
    """The first field of a stored recordation outside the contract, and why; None if sound."""
    from decimal import Decimal, InvalidOperation

    from .models import Status

    for name in ("recordation_id", "mark", "holder"):
        if not isinstance(row.get(name), str) or not row[name]:
            return name, f"{row.get(name)!r} is not a non-empty text"
    for name in ("valid_from", "valid_until"):
        value = row.get(name)
        if name == "valid_from" and value in (None, ""):
            continue
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            return name, f"{value!r} is not a date (YYYY-MM-DD)"
    status = row.get("status")
    if status not in (None, "") and status not in {s.value for s in Status}:
        return "status", f"{status!r} is not active, suspended or expired"
    nice = str(row.get("nice_classes") or "")
    try:  # a JSON array (lists are stored so), or ;-separated text in a store not yet migrated
        parts = [str(p).strip() for p in json.loads(nice)] if nice.startswith("[") else nice.split(";")
    except (ValueError, TypeError):
        parts = [nice]
    for part in parts:
        if part and not (part.isascii() and part.isdigit()):
            return "nice_classes", f"{nice!r} is not a list of class numbers"
    floor = row.get("min_unit_value")
    if floor not in (None, ""):
        try:
            if not Decimal(str(floor)).is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            return "min_unit_value", f"{floor!r} is not a number"
    return None
class HitPlanner:
    """Hit ids for a run's hits as they are found, so that streamed output can name them.

    A line already flagged against the same recordation keeps its hit's id; a new case
    gets the next free id (checked again when the run is saved: see ``Store.save_run``).
    File digests are taken when a line without a declaration id first needs one.
    """

    def __init__(self, store: "Store") -> None:
        self.store = store
        with store.guard():
            self.first_new = int(store.conn.execute("SELECT COALESCE(MAX(hit_id), 0) FROM hits").fetchone()[0]) + 1
        self.next_id = self.first_new
        self.planned: dict[int, tuple[str, int]] = {}  # id(hit) -> (line key, hit id)
        self._cases: dict[tuple[str, str], int] = {}
        self._digests: dict[str, str] = {}
        self._hits: list[Hit] = []  # keeps every planned hit alive, so id(hit) stays unique
        self.renumbered = False

    def _digest(self, path: str) -> str:
        if path not in self._digests:
            digest = ""
            if path != "-" and os.path.isfile(path):
                import hashlib

                h = hashlib.sha256()
                with open(path, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
                digest = h.hexdigest()
            self._digests[path] = digest
        return self._digests[path]

    def assign(self, hit: Hit, line: DeclarationLine) -> int:
        """The id ``hit`` has (or will have) in the store."""
        if hit.declaration_id.strip():
            key = line_key(hit.declaration_id, hit.item_no, None, hit.row)
        else:
            key = line_key("", "", self._digest(hit.file), hit.row)
        case = (key, hit.recordation_id)
        hit_id = self._cases.get(case)
        if hit_id is None:
            with self.store.guard():
                row = self.store.conn.execute(
                    "SELECT hit_id FROM hits WHERE line_key = ? AND recordation_id = ?", case
                ).fetchone()
            if row is not None:
                hit_id = int(row[0])
            else:
                hit_id = self.next_id
                self.next_id += 1
            self._cases[case] = hit_id
        self.planned[id(hit)] = (key, hit_id)
        self._hits.append(hit)
        return hit_id


def to_store_row(rec: Recordation) -> dict:
    """A recordation as stored: lists as JSON arrays, ``min_unit_value`` a number."""
    out: dict = rec.to_record()
    for name in LIST_FIELDS:
        out[name] = json.dumps(list(getattr(rec, name)), ensure_ascii=False)
    out["min_unit_value"] = float(rec.min_unit_value) if rec.min_unit_value is not None else None
    return out


def line_record(line: DeclarationLine) -> dict:
    """A declaration line as plain JSON-able values."""
    out: dict = {}
    for name in ("declaration_id", "item_no", "date", "importer", "origin", "hs_code", "description",
                 "brand", "quantity", "value", "currency", *SUPPLY_CHAIN_FIELDS):
        value = getattr(line, name)
        out[name] = "" if value is None else (value.isoformat() if isinstance(value, dt.date) else str(value))
    return out
