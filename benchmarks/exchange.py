#!/usr/bin/env python3
"""How fast ``ipr exchange`` moves 100,000 outcomes, and what partner intelligence costs
a check (issue 18, acceptance 5).

usage: python benchmarks/exchange.py [--outcomes N] [--repeat R] [--dev DIR] [--keep DIR]

In a temporary directory:

  1. FR's store: the development set's recordations, and N decided hits (holds) made
     deterministically from them: a mark of the register, goods text, an exporter
     (one of N/5 company names), a container, a port of loading and an origin;
  2. ``ipr exchange export --to KR --output P`` on it, timed end to end (a subprocess);
  3. KR's store: the same recordations, FR's key trusted; ``ipr exchange import P``
     timed end to end;
  4. ``ipr check`` of the development declarations (``--format jsonl --no-save
     --quiet``) against KR's store without partner outcomes and against a copy with
     the N outcomes imported, alternately R times each; the median of each and the
     ratio.  Then the same with the declarations given exporter, container and port
     columns, a quarter of them naming an exporter FR seized from (spelt in capitals
     and with ``COMPANY LIMITED``), so that the intelligence is looked up and applied.

Acceptance: export and import <= 10 s each; the check with outcomes loaded <= 1.10 x
the check without.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The development set in the tree (``$IPR_EVAL_DEV`` or ``--dev`` for another).
DEV = Path(os.environ.get("IPR_EVAL_DEV") or ROOT / "tests" / "data" / "eval-dev")
SEED = 20261203
CITIES = ("SHENZHEN", "GUANGZHOU", "YIWU", "NINGBO", "XIAMEN", "DONGGUAN", "QUANZHOU", "ISTANBUL", "HO CHI MINH",
          "BANGKOK", "HONG KONG", "JINJIANG", "FOSHAN", "WENZHOU", "SHANTOU")
WORDS = ("HUAXING", "JINLONG", "TIANHE", "BAIYUN", "XINDA", "HONGFA", "MINGRUI", "SHENGDA", "YONGLI", "RUIFENG",
         "BOYA", "KAIXIN", "JIAHE", "LONGTENG", "FUXING", "HENGDA", "ANTAI", "WANFU", "DEXIN", "GOLDSTAR")
TRADES = ("TRADING", "IMPORT AND EXPORT", "INDUSTRIAL", "TECHNOLOGY", "GARMENT", "SHOES", "LEATHER", "ELECTRONICS")
PORTS = ("CNSZX", "CNSHA", "CNNGB", "CNXMN", "CNYTN", "HKHKG", "VNSGN", "TRIST", "THBKK", "CNCAN")
ORIGINS = ("CN", "CN", "CN", "HK", "VN", "TR", "TH")


CPU: dict[str, float] = {}  # CPU seconds (user + system) of the last run of each command


def ipr(*args: str, db: Path) -> float:
    """Run ``ipr`` as a subprocess on ``db``; return its wall time in seconds (and keep its
    CPU time in ``CPU``: on a shared, loaded machine the wall time includes waiting)."""
    env = {**os.environ, "IPR_DB": str(db)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ipr_cli", *args], env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[args[0] + (" " + args[1] if args[0] == "exchange" else "")] = (
        after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"ipr {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return took


def company(rnd: random.Random) -> str:
    return f"{rnd.choice(CITIES)} {rnd.choice(WORDS)} {rnd.choice(WORDS)} {rnd.choice(TRADES)} CO., LTD"


def container(rnd: random.Random) -> str:
    return "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3)) + "U" + f"{rnd.randrange(10**7):07d}"


def seed_holds(db: Path, n: int, rnd: random.Random) -> list[str]:
    """N held hits in FR's store, straight into the tables ``ipr check`` and ``ipr decide`` fill."""
    with sqlite3.connect(db) as conn:
        marks = conn.execute("SELECT recordation_id, mark, holder FROM recordations ORDER BY recordation_id").fetchall()
        exporters = [company(rnd) for _ in range(max(1, n // 5))]
        stamp = "2026-11-12T10:00:00+00:00"
        conn.execute(
            "INSERT INTO runs (run_id, started_at, finished_at, user, as_of, files, options, recordations_revision,"
            " lines_read, lines_flagged, hits, reviews, suppressed, skipped, duration_s)"
            " VALUES ('bench', ?, ?, 'bench', '2026-11-12', '[]', '{}', 1, ?, ?, ?, 0, 0, 0, 1.0)",
            (stamp, stamp, n, n, n),
        )
        rows = []
        for i in range(n):
            rec_id, mark, holder = marks[int(len(marks) * rnd.random() ** 2)]  # popular marks more often
            day = dt.date(2026, 10, 1) + dt.timedelta(days=rnd.randrange(60))
            line = {
                "declaration_id": f"FR-{i:07d}", "item_no": "1", "date": day.isoformat(),
                "importer": f"FR{rnd.randrange(10**8):08d}", "origin": rnd.choice(ORIGINS), "hs_code": "640411",
                "description": f"{mark} SPORTS SHOES REPLICA", "brand": "", "quantity": str(rnd.randrange(1, 500)),
                "value": f"{rnd.randrange(100, 100000) / 100:.2f}", "currency": "EUR",
                "exporter": rnd.choice(exporters), "transport_document": f"BL{rnd.randrange(10**9):09d}",
                "container": container(rnd), "port_of_loading": rnd.choice(PORTS),
            }
            rows.append(("bench", "day.csv", i + 1, line["declaration_id"], "1", rec_id, mark, holder, 95, "hit",
                         mark, '["exact mark"]', "description", json.dumps(line), "hold", f"{day}T15:00:00+00:00",
                         "bench", "fakes on inspection"))
        conn.executemany(
            "INSERT INTO hits (run_id, file, row, declaration_id, item_no, recordation_id, mark, holder, score,"
            " verdict, matched_text, reasons, field, line, status, decided_at, decided_by, decision_note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return exporters


def with_supply_chain(source: Path, target: Path, exporters: list[str], rnd: random.Random) -> None:
    """The development declarations with exporter, container and port columns added."""
    with open(source, newline="", encoding="utf-8") as f, open(target, "w", newline="", encoding="utf-8") as out:
        reader = csv.reader(f)
        writer = csv.writer(out)
        writer.writerow(next(reader) + ["exporter", "container", "port_of_loading"])
        for row in reader:
            if rnd.random() < 0.25:  # an exporter FR seized from, spelt another way
                name = rnd.choice(exporters).replace("CO., LTD", "COMPANY LIMITED").title()
            else:
                name = company(rnd)
            writer.writerow(row + [name, container(rnd), rnd.choice(PORTS)])


def timed_checks(decl: Path, plain_db: Path, intel_db: Path, repeat: int) -> tuple[float, float, float, float]:
    args = ("check", str(decl), "--format", "jsonl", "--output", os.devnull, "--quiet", "--no-save")
    ipr(*args, db=plain_db)  # warm the index cache and the page cache once
    ipr(*args, db=intel_db)
    plain, intel, plain_cpu, intel_cpu = [], [], [], []
    for _ in range(repeat):
        plain.append(ipr(*args, db=plain_db))
        plain_cpu.append(CPU["check"])
        intel.append(ipr(*args, db=intel_db))
        intel_cpu.append(CPU["check"])
    return (statistics.median(plain), statistics.median(intel),
            statistics.median(plain_cpu), statistics.median(intel_cpu))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outcomes", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="checks timed per store (median)")
    parser.add_argument("--dev", type=Path, default=DEV, help="the development set (recordations.csv, declarations.csv)")
    parser.add_argument("--keep", type=Path, help="keep the stores and files here")
    opts = parser.parse_args()
    rnd = random.Random(SEED)
    work = Path(tempfile.mkdtemp(prefix="ipr-exchange-bench-")) if opts.keep is None else opts.keep
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("IPR_CACHE_DIR", str(work / "cache"))
    try:
        fr, kr, kr_plain = work / "fr.db", work / "kr.db", work / "kr-plain.db"
        recordations = str(opts.dev / "recordations.csv")
        ipr("recordation", "import", recordations, db=fr)
        ipr("recordation", "import", recordations, db=kr)
        exporters = seed_holds(fr, opts.outcomes, rnd)
        ipr("exchange", "keygen", "--admin", "FR", "--output", str(work / "FR.pub"), db=fr)
        ipr("exchange", "trust", "FR", str(work / "FR.pub"), db=kr)
        shutil.copy(kr, kr_plain)
        package = work / "fr-to-kr.json"
        export_s = ipr("exchange", "export", "--to", "KR", "--output", str(package), db=fr)
        import_s = ipr("exchange", "import", str(package), db=kr)
        size = package.stat().st_size
        print(f"outcomes: {opts.outcomes:,}; package {size / 1e6:.1f} MB")
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"export: {export_s:.2f} s wall, {CPU['exchange export']:.2f} s CPU   (limit 10 s)")
        print(f"import: {import_s:.2f} s wall, {CPU['exchange import']:.2f} s CPU   (limit 10 s)")

        decl = opts.dev / "declarations.csv"
        plain, intel, plain_cpu, intel_cpu = timed_checks(decl, kr_plain, kr, opts.repeat)
        print(f"check {decl.name}: {plain:.2f} s without partner outcomes, {intel:.2f} s with "
              f"{opts.outcomes:,} loaded: x{intel / plain:.3f} (limit x1.10; median of {opts.repeat})")
        print(f"  CPU: {plain_cpu:.2f} s without, {intel_cpu:.2f} s with: x{intel_cpu / plain_cpu:.3f}")
        enriched = work / "declarations-supply-chain.csv"
        with_supply_chain(decl, enriched, exporters, rnd)
        plain, intel, plain_cpu, intel_cpu = timed_checks(enriched, kr_plain, kr, opts.repeat)
        print(f"check {decl.name} + exporter/container/port columns: {plain:.2f} s without, {intel:.2f} s with: "
              f"x{intel / plain:.3f} (median of {opts.repeat})")
        print(f"  CPU: {plain_cpu:.2f} s without, {intel_cpu:.2f} s with: x{intel_cpu / plain_cpu:.3f}")
    finally:
        if opts.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
