"""The open store: transactions, audit, recordations, runs and the screening context."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import stat
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from ..errors import NotFoundError, StoreError
from ..gctuning import cycle_collector_paused
from ..models import RECORDATION_FIELDS, DeclarationLine, DenyEntry, Hit, Recordation, ScreeningContext, Suppression
from ..migrations import line_key
from ..recordations import from_store_row, from_store_rows
from .connection import _check_ownership, _check_schema, _connect_read_only, store_error
from .paths import busy_timeout, current_user, now
from .planner import HitPlanner
from .values import line_record, stored_value_problem, to_store_row


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
        from ..migrations import migrations

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
            from ..errors import InputError

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

