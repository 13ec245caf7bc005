"""Per-recordation statistics, the notification export for a holder, and the data of a run report."""

from __future__ import annotations

from collections import Counter, defaultdict

from ..errors import NotFoundError, UsageError
from ..store import Store, cases, now
from .runs import HitFilter, LINE_FIELDS, get_run, hit_rows


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


# -- notification export -----------------------------------------------------------------

EXPORT_FIELDS = ("hit_id", "run_id", "status", "decided_at", "deadline", "recordation_id", "mark", "holder",
                 "matched_text", "score", "verdict", "declaration_id", "item_no", "date", "importer", "origin",
                 "hs_code", "description", "brand", "quantity", "value", "currency", "reasons")
REDACTED = "[withheld]"


def holder_names(store: Store, holder: str) -> list[str]:
    """Distinct holder names (of hits and recordations) that contain ``holder``, case-blind."""
    return sorted(cases.holder_names(store, holder))


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
    from .. import __version__

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
