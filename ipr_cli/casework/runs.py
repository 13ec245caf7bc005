"""Runs and saved hits: listing, resolving an id or prefix, filtering, one hit with its history."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .. import models
from ..errors import NotFoundError, UsageError
from ..store import Store, cases


STATUSES = ("open", "hold", "release", "false-positive")
DECISIONS = ("hold", "release", "false-positive")
_DECISION_ALIASES = {"fp": "false-positive", "false_positive": "false-positive", "falsepositive": "false-positive",
                     "held": "hold", "released": "release"}
# The SPEC's hit object, in order; saved hits add hit_id and status (and a little more).
SPEC_HIT_FIELDS = models.HIT_FIELDS
HIT_FIELDS = ("hit_id", "run_id", *SPEC_HIT_FIELDS, "status", "decided_at", "decided_by", "deadline", "runs_seen",
              "last_seen_at")
LINE_FIELDS = models.DECLARATION_FIELDS
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
    return [_run_dict(r) for r in cases.run_rows(store, limit)]


def resolve_run(store: Store, run: str) -> str:
    """A run id from an id, a unique prefix of one, or ``latest``."""
    if run.strip().lower() in ("latest", "last"):
        latest = cases.latest_run_id(store)
        if latest is None:
            raise NotFoundError("No runs in the store yet.", hint="Run `ipr check FILE` first.")
        return latest
    ids = cases.run_ids_like(store, run)
    if run in ids:
        return run
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise NotFoundError(f"No run {run!r} in the store.", hint="`ipr runs list` shows the runs.")
    raise UsageError(f"Run {run!r} is ambiguous: " + ", ".join(ids[:5]) + ("…" if len(ids) > 5 else "") + ".",
                     hint="Give more of the run id.")


def get_run(store: Store, run: str) -> dict:
    """One run with its files, options, counts and the status of its hits."""
    run_id = resolve_run(store, run)
    row, statuses = cases.run_row(store, run_id)
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
    # With --run, a hit is shown as that run saw it (file, row, score); else as last seen.
    run_id = resolve_run(store, flt.run) if flt.run else None
    status = _status(flt.status) if flt.status else None
    if flt.status and status != "decided" and status not in STATUSES:
        raise UsageError(f"Unknown status {flt.status!r}.", hint="Use open, hold, release, false-positive or decided.")
    verdict = flt.verdict.strip().lower() if flt.verdict else None
    if flt.verdict and verdict not in ("hit", "review"):
        raise UsageError(f"Unknown verdict {flt.verdict!r}.", hint="Use hit or review.")
    rows = cases.hit_query_rows(store, run_id=run_id, status=status, holder=flt.holder, recordation=flt.recordation,
                                verdict=verdict, since=flt.since, until=flt.until, hit_ids=flt.hit_ids or ())
    for row in rows:
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
    out["decisions"] = [
        {k: d[k] for k in ("decision", "note", "at", "user", "jurisdiction", "perishable", "deadline")}
        for d in cases.hit_decisions(store, hit_id)
    ]
    out["allow_entries"] = cases.allow_ids_from_hit(store, hit_id)
    out["recordation"] = store.get(out["recordation_id"]).to_record() if store.exists(out["recordation_id"]) else None
    return out


