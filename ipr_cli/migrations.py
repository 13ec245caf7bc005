"""Numbered schema steps, applied on every open.  Never edit an applied step: add one."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("ipr")


@migrations(name="m001_recordations_and_audit")
def m001(db: Database) -> None:
    db["recordations"].create(
        {
            "recordation_id": str,
            "mark": str,
            "holder": str,
            "aliases": str,
            "hs_scope": str,
            "nice_classes": str,
            "registration_no": str,
            "valid_from": str,
            "valid_until": str,
            "status": str,
            "authorized_importers": str,
            "authorized_origins": str,
            "min_unit_value": str,
            "currency": str,
            "contact": str,
            "notes": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="recordation_id",
        not_null={"mark", "holder", "valid_until", "status"},
    )
    db["recordations"].create_index(["holder"])
    db["audit"].create(
        {
            "id": int,
            "at": str,
            "user": str,
            "action": str,
            "entity": str,
            "entity_id": str,
            "before": str,
            "after": str,
            "note": str,
        },
        pk="id",
    )
    db["audit"].create_index(["entity", "entity_id"])
    # A counter bumped by every change to recordations: runs record which revision they used.
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["meta"].insert({"key": "recordations_revision", "value": "0"})


@migrations(name="m002_runs_hits_decisions_lists")
def m002(db: Database) -> None:
    db["runs"].create(
        {
            "run_id": str,
            "started_at": str,
            "finished_at": str,
            "user": str,
            "as_of": str,
            "files": str,  # JSON: [{"path", "sha256", "lines"}]
            "options": str,  # JSON
            "recordations_revision": int,
            "lines_read": int,
            "lines_flagged": int,
            "hits": int,
            "reviews": int,
            "suppressed": int,
            "skipped": int,
            "duration_s": float,
        },
        pk="run_id",
    )
    db["hits"].create(
        {
            "hit_id": int,
            "run_id": str,
            "file": str,
            "row": int,
            "declaration_id": str,
            "item_no": str,
            "recordation_id": str,
            "mark": str,
            "holder": str,
            "score": int,
            "verdict": str,
            "matched_text": str,
            "reasons": str,  # JSON list
            "field": str,
            "span_start": int,
            "span_end": int,
            "line": str,  # JSON: the declaration line as read
            "status": str,  # open, hold, release, false-positive
            "decided_at": str,
            "decided_by": str,
            "decision_note": str,
        },
        pk="hit_id",
        foreign_keys=[("run_id", "runs", "run_id")],
        not_null={"run_id", "status"},
    )
    db["hits"].create_index(["run_id"])
    db["hits"].create_index(["recordation_id"])
    db["hits"].create_index(["status"])
    db["decisions"].create(
        {"id": int, "hit_id": int, "decision": str, "note": str, "at": str, "user": str},
        pk="id",
        foreign_keys=[("hit_id", "hits", "hit_id")],
    )
    db["allow"].create(
        {
            "id": int,
            "recordation_id": str,
            "importer": str,
            "origin": str,
            "until": str,
            "reason": str,
            "created_at": str,
            "user": str,
            "from_hit": int,
        },
        pk="id",
    )
    db["deny"].create(
        {"id": int, "importer": str, "recordation_id": str, "reason": str, "created_at": str, "user": str},
        pk="id",
    )


@migrations(name="m003_casework_deadlines")
def m003(db: Database) -> None:
    # A hold starts the holder's clock: keep the deadline with the decision and the hit.
    for table in ("hits", "decisions"):
        db[table].add_column("jurisdiction", str)
        db[table].add_column("perishable", int)
        db[table].add_column("deadline", str)
    db["hits"].create_index(["holder"])
    db["decisions"].create_index(["hit_id"])
    db["allow"].create_index(["recordation_id", "importer"])
    db["deny"].create_index(["importer"])


def line_key(declaration_id: str | None, item_no: str | None, file_sha256: str | None, row: int | None) -> str:
    """What makes two flagged lines the same line across runs: the customs declaration
    id and item when the line has an id, else the file's SHA-256 and the row in it."""
    if (declaration_id or "").strip():
        return f"decl:{declaration_id.strip()}/{(item_no or '').strip()}"
    return f"file:{file_sha256 or ''}:{row}"


@migrations(name="m015_hit_cases")
def m015_hit_cases(db: Database) -> None:
    # A hit is one case however many runs see its line: the runs that saw it go to
    # hit_runs, and the duplicates earlier versions queued are merged into the oldest
    # (keeping the latest decision and every decision's history).
    import json

    db["hits"].add_column("line_key", str)
    db["hits"].add_column("last_seen_at", str)
    db["hit_runs"].create(
        {"hit_id": int, "run_id": str, "file": str, "row": int, "score": int, "verdict": str, "seen_at": str},
        pk=("hit_id", "run_id"),
        foreign_keys=[("hit_id", "hits", "hit_id"), ("run_id", "runs", "run_id")],
    )
    db["hit_runs"].create_index(["run_id"])
    digests: dict[str, dict[str, str]] = {}
    for run_id, files in db.execute("SELECT run_id, files FROM runs").fetchall():
        try:
            digests[run_id] = {f.get("path"): f.get("sha256") or "" for f in json.loads(files or "[]")}
        except (ValueError, AttributeError):
            digests[run_id] = {}
    rows = db.execute(
        "SELECT h.hit_id, h.run_id, h.file, h.row, h.declaration_id, h.item_no, h.recordation_id, h.score,"
        " h.verdict, h.status, h.decided_at, r.started_at FROM hits h JOIN runs r ON r.run_id = h.run_id"
        " ORDER BY r.started_at, r.rowid, h.hit_id"
    ).fetchall()
    cases: dict[tuple[str, str], list] = {}
    for row in rows:
        (hit_id, run_id, file, row_no, decl, item, rid, score, verdict, status, decided_at, started) = row
        key = line_key(decl, item, digests.get(run_id, {}).get(file), row_no)
        db.execute("UPDATE hits SET line_key = ?, last_seen_at = ? WHERE hit_id = ?", (key, started, hit_id))
        db.execute(
            "INSERT OR IGNORE INTO hit_runs (hit_id, run_id, file, row, score, verdict, seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", (hit_id, run_id, file, row_no, score, verdict, started))
        cases.setdefault((key, rid), []).append(row)
    for same in cases.values():
        if len(same) < 2:
            continue
        keep = same[0][0]
        decided = [r for r in same if r[9] and r[9] != "open"]
        latest = max(decided, key=lambda r: r[10] or "") if decided else None
        for row in same[1:]:
            gone = row[0]
            db.execute("UPDATE OR IGNORE hit_runs SET hit_id = ? WHERE hit_id = ?", (keep, gone))
            db.execute("DELETE FROM hit_runs WHERE hit_id = ?", (gone,))
            db.execute("UPDATE decisions SET hit_id = ? WHERE hit_id = ?", (keep, gone))
            db.execute("UPDATE allow SET from_hit = ? WHERE from_hit = ?", (keep, gone))
        if latest is not None and latest[0] != keep:
            db.execute(
                "UPDATE hits SET (status, decided_at, decided_by, decision_note, jurisdiction, perishable, deadline)"
                " = (SELECT status, decided_at, decided_by, decision_note, jurisdiction, perishable, deadline"
                " FROM hits WHERE hit_id = ?) WHERE hit_id = ?", (latest[0], keep))
        last = same[-1]
        db.execute("UPDATE hits SET last_seen_at = ?, file = ?, row = ?, score = ?, verdict = ? WHERE hit_id = ?",
                   (last[11], last[2], last[3], last[7], last[8], keep))
        db.execute(
            f"DELETE FROM hits WHERE hit_id IN ({', '.join('?' for _ in same[1:])})", [r[0] for r in same[1:]])
    db["hits"].create_index(["line_key", "recordation_id"])


@migrations(name="m015_datasette_types")
def m015_datasette_types(db: Database) -> None:
    # Browsable as typed data (Datasette, sqlite-utils): lists are JSON arrays in every
    # table, min_unit_value is a number, and a hit links to its recordation.
    import json

    from .models import LIST_FIELDS

    lists = sorted(LIST_FIELDS)
    for row in db.execute(f"SELECT recordation_id, {', '.join(lists)} FROM recordations").fetchall():
        values = []
        for name, text in zip(lists, row[1:]):
            text = (text or "").strip()
            try:  # already a JSON array (written by a newer ipr, or copied in): kept as it is
                items = json.loads(text) if text.startswith("[") else None
            except ValueError:
                items = None
            if not isinstance(items, list):
                items = [part.strip() for part in text.split(";") if part.strip()]
            items = [str(i).strip() if not isinstance(i, int) else i for i in items]
            if name == "nice_classes":
                items = [int(i) if isinstance(i, str) and i.isascii() and i.isdigit() else i for i in items]
            values.append(json.dumps(items, ensure_ascii=False))
        db.execute(f"UPDATE recordations SET {', '.join(f'{n} = ?' for n in lists)} WHERE recordation_id = ?",
                   [*values, row[0]])
    db.execute("UPDATE recordations SET min_unit_value = NULL WHERE TRIM(COALESCE(min_unit_value, '')) = ''")
    db["recordations"].transform(types={"min_unit_value": float})
    db["hits"].transform(add_foreign_keys=[("recordation_id", "recordations", "recordation_id")])


@migrations(name="m013_exchange")
def m013_exchange(db: Database) -> None:
    # This administration's signing key (one per store; the store file is owner-only).
    db["exchange_identity"].create(
        {"admin": str, "private_key": str, "public_key": str, "key_id": str, "created_at": str}, pk="admin"
    )
    # Partners: their trusted public key, and the secret that keys the importer
    # pseudonyms sent to them (made on the first export, never sent).
    db["exchange_partners"].create(
        {"code": str, "public_key": str, "key_id": str, "trusted_at": str, "pseudonym_secret": str,
         "created_at": str},
        pk="code",
    )
    db["exchange_packages"].create(
        {"package_id": str, "direction": str, "partner": str, "created": str, "at": str, "user": str,
         "since": str, "outcomes": int, "recordations": int, "sha256": str, "file": str},
        pk="package_id",
    )
    db["exchange_packages"].create_index(["direction", "partner"])
    # What partners sent, kept apart from this administration's own recordations and hits.
    db["partner_outcomes"].create(
        {"partner": str, "outcome_id": str, "package_id": str, "received_at": str, "date": str,
         "declaration_date": str, "office": str, "hs_code": str, "description": str, "quantity": str,
         "value": str, "currency": str, "origin": str, "importer": str, "exporter": str,
         "transport_document": str, "container": str, "port_of_loading": str, "mark": str,
         "recordation_id": str, "holder": str, "decision": str, "mark_key": str},
        pk=("partner", "outcome_id"),
    )
    db["partner_outcomes"].create_index(["mark_key", "decision"])
    db["partner_recordations"].create(
        {"partner": str, "recordation_id": str, "package_id": str, "received_at": str, "record": str},
        pk=("partner", "recordation_id"),
    )
