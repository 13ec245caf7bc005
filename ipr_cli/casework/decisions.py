"""Decisions on hits, and the allow and deny lists: what may be decided, and by whom."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from ..errors import InputError, NotFoundError, UsageError
from ..store import Store, cases, current_user, now
from .runs import DECISIONS, MAX_ID, _COUNTRY, _status, parse_hit_id


# -- decisions ---------------------------------------------------------------------------


@dataclass
class DecisionResult:
    hit_id: int
    decision: str
    previous: str
    changed: bool
    deadline: object = None  # deadlines.Deadline for a hold
    allow_id: int | None = None
    allow_existed: bool = False


def normalise_decision(value: str) -> str:
    name = _status(value)
    if name not in DECISIONS:
        raise UsageError(f"Unknown decision {value!r}.", hint="Decide hold, release or false-positive.")
    return name


def decide(
    store: Store,
    hit: str | int,
    decision: str,
    note: str,
    *,
    allow: bool = False,
    allow_until: dt.date | None = None,
    perishable: bool = False,
    jurisdiction: str | None = None,
    today: dt.date | None = None,
    holidays: set[dt.date] | None = None,
) -> DecisionResult:
    """Record a decision on a hit, audited with the OS user (opens its own transaction).

    Every decision needs a note; changing an earlier decision needs a note other than
    the one given before.  A hold computes the holder's deadline.  ``allow`` (only with
    false-positive) also adds an allow-list entry for the hit's recordation, importer
    and origin, in the same transaction.
    """
    from .. import deadlines

    decision, note, hit_id = _checked_decision(hit, decision, note, allow)
    prof = deadlines.profile(jurisdiction)
    today = today or dt.date.today()
    due = deadlines.deadline(today, prof.code, perishable=perishable, extra_holidays=holidays) if decision == "hold" else None
    with store.write():
        row = cases.hit_row(store, hit_id)
        if row is None:
            raise NotFoundError(f"No hit {hit_id} in the store.", hint="`ipr hits list` shows the hit ids.")
        previous = row["status"] or "open"
        last_note = row["decision_note"] or ""
        if previous != "open" and note == last_note:
            return _repeated_decision(hit_id, decision, previous, allow)
        before = {"status": previous, "note": last_note, "deadline": row["deadline"] or ""}
        after = {"status": decision, "note": note, "deadline": due.due.isoformat() if due else ""}
        if due:
            after["jurisdiction"] = prof.code
            after["perishable"] = perishable
        cases.record_decision(store, hit_id, decision, note, now(), current_user(),
                              prof.code if due else None, int(perishable) if due else None, after["deadline"] or None)
        store.audit("decide" if previous == "open" else "redecide", "hit", str(hit_id), before, after, note)
        allow_id, existed = _allow_from_hit(store, row, hit_id, note, allow_until) if allow else (None, False)
    return DecisionResult(hit_id, decision, previous, changed=True, deadline=due, allow_id=allow_id,
                          allow_existed=existed)


def _checked_decision(hit: str | int, decision: str, note: str, allow: bool) -> tuple[str, str, int]:
    """The decision's name, its note and the hit id, once the arguments make sense."""
    decision = normalise_decision(decision)
    note = (note or "").strip()
    hit_id = parse_hit_id(hit)
    if not note:
        raise UsageError("A decision needs a note (--note TEXT) saying why.")
    if allow and decision != "false-positive":
        raise UsageError("--allow goes only with a false-positive decision.")
    return decision, note, hit_id


def _repeated_decision(hit_id: int, decision: str, previous: str, allow: bool) -> DecisionResult:
    """A decided hit given the same note again: nothing to do if nothing changes, else refused."""
    if decision == previous and not allow:
        return DecisionResult(hit_id, decision, previous, changed=False)
    raise UsageError(
        f"Hit {hit_id} was already decided {previous} with this note; "
        "a changed decision needs a new note.",
        hint="Say in --note why the decision changes.",
    )


def _allow_from_hit(store: Store, row, hit_id: int, note: str, until: dt.date | None) -> tuple[int, bool]:
    """The allow entry a false-positive decision adds (or finds), and whether it existed."""
    line = json.loads(row["line"] or "{}")
    before_ids = cases.allow_ids(store)
    allow_id = _add_allow(
        store, row["recordation_id"], line.get("importer") or "", line.get("origin") or "",
        until, f"false positive on hit {hit_id}: {note}", from_hit=hit_id, reuse=True,
    )
    return allow_id, allow_id in before_ids


# -- allow and deny lists ----------------------------------------------------------------


def _clean_origin(origin: str) -> str:
    origin = (origin or "").strip().upper()
    if origin and not _COUNTRY.match(origin):
        raise UsageError(f"Origin {origin!r} is not an ISO 3166-1 alpha-2 country code (e.g. CN).")
    return origin


def _add_allow(store: Store, recordation_id: str, importer: str, origin: str, until: dt.date | None,
               reason: str, *, from_hit: int | None = None, reuse: bool = False) -> int:
    importer = (importer or "").strip()
    reason = (reason or "").strip()
    origin = _clean_origin(origin)
    if not importer:
        raise UsageError(
            "An allow entry needs an importer" + (f", and the line of hit {from_hit} names none." if from_hit else "."),
            hint="Add one with `ipr allow add --recordation ID --importer X --reason TEXT`.",
        )
    if not reason:
        raise UsageError("An allow entry needs a reason (--reason TEXT).")
    if not store.exists(recordation_id):
        store.get(recordation_id)  # raises NotFoundError with a hint
    same = cases.same_allow(store, recordation_id, importer, origin)
    if same is not None and reuse:
        return same
    if same is not None:
        raise InputError(
            f"Importer {importer} is already allowed for {recordation_id}"
            + (f" from {origin}" if origin else "") + f" (allow entry {same}).",
            hint=f"Remove it first (`ipr allow remove {same}`) to change it.",
        )
    record = {"recordation_id": recordation_id, "importer": importer, "origin": origin,
              "until": until.isoformat() if until else "", "reason": reason}
    entry_id = cases.insert_allow(store, recordation_id, importer, origin, record["until"] or None, reason, from_hit)
    store.audit("allow-add", "allow", str(entry_id), None, {**record, "from_hit": from_hit}, reason)
    return entry_id


def add_allow(store: Store, recordation_id: str, importer: str, *, origin: str = "", until: dt.date | None = None,
              reason: str) -> int:
    """Add an allow-list entry (its own transaction); returns its id."""
    with store.write():
        return _add_allow(store, recordation_id, importer, origin, until, reason)


def list_allow(store: Store, *, today: dt.date | None = None) -> list[dict]:
    today = today or dt.date.today()
    rows = cases.list_rows(store, "allow")
    for r in rows:
        r["origin"] = r["origin"] or ""
        r["until"] = r["until"] or ""
        r["from_hit"] = r["from_hit"] if r["from_hit"] is not None else ""
        r["active"] = not r["until"] or r["until"] >= today.isoformat()
    return rows


def _remove(store: Store, table: str, entry_id: str | int, note: str) -> dict:
    text = str(entry_id).strip()
    if not (text.isascii() and text.isdigit()):
        raise UsageError(f"Entry id {entry_id!r} is not a number.", hint=f"`ipr {table} list` shows the ids.")
    if int(text) > MAX_ID:
        raise NotFoundError(f"No {table}-list entry {text}: ids go up to {MAX_ID}.", hint=f"`ipr {table} list` shows the ids.")
    with store.write():
        row = cases.list_entry(store, table, int(text))
        if row is None:
            raise NotFoundError(f"No {table}-list entry {text}.", hint=f"`ipr {table} list` shows the ids.")
        before = dict(row)
        cases.delete_list_entry(store, table, int(text))
        store.audit(f"{table}-remove", table, text, before, None, note)
    return before


def remove_allow(store: Store, entry_id: str | int, note: str = "") -> dict:
    """Delete an allow-list entry, keeping it in the audit trail."""
    return _remove(store, "allow", entry_id, note)


def add_deny(store: Store, importer: str, *, recordation_id: str = "", reason: str) -> int:
    """Add a deny-list entry (its own transaction); an empty recordation means every one."""
    importer = (importer or "").strip()
    reason = (reason or "").strip()
    recordation_id = (recordation_id or "").strip()
    if not importer:
        raise UsageError("A deny entry needs an importer (--importer X).")
    if not reason:
        raise UsageError("A deny entry needs a reason (--reason TEXT): it is shown with every flag it raises.")
    with store.write():
        if recordation_id:
            store.get(recordation_id)
        same = cases.same_deny(store, importer, recordation_id)
        if same is not None:
            raise InputError(
                f"Importer {importer} is already denied" + (f" for {recordation_id}" if recordation_id else "")
                + f" (deny entry {same}).",
                hint=f"Remove it first (`ipr deny remove {same}`) to change it.",
            )
        entry_id = cases.insert_deny(store, importer, recordation_id, reason)
        store.audit("deny-add", "deny", str(entry_id), None,
                    {"importer": importer, "recordation_id": recordation_id, "reason": reason}, reason)
    return entry_id


def list_deny(store: Store) -> list[dict]:
    rows = cases.list_rows(store, "deny")
    for r in rows:
        r["recordation_id"] = r["recordation_id"] or ""
    return rows


def remove_deny(store: Store, entry_id: str | int, note: str = "") -> dict:
    """Delete a deny-list entry, keeping it in the audit trail."""
    return _remove(store, "deny", entry_id, note)


