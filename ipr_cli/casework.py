"""Casework on a store: runs, hits, decisions, allow and deny lists, stats and lint.

Every function takes an open :class:`~ipr_cli.store.Store`; writers call it inside
``store.write()`` (they open the transaction themselves where one call is one change).
No printing and no Typer here: the CLI picks the output.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from .errors import InputError, NotFoundError, UsageError
from .store import Store, current_user, now

STATUSES = ("open", "hold", "release", "false-positive")
DECISIONS = ("hold", "release", "false-positive")
_DECISION_ALIASES = {"fp": "false-positive", "false_positive": "false-positive", "falsepositive": "false-positive",
                     "held": "hold", "released": "release"}
# The SPEC's hit object, in order; saved hits add hit_id and status (and a little more).
SPEC_HIT_FIELDS = ("file", "row", "declaration_id", "item_no", "recordation_id", "mark", "holder",
                   "score", "verdict", "matched_text", "reasons")
HIT_FIELDS = ("hit_id", "run_id", *SPEC_HIT_FIELDS, "status", "decided_at", "decided_by", "deadline", "runs_seen",
              "last_seen_at")
LINE_FIELDS = ("declaration_id", "item_no", "date", "importer", "origin", "hs_code", "description",
               "brand", "quantity", "value", "currency", "exporter", "transport_document", "container",
               "port_of_loading")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def parse_date(value: str | None, option: str) -> dt.date | None:
    """An ISO date given on the command line, or None; UsageError naming the option."""
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option} {value!r} is not an ISO date (YYYY-MM-DD).") from None


# -- runs --------------------------------------------------------------------------------


def _run_dict(row) -> dict:
    out = dict(row)
    out["files"] = json.loads(out.get("files") or "[]")
    out["options"] = json.loads(out.get("options") or "{}")
    return out


def list_runs(store: Store, *, limit: int | None = None) -> list[dict]:
    """Runs, newest first, with how many of their hits are still open."""
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
        return [_run_dict(r) for r in store.conn.execute(sql, params)]


def resolve_run(store: Store, run: str) -> str:
    """A run id from an id, a unique prefix of one, or ``latest``."""
    with store.guard():
        if run.strip().lower() in ("latest", "last"):
            row = store.conn.execute("SELECT run_id FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1").fetchone()
            if row is None:
                raise NotFoundError("No runs in the store yet.", hint="Run `ipr check FILE` first.")
            return row[0]
        rows = store.conn.execute(
            "SELECT run_id FROM runs WHERE run_id = ? OR run_id LIKE ? ESCAPE '\\' ORDER BY run_id LIMIT 6",
            (run, _like_prefix(run)),
        ).fetchall()
    ids = [r[0] for r in rows]
    if run in ids:
        return run
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise NotFoundError(f"No run {run!r} in the store.", hint="`ipr runs list` shows the runs.")
    raise UsageError(f"Run {run!r} is ambiguous: " + ", ".join(ids[:5]) + ("…" if len(ids) > 5 else "") + ".",
                     hint="Give more of the run id.")


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def get_run(store: Store, run: str) -> dict:
    """One run with its files, options, counts and the status of its hits."""
    run_id = resolve_run(store, run)
    with store.guard():
        row = store.conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        statuses = dict(store.conn.execute(
            "SELECT h.status, COUNT(*) FROM hit_runs s JOIN hits h ON h.hit_id = s.hit_id WHERE s.run_id = ?"
            " GROUP BY h.status", (run_id,)
        ).fetchall())
    out = _run_dict(row)
    out["status_counts"] = {s: int(statuses.get(s, 0)) for s in STATUSES}
    return out


# -- hits --------------------------------------------------------------------------------


@dataclass
class HitFilter:
    run: str | None = None
    status: str | None = None
    holder: str | None = None
    recordation: str | None = None
    verdict: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    hit_ids: list[int] = field(default_factory=list)


def _status(value: str) -> str:
    name = _DECISION_ALIASES.get(value.strip().lower(), value.strip().lower())
    return name


def hit_rows(store: Store, flt: HitFilter | None = None) -> Iterator[dict]:
    """Saved hits matching ``flt``, oldest run first, then file, row and score."""
    flt = flt or HitFilter()
    where, params = [], []
    # With --run, a hit is shown as that run saw it (file, row, score); else as last seen.
    sighting = "NULL AS seen_file, NULL AS seen_row, NULL AS seen_score, NULL AS seen_verdict"
    join = ""
    join_params: list = []
    if flt.run:
        join = " JOIN hit_runs s ON s.hit_id = h.hit_id AND s.run_id = ?"
        join_params.append(resolve_run(store, flt.run))
        sighting = "s.file AS seen_file, s.row AS seen_row, s.score AS seen_score, s.verdict AS seen_verdict"
    if flt.status:
        status = _status(flt.status)
        if status == "decided":
            where.append("h.status != 'open'")
        elif status in STATUSES:
            where.append("h.status = ?")
            params.append(status)
        else:
            raise UsageError(f"Unknown status {flt.status!r}.", hint="Use open, hold, release, false-positive or decided.")
    if flt.holder:
        where.append("instr(lower(h.holder), lower(?)) > 0")
        params.append(flt.holder)
    if flt.recordation:
        where.append("h.recordation_id = ?")
        params.append(flt.recordation)
    if flt.verdict:
        verdict = flt.verdict.strip().lower()
        if verdict not in ("hit", "review"):
            raise UsageError(f"Unknown verdict {flt.verdict!r}.", hint="Use hit or review.")
        where.append("h.verdict = ?")
        params.append(verdict)
    # A line's date is its acceptance date, else the run's as-of date.
    day = "COALESCE(NULLIF(json_extract(h.line, '$.date'), ''), r.as_of)"
    if flt.since:
        where.append(f"{day} >= ?")
        params.append(flt.since.isoformat())
    if flt.until:
        where.append(f"{day} <= ?")
        params.append(flt.until.isoformat())
    if flt.hit_ids:
        where.append(f"h.hit_id IN ({', '.join('?' for _ in flt.hit_ids)})")
        params.extend(flt.hit_ids)
    sql = (
        "SELECT h.*, r.as_of AS run_as_of, r.started_at AS run_started_at,"
        " (SELECT COUNT(*) FROM hit_runs c WHERE c.hit_id = h.hit_id) AS runs_seen, "
        + sighting + " FROM hits h JOIN runs r ON r.run_id = h.run_id" + join
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY r.started_at, r.rowid, h.file, h.row, h.score DESC, h.hit_id"
    with store.guard():
        cursor = store.conn.execute(sql, join_params + params)
        for row in cursor:
            yield hit_dict(row)


def hit_dict(row) -> dict:
    """A stored hit as the SPEC's hit object plus hit_id, run_id, status and the decision."""
    r = dict(row)
    out = {"hit_id": r["hit_id"], "run_id": r["run_id"]}
    for name in SPEC_HIT_FIELDS:
        out[name] = r.get(name)
    out["reasons"] = json.loads(r.get("reasons") or "[]")
    if r.get("seen_file") is not None:
        out.update(file=r["seen_file"], row=r["seen_row"], score=r["seen_score"], verdict=r["seen_verdict"])
    out["status"] = r.get("status") or "open"
    out["decided_at"] = r.get("decided_at") or ""
    out["decided_by"] = r.get("decided_by") or ""
    out["decision_note"] = r.get("decision_note") or ""
    out["deadline"] = r.get("deadline") or ""
    out["runs_seen"] = int(r.get("runs_seen") or 0)
    out["last_seen_at"] = r.get("last_seen_at") or r.get("run_started_at") or ""
    out["jurisdiction"] = r.get("jurisdiction") or ""
    out["perishable"] = bool(r.get("perishable"))
    out["field"] = r.get("field") or "description"
    out["span"] = [r["span_start"], r["span_end"]] if r.get("span_start") is not None else None
    line = json.loads(r.get("line") or "{}")
    out["line"] = {k: line.get(k, "") for k in LINE_FIELDS}
    out["date"] = line.get("date") or r.get("run_as_of") or ""
    return out


MAX_ID = 2**63 - 1  # SQLite's largest integer: no stored id is larger


def parse_hit_id(value: str | int) -> int:
    text = str(value).strip().lstrip("#")
    if not (text.isascii() and text.isdigit()):
        raise UsageError(f"Hit id {value!r} is not a number.", hint="`ipr hits list` shows the hit ids.")
    if int(text) > MAX_ID:
        raise NotFoundError(f"No hit {text} in the store: ids go up to {MAX_ID}.", hint="`ipr hits list` shows the hit ids.")
    return int(text)


def get_hit(store: Store, hit: str | int) -> dict:
    """One hit with its line, its decisions (oldest first) and the recordation as stored now."""
    hit_id = parse_hit_id(hit)
    rows = list(hit_rows(store, HitFilter(hit_ids=[hit_id])))
    if not rows:
        raise NotFoundError(f"No hit {hit_id} in the store.", hint="`ipr hits list` shows the hit ids.")
    out = rows[0]
    with store.guard():
        out["decisions"] = [
            {k: d[k] for k in ("decision", "note", "at", "user", "jurisdiction", "perishable", "deadline")}
            for d in store.conn.execute("SELECT * FROM decisions WHERE hit_id = ? ORDER BY id", (hit_id,))
        ]
        allow = store.conn.execute("SELECT id FROM allow WHERE from_hit = ? ORDER BY id", (hit_id,)).fetchall()
    out["allow_entries"] = [a[0] for a in allow]
    out["recordation"] = store.get(out["recordation_id"]).to_record() if store.exists(out["recordation_id"]) else None
    return out


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
    from . import deadlines

    decision = normalise_decision(decision)
    note = (note or "").strip()
    hit_id = parse_hit_id(hit)
    if not note:
        raise UsageError("A decision needs a note (--note TEXT) saying why.")
    if allow and decision != "false-positive":
        raise UsageError("--allow goes only with a false-positive decision.")
    prof = deadlines.profile(jurisdiction)
    today = today or dt.date.today()
    due = deadlines.deadline(today, prof.code, perishable=perishable, extra_holidays=holidays) if decision == "hold" else None
    with store.write():
        row = store.conn.execute("SELECT * FROM hits WHERE hit_id = ?", (hit_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"No hit {hit_id} in the store.", hint="`ipr hits list` shows the hit ids.")
        previous = row["status"] or "open"
        last_note = row["decision_note"] or ""
        if previous != "open":
            if note == last_note:
                if decision == previous and not allow:
                    return DecisionResult(hit_id, decision, previous, changed=False)
                raise UsageError(
                    f"Hit {hit_id} was already decided {previous} with this note; "
                    "a changed decision needs a new note.",
                    hint="Say in --note why the decision changes.",
                )
        stamp, user = now(), current_user()
        before = {"status": previous, "note": last_note, "deadline": row["deadline"] or ""}
        after = {"status": decision, "note": note, "deadline": due.due.isoformat() if due else ""}
        if due:
            after["jurisdiction"] = prof.code
            after["perishable"] = perishable
        store.conn.execute(
            "INSERT INTO decisions (hit_id, decision, note, at, user, jurisdiction, perishable, deadline)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (hit_id, decision, note, stamp, user, prof.code if due else None, int(perishable) if due else None,
             after["deadline"] or None),
        )
        store.conn.execute(
            "UPDATE hits SET status = ?, decided_at = ?, decided_by = ?, decision_note = ?,"
            " jurisdiction = ?, perishable = ?, deadline = ? WHERE hit_id = ?",
            (decision, stamp, user, note, prof.code if due else None, int(perishable) if due else None,
             after["deadline"] or None, hit_id),
        )
        store.audit("decide" if previous == "open" else "redecide", "hit", str(hit_id), before, after, note)
        allow_id, existed = None, False
        if allow:
            line = json.loads(row["line"] or "{}")
            before_ids = {r[0] for r in store.conn.execute("SELECT id FROM allow")}
            allow_id = _add_allow(
                store, row["recordation_id"], line.get("importer") or "", line.get("origin") or "",
                allow_until, f"false positive on hit {hit_id}: {note}", from_hit=hit_id, reuse=True,
            )
            existed = allow_id in before_ids
    return DecisionResult(hit_id, decision, previous, changed=True, deadline=due, allow_id=allow_id,
                          allow_existed=existed)


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
    same = store.conn.execute(
        "SELECT id FROM allow WHERE recordation_id = ? AND importer = ? AND COALESCE(origin, '') = ?",
        (recordation_id, importer, origin),
    ).fetchone()
    if same is not None and reuse:
        return int(same[0])
    if same is not None:
        raise InputError(
            f"Importer {importer} is already allowed for {recordation_id}"
            + (f" from {origin}" if origin else "") + f" (allow entry {same[0]}).",
            hint=f"Remove it first (`ipr allow remove {same[0]}`) to change it.",
        )
    record = {"recordation_id": recordation_id, "importer": importer, "origin": origin,
              "until": until.isoformat() if until else "", "reason": reason}
    cur = store.conn.execute(
        "INSERT INTO allow (recordation_id, importer, origin, until, reason, created_at, user, from_hit)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (recordation_id, importer, origin, record["until"] or None, reason, now(), current_user(), from_hit),
    )
    entry_id = int(cur.lastrowid)
    store.audit("allow-add", "allow", str(entry_id), None, {**record, "from_hit": from_hit}, reason)
    return entry_id


def add_allow(store: Store, recordation_id: str, importer: str, *, origin: str = "", until: dt.date | None = None,
              reason: str) -> int:
    """Add an allow-list entry (its own transaction); returns its id."""
    with store.write():
        return _add_allow(store, recordation_id, importer, origin, until, reason)


def list_allow(store: Store, *, today: dt.date | None = None) -> list[dict]:
    today = today or dt.date.today()
    with store.guard():
        rows = [dict(r) for r in store.conn.execute("SELECT * FROM allow ORDER BY id")]
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
        row = store.conn.execute(f"SELECT * FROM {table} WHERE id = ?", (int(text),)).fetchone()
        if row is None:
            raise NotFoundError(f"No {table}-list entry {text}.", hint=f"`ipr {table} list` shows the ids.")
        before = dict(row)
        store.conn.execute(f"DELETE FROM {table} WHERE id = ?", (int(text),))
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
        same = store.conn.execute(
            "SELECT id FROM deny WHERE importer = ? AND COALESCE(recordation_id, '') = ?", (importer, recordation_id)
        ).fetchone()
        if same is not None:
            raise InputError(
                f"Importer {importer} is already denied" + (f" for {recordation_id}" if recordation_id else "")
                + f" (deny entry {same[0]}).",
                hint=f"Remove it first (`ipr deny remove {same[0]}`) to change it.",
            )
        cur = store.conn.execute(
            "INSERT INTO deny (importer, recordation_id, reason, created_at, user) VALUES (?, ?, ?, ?, ?)",
            (importer, recordation_id or None, reason, now(), current_user()),
        )
        entry_id = int(cur.lastrowid)
        store.audit("deny-add", "deny", str(entry_id), None,
                    {"importer": importer, "recordation_id": recordation_id, "reason": reason}, reason)
    return entry_id


def list_deny(store: Store) -> list[dict]:
    with store.guard():
        rows = [dict(r) for r in store.conn.execute("SELECT * FROM deny ORDER BY id")]
    for r in rows:
        r["recordation_id"] = r["recordation_id"] or ""
    return rows


def remove_deny(store: Store, entry_id: str | int, note: str = "") -> dict:
    """Delete a deny-list entry, keeping it in the audit trail."""
    return _remove(store, "deny", entry_id, note)


# -- stats -------------------------------------------------------------------------------


def stats(store: Store, flt: HitFilter | None = None) -> list[dict]:
    """Per recordation: hits flagged, open, held, released, false positives, FP rate.

    The false-positive rate is false positives over decided hits (None until one is
    decided).  Every stored recordation is listed, with zeros when never flagged.
    """
    counts: dict[str, Counter] = defaultdict(Counter)
    names: dict[str, tuple[str, str]] = {}
    for hit in hit_rows(store, flt):
        c = counts[hit["recordation_id"]]
        c["flagged"] += 1
        c[hit["status"]] += 1
        names.setdefault(hit["recordation_id"], (hit["mark"], hit["holder"]))
    for rec in store.recordations():
        names[rec.recordation_id] = (rec.mark, rec.holder)
        counts.setdefault(rec.recordation_id, Counter())
    out = []
    for rid in sorted(counts):
        c = counts[rid]
        decided = c["hold"] + c["release"] + c["false-positive"]
        out.append({
            "recordation_id": rid,
            "mark": names[rid][0],
            "holder": names[rid][1],
            "flagged": c["flagged"],
            "open": c["open"],
            "held": c["hold"],
            "released": c["release"],
            "false_positives": c["false-positive"],
            "fp_rate": round(c["false-positive"] / decided, 3) if decided else None,
        })
    return out


# -- lint --------------------------------------------------------------------------------


@dataclass
class Finding:
    recordation_id: str
    mark: str
    holder: str
    problem: str  # expiring, expired, no-contact, no-hs-scope, short-mark, common-word, collision
    detail: str

    def as_dict(self) -> dict:
        return {"recordation_id": self.recordation_id, "mark": self.mark, "holder": self.holder,
                "problem": self.problem, "detail": self.detail}


NEAR_MIN = 6


def _near(key: str, by_length: dict) -> Iterator[tuple[str, str, str]]:
    """Forms whose look-alike key is exactly one edit from ``key`` (same length ± 1)."""
    if len(key) < NEAR_MIN:
        return
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    for length in (len(key) - 1, len(key), len(key) + 1):
        bucket = by_length.get(length)
        if not bucket:
            continue
        keys = [k for k, _ in bucket]
        for other, distance, index in process.extract(key, keys, scorer=Levenshtein.distance, score_cutoff=1,
                                                      limit=None):
            if other != key and distance <= 1:
                yield from bucket[index][1]


LINT_PROBLEMS = ("expired", "expiring", "no-contact", "no-hs-scope", "short-mark", "common-word", "collision")


def lint(store: Store, *, days: int = 90, today: dt.date | None = None) -> list[Finding]:
    """Recordations that weaken screening, one finding per problem, in id then problem order."""
    from .matching.index import is_common, is_short
    from .normalize import has_cjk, plain, skeleton

    today = today or dt.date.today()
    recs = store.recordations()
    findings: list[Finding] = []

    def add(rec, problem: str, detail: str) -> None:
        findings.append(Finding(rec.recordation_id, rec.mark, rec.holder, problem, detail))

    # Every form a recordation protects, by look-alike key, to find other holders' marks.
    forms: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for rec in recs:
        for form in (rec.mark, *rec.aliases):
            key = skeleton(form)
            if key:
                forms[key].append((rec.recordation_id, rec.holder, form))

    # Near misses (one edit apart) only for keys of NEAR_MIN letters or more: shorter
    # marks are one letter from too many others to be worth a finding.
    by_length: dict[int, list[tuple[str, list[tuple[str, str, str]]]]] = defaultdict(list)
    for key, owners in forms.items():
        if len(key) >= NEAR_MIN:
            by_length[len(key)].append((key, owners))

    for rec in recs:
        active = rec.status.value == "active"
        if active and rec.valid_until < today:
            add(rec, "expired", f"valid until {rec.valid_until.isoformat()} but still marked active")
        elif active and rec.valid_until <= today + dt.timedelta(days=days):
            left = (rec.valid_until - today).days
            add(rec, "expiring", f"valid until {rec.valid_until.isoformat()} ({left} days left); ask the holder to renew")
        if not rec.contact.strip():
            add(rec, "no-contact", "no contact point: a hold cannot be notified to the holder")
        if not rec.hs_scope:
            add(rec, "no-hs-scope", "no HS scope: every kind of goods is screened, which raises false positives")
        # What the matcher calls short and common (matching.index), so that the warning
        # says what screening does.
        key = plain(rec.mark) if has_cjk(rec.mark) else skeleton(rec.mark)
        if key and is_short(key):
            add(rec, "short-mark", f"mark {rec.mark!r} has {len(key)} characters: flags need corroboration")
        elif key and not has_cjk(rec.mark) and is_common(rec.mark):
            add(rec, "common-word", f"mark {rec.mark!r} is made of dictionary words: flags need corroboration")
        seen: set[str] = set()
        lookups = (
            ("looks the same as", lambda key: forms.get(key, [])),
            ("is one letter from", lambda key: _near(key, by_length)),
        )
        for relation, lookup in lookups:  # identical look-alikes first, then near ones
            for form in (rec.mark, *rec.aliases):
                for other_id, other_holder, other_form in lookup(skeleton(form)):
                    if other_id == rec.recordation_id or other_holder.casefold() == rec.holder.casefold():
                        continue
                    if other_id in seen:
                        continue
                    seen.add(other_id)
                    add(rec, "collision", f"{form!r} {relation} {other_form!r} of {other_id} ({other_holder})")
    order = {p: i for i, p in enumerate(LINT_PROBLEMS)}
    findings.sort(key=lambda f: (f.recordation_id, order.get(f.problem, 99), f.detail))
    return findings


# -- notification export -----------------------------------------------------------------

EXPORT_FIELDS = ("hit_id", "run_id", "status", "decided_at", "deadline", "recordation_id", "mark", "holder",
                 "matched_text", "score", "verdict", "declaration_id", "item_no", "date", "importer", "origin",
                 "hs_code", "description", "brand", "quantity", "value", "currency", "reasons")
REDACTED = "[withheld]"


def holder_names(store: Store, holder: str) -> list[str]:
    """Distinct holder names (of hits and recordations) that contain ``holder``, case-blind."""
    with store.guard():
        names = {r[0] for r in store.conn.execute(
            "SELECT DISTINCT holder FROM hits WHERE instr(lower(holder), lower(?)) > 0"
            " UNION SELECT DISTINCT holder FROM recordations WHERE instr(lower(holder), lower(?)) > 0",
            (holder, holder),
        )}
    return sorted(names)


def export_for_holder(store: Store, holder: str, *, status: str | None = "hold", run: str | None = None,
                      redact_importer: bool = False) -> tuple[str, list[dict]]:
    """The notification data for one rights holder: the holder's exact name and its hits."""
    names = holder_names(store, holder)
    exact = [n for n in names if n.casefold() == holder.casefold()]
    if exact:
        names = exact
    if not names:
        raise NotFoundError(f"No rights holder named like {holder!r}.",
                            hint="`ipr recordation list` shows the holders' names.")
    if len(names) > 1:
        raise UsageError(f"Holder {holder!r} matches several: " + "; ".join(names) + ".",
                         hint="Give the full name of one holder.")
    name = names[0]
    flt = HitFilter(run=run, status=None if status in (None, "", "all", "any") else status)
    rows = []
    for hit in hit_rows(store, flt):
        if hit["holder"] != name:
            continue
        line = hit["line"]
        row = {k: hit.get(k, "") for k in EXPORT_FIELDS if k in hit}
        row.update({k: line.get(k, "") for k in LINE_FIELDS})
        row["date"] = hit["date"]
        if redact_importer:
            row["importer"] = REDACTED if line.get("importer") else ""
        rows.append({k: row.get(k, "") for k in EXPORT_FIELDS})
    return name, rows


# -- report data -------------------------------------------------------------------------


def report_data(store: Store, run: str) -> dict:
    """Everything ``ipr report`` shows for one run: totals, breakdowns and the hits."""
    from . import __version__

    info = get_run(store, run)
    hits = list(hit_rows(store, HitFilter(run=info["run_id"])))
    lines = {(h["file"], h["row"]) for h in hits}

    def tally(key) -> list[dict]:
        flags: dict[str, Counter] = defaultdict(Counter)
        for h in hits:
            k = key(h)
            flags[k]["flags"] += 1
            flags[k][h["verdict"]] += 1
        line_sets: dict[str, set] = defaultdict(set)
        for h in hits:
            line_sets[key(h)].add((h["file"], h["row"]))
        out = [{"name": k, "flags": c["flags"], "lines": len(line_sets[k]), "hit": c["hit"], "review": c["review"]}
               for k, c in flags.items()]
        out.sort(key=lambda r: (-r["flags"], r["name"]))
        return out

    by_recordation = tally(lambda h: h["recordation_id"])
    marks = {h["recordation_id"]: (h["mark"], h["holder"]) for h in hits}
    for r in by_recordation:
        r["mark"], r["holder"] = marks[r["name"]]
    return {
        "schema_version": 1,
        "ipr_version": __version__,
        "generated_at": now(),
        "run": info,
        "totals": {
            "lines_read": info.get("lines_read") or 0,
            "lines_flagged": len(lines),
            "flags": len(hits),
            "hit": sum(1 for h in hits if h["verdict"] == "hit"),
            "review": sum(1 for h in hits if h["verdict"] == "review"),
            "suppressed": info.get("suppressed") or 0,
            "skipped": info.get("skipped") or 0,
            **{f"status_{k.replace('-', '_')}": v for k, v in info["status_counts"].items()},
        },
        "by_holder": tally(lambda h: h["holder"] or "(unknown)"),
        "by_recordation": by_recordation,
        "by_origin": tally(lambda h: h["line"].get("origin") or "(none)"),
        "by_verdict": tally(lambda h: h["verdict"]),
        "by_status": tally(lambda h: h["status"]),
        "hits": hits,
    }
