#!/usr/bin/env python3
"""Screen a labelled set with the matcher and score it.

usage: python benchmarks/matcher_quality.py SETDIR [--out OUT.json]

Loads SETDIR/recordations.csv (a minimal loader, not the validating importer),
screens SETDIR/declarations.csv, writes the `ipr check --format json` object and runs
the set's scorer (tests/data/eval-dev/score.py), then prints timing figures.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal, InvalidOperation

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from ipr_cli.matching import Matcher  # noqa: E402
from ipr_cli.models import DeclarationLine, Recordation, Status  # noqa: E402

# The development set's own scorer (its copy in tests/data; $IPR_SCORER for another).
SCORER = os.environ.get("IPR_SCORER") or os.path.join(os.path.dirname(__file__), "..", "tests", "data", "eval-dev",
                                                       "score.py")


def _list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(";") if v.strip())


def _date(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _dec(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def load_recordations(path: str) -> list[Recordation]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [
            Recordation(
                recordation_id=r["recordation_id"], mark=r["mark"], holder=r["holder"],
                valid_until=dt.date.fromisoformat(r["valid_until"]),
                aliases=_list(r.get("aliases", "")), hs_scope=_list(r.get("hs_scope", "")),
                nice_classes=tuple(int(x) for x in _list(r.get("nice_classes", ""))),
                registration_no=r.get("registration_no", ""), valid_from=_date(r.get("valid_from", "")),
                status=Status(r.get("status") or "active"),
                authorized_importers=_list(r.get("authorized_importers", "")),
                authorized_origins=_list(r.get("authorized_origins", "")),
                min_unit_value=_dec(r.get("min_unit_value", "")), currency=r.get("currency", ""),
                contact=r.get("contact", ""), notes=r.get("notes", ""),
            )
            for r in csv.DictReader(f)
        ]


def load_lines(path: str) -> list[DeclarationLine]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [
            DeclarationLine(
                file="declarations.csv", row=i, description=r.get("description", ""),
                declaration_id=r.get("declaration_id", ""), item_no=r.get("item_no", ""),
                date=_date(r.get("date", "")), importer=r.get("importer", ""), origin=r.get("origin", ""),
                hs_code=r.get("hs_code", ""), brand=r.get("brand", ""), quantity=_dec(r.get("quantity", "")),
                value=_dec(r.get("value", "")), currency=r.get("currency", ""),
            )
            for i, r in enumerate(csv.DictReader(f), start=1)
        ]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("setdir")
    ap.add_argument("--out")
    ap.add_argument("--repeat", type=int, default=1, help="screen the lines this many times (speed)")
    args = ap.parse_args(argv)
    recs = load_recordations(os.path.join(args.setdir, "recordations.csv"))
    lines = load_lines(os.path.join(args.setdir, "declarations.csv"))
    t0 = time.perf_counter()
    matcher = Matcher(recs)
    t1 = time.perf_counter()
    c1 = time.process_time()
    today = dt.date.today()
    hits = []
    flagged = set()
    for line in lines:
        s = matcher.screen(line, today)
        hits.extend(s.hits)
        if s.hits:
            flagged.add(line.row)
    t2 = time.perf_counter()
    c2 = time.process_time()
    for _ in range(args.repeat - 1):
        for line in lines:
            matcher.screen(line, today)
    t3 = time.perf_counter()
    c3 = time.process_time()
    out = {
        "schema_version": 1, "ipr_version": "bench", "run_id": "bench", "as_of": today.isoformat(),
        "files": ["declarations.csv"], "lines_read": len(lines), "lines_flagged": len(flagged),
        "hits": [h.to_dict() for h in hits],
    }
    out_path = args.out or os.path.join(tempfile.mkdtemp(), "out.json")
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    subprocess.run([sys.executable, SCORER, args.setdir, out_path], check=False)
    print(f"\nindex build: {t1 - t0:.3f} s for {len(recs)} recordations")
    cold_cpu = max(c2 - c1, 1e-9)
    print(f"first pass (cold caches): {len(lines)} lines in {t2 - t1:.2f} s wall = "
          f"{len(lines) / (t2 - t1):,.0f} lines/s; CPU {cold_cpu:.2f} s = {len(lines) / cold_cpu:,.0f} lines/s")
    if args.repeat > 1:
        n = len(lines) * (args.repeat - 1)
        print(f"warm passes: {n} lines in {t3 - t2:.2f} s wall = {n / (t3 - t2):,.0f} lines/s; "
              f"CPU {c3 - c2:.2f} s = {n / max(c3 - c2, 1e-9):,.0f} lines/s")
    print(f"output: {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
