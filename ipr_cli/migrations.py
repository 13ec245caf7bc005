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
