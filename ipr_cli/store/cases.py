"""The queries of casework: runs, hits, decisions, allow and deny lists, as named functions.

Every function takes an open :class:`Store`; readers run inside ``store.guard()``,
writers inside the caller's ``store.write()`` transaction.  The decisions (what may be
decided, what a filter means) are ``ipr_cli.casework``'s; the SQL is here.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence

from .core import Store
from .paths import current_user, now

# -- runs ---------------------------------------------------------------------------------


def run_rows(store: Store, limit: int | None = None) -> list[sqlite3.Row]:
    """Runs, newest first, each with ``open``: how many of its hits are still open."""
    sql = (
        "SELECT r.*, (SELECT COUNT(*) FROM hit_runs s JOIN hits h ON h.hit_id = s.hit_id"
        " WHERE s.run_id = r.run_id AND h.status = 'open') AS open"
        " FROM runs r ORDER BY r.started_at DESC, r.rowid DESC"
    )
    params: list = []
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    with store.guard():
        return list(store.conn.execute(sql, params))


def latest_run_id(store: Store) -> str | None:
    with store.guard():
        row = store.conn.execute("SELECT run_id FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1").fetchone()
    return None if row is None else row[0]


def run_ids_like(store: Store, run: str, limit: int = 6) -> list[str]:
    """Run ids equal to ``run`` or starting with it, in id order."""
    with store.guard():
        rows = store.conn.execute(
            "SELECT run_id FROM runs WHERE run_id = ? OR run_id LIKE ? ESCAPE '\\' ORDER BY run_id LIMIT ?",
            (run, _like_prefix(run), limit),
        ).fetchall()
    return [r[0] for r in rows]


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def run_row(store: Store, run_id: str) -> tuple[sqlite3.Row, dict[str, int]]:
    """One run and the number of its hits in each status."""
    with store.guard():
        row = store.conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        statuses = dict(store.conn.execute(
            "SELECT h.status, COUNT(*) FROM hit_runs s JOIN hits h ON h.hit_id = s.hit_id WHERE s.run_id = ?"
            " GROUP BY h.status", (run_id,)
        ).fetchall())
    return row, statuses


# -- hits ---------------------------------------------------------------------------------

# A line's date is its acceptance date, else the run's as-of date.
_DAY = "COALESCE(NULLIF(json_extract(h.line, '$.date'), ''), r.as_of)"


def hit_query_rows(
    store: Store,
    *,
    run_id: str | None = None,
    status: str | None = None,
    holder: str | None = None,
    recordation: str | None = None,
    verdict: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    hit_ids: Sequence[int] = (),
) -> Iterator[sqlite3.Row]:
    """Saved hits, oldest run first, then file, row and score.  ``status`` is a stored
    status or ``decided``; with ``run_id`` a hit carries that run's sighting (``seen_*``)."""
    where, params = [], []
    sighting = "NULL AS seen_file, NULL AS seen_row, NULL AS seen_score, NULL AS seen_verdict"
    join = ""
    join_params: list = []
    if run_id:
        join = " JOIN hit_runs s ON s.hit_id = h.hit_id AND s.run_id = ?"
        join_params.append(run_id)
        sighting = "s.file AS seen_file, s.row AS seen_row, s.score AS seen_score, s.verdict AS seen_verdict"
    if status == "decided":
        where.append("h.status != 'open'")
    elif status:
        where.append("h.status = ?")
        params.append(status)
    conditions = (
        (holder, "instr(lower(h.holder), lower(?)) > 0", holder),
        (recordation, "h.recordation_id = ?", recordation),
        (verdict, "h.verdict = ?", verdict),
        (since, f"{_DAY} >= ?", since.isoformat() if since else None),
        (until, f"{_DAY} <= ?", until.isoformat() if until else None),
    )
    for given, condition, value in conditions:
        if given:
            where.append(condition)
            params.append(value)
    if hit_ids:
        where.append(f"h.hit_id IN ({', '.join('?' for _ in hit_ids)})")
        params.extend(hit_ids)
    sql = (
        "SELECT h.*, r.as_of AS run_as_of, r.started_at AS run_started_at,"
        " (SELECT COUNT(*) FROM hit_runs c WHERE c.hit_id = h.hit_id) AS runs_seen, "
        + sighting + " FROM hits h JOIN runs r ON r.run_id = h.run_id" + join
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY r.started_at, r.rowid, h.file, h.row, h.score DESC, h.hit_id"
    with store.guard():
        yield from store.conn.execute(sql, join_params + params)


def hit_row(store: Store, hit_id: int) -> sqlite3.Row | None:
    """The stored hit row itself (call inside the caller's transaction)."""
    return store.conn.execute("SELECT * FROM hits WHERE hit_id = ?", (hit_id,)).fetchone()


def hit_decisions(store: Store, hit_id: int) -> list[sqlite3.Row]:
    """The decisions on a hit, oldest first."""
    with store.guard():
        return list(store.conn.execute("SELECT * FROM decisions WHERE hit_id = ? ORDER BY id", (hit_id,)))


def allow_ids_from_hit(store: Store, hit_id: int) -> list[int]:
    """The allow entries added by a decision on this hit."""
    with store.guard():
        return [a[0] for a in store.conn.execute("SELECT id FROM allow WHERE from_hit = ? ORDER BY id", (hit_id,))]


def record_decision(store: Store, hit_id: int, decision: str, note: str, stamp: str, user: str,
                    jurisdiction: str | None, perishable: int | None, deadline: str | None) -> None:
    """Add a decision to a hit's history and make it the hit's status (inside ``store.write()``)."""
    store.conn.execute(
        "INSERT INTO decisions (hit_id, decision, note, at, user, jurisdiction, perishable, deadline)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (hit_id, decision, note, stamp, user, jurisdiction, perishable, deadline),
    )
    store.conn.execute(
        "UPDATE hits SET status = ?, decided_at = ?, decided_by = ?, decision_note = ?,"
        " jurisdiction = ?, perishable = ?, deadline = ? WHERE hit_id = ?",
        (decision, stamp, user, note, jurisdiction, perishable, deadline, hit_id),
    )


def holder_names(store: Store, holder: str) -> set[str]:
    """Distinct holder names (of hits and recordations) that contain ``holder``, case-blind."""
    with store.guard():
        return {r[0] for r in store.conn.execute(
            "SELECT DISTINCT holder FROM hits WHERE instr(lower(holder), lower(?)) > 0"
            " UNION SELECT DISTINCT holder FROM recordations WHERE instr(lower(holder), lower(?)) > 0",
            (holder, holder),
        )}


# -- allow and deny lists -----------------------------------------------------------------

LIST_TABLES = ("allow", "deny")


def allow_ids(store: Store) -> set[int]:
    return {r[0] for r in store.conn.execute("SELECT id FROM allow")}


def same_allow(store: Store, recordation_id: str, importer: str, origin: str) -> int | None:
    """The id of the allow entry for this recordation, importer and origin, if any."""
    row = store.conn.execute(
        "SELECT id FROM allow WHERE recordation_id = ? AND importer = ? AND COALESCE(origin, '') = ?",
        (recordation_id, importer, origin),
    ).fetchone()
    return None if row is None else int(row[0])


def insert_allow(store: Store, recordation_id: str, importer: str, origin: str, until: str | None, reason: str,
                 from_hit: int | None) -> int:
    cur = store.conn.execute(
        "INSERT INTO allow (recordation_id, importer, origin, until, reason, created_at, user, from_hit)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (recordation_id, importer, origin, until, reason, now(), current_user(), from_hit),
    )
    return int(cur.lastrowid)


def same_deny(store: Store, importer: str, recordation_id: str) -> int | None:
    """The id of the deny entry for this importer and recordation ('' = every one), if any."""
    row = store.conn.execute(
        "SELECT id FROM deny WHERE importer = ? AND COALESCE(recordation_id, '') = ?", (importer, recordation_id)
    ).fetchone()
    return None if row is None else int(row[0])


def insert_deny(store: Store, importer: str, recordation_id: str, reason: str) -> int:
    cur = store.conn.execute(
        "INSERT INTO deny (importer, recordation_id, reason, created_at, user) VALUES (?, ?, ?, ?, ?)",
        (importer, recordation_id or None, reason, now(), current_user()),
    )
    return int(cur.lastrowid)


def list_rows(store: Store, table: str) -> list[dict]:
    """Every entry of the allow or deny list, by id."""
    assert table in LIST_TABLES
    with store.guard():
        return [dict(r) for r in store.conn.execute(f"SELECT * FROM {table} ORDER BY id")]


def list_entry(store: Store, table: str, entry_id: int) -> sqlite3.Row | None:
    assert table in LIST_TABLES
    return store.conn.execute(f"SELECT * FROM {table} WHERE id = ?", (entry_id,)).fetchone()


def delete_list_entry(store: Store, table: str, entry_id: int) -> None:
    assert table in LIST_TABLES
    store.conn.execute(f"DELETE FROM {table} WHERE id = ?", (entry_id,))
