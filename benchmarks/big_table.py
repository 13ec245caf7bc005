#!/usr/bin/env python3
"""Table output of a big result against JSON Lines (issue 17).

usage: python benchmarks/big_table.py [--lines N] [--keep DIR] [--save]

Builds a deterministic declaration file of N lines (default 200,000), about half of
them carrying a mark of ``fixtures/recordations.csv`` (plainly or disguised), imports
those recordations into a fresh store, then runs, each as a subprocess:

  (a) ``ipr check FILE --format jsonl --output F --quiet``
  (b) ``ipr check FILE`` (the default table) with standard output sent to a file

both with ``--no-save`` unless ``--save`` is given, and prints for each the wall time
and the peak resident memory of the process (``os.wait4``), then the ratio of the two
times.  The acceptance figure of issue 17: table time <= 2x the JSON Lines time, table
peak RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKED = [
    "NIKE AIR RUNNING SHOES SIZE {n}", "N1KE SPORT SHOES MENS {n}", "LOUIS-VUITON HANDBAG LEATHER {n}",
    "CHANEL NO {n} PERFUME 50ML", "PVMA RUNNING SHOES {n}", "ZORVEXX CORDLESS DRILL {n}V",
    "GOLDEN HARVEST RICE {n}KG", "APPLE LAPTOP 14 INCH MODEL {n}",
]
PLAIN = [
    "COTTON T-SHIRTS PRINTED {n}", "PLASTIC STORAGE BOXES {n} PCS", "STAINLESS STEEL BOLTS M{n}",
    "CERAMIC COFFEE MUGS SET OF {n}", "POLYESTER FABRIC ROLLS {n} M", "LED BULBS {n}W WARM WHITE",
]
HS = {"NIKE": "640411", "N1KE": "640411", "LOUIS": "420221", "CHANEL": "330300", "PVMA": "640411",
      "ZORVEXX": "846721", "GOLDEN": "100630", "APPLE": "847130"}


def build(path: Path, lines: int) -> None:
    rng = random.Random(17)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["declaration_id", "item_no", "date", "importer", "origin", "hs_code", "description",
                    "quantity", "value", "currency"])
        for i in range(lines):
            n = rng.randint(1, 99)
            if i % 5 < 3:  # 60 % carry a mark: about half of all lines are flagged
                text = rng.choice(MARKED).format(n=n)
                hs = HS[text.split()[0].split("-")[0]]
            else:
                text = rng.choice(PLAIN).format(n=n)
                hs = "610910"
            w.writerow([f"10{i // 20:07d}-26", i % 20 + 1, "2026-11-02", f"KR{rng.randint(1000000, 9999999)}",
                        rng.choice(["CN", "VN", "TH", "HK"]), hs, text, rng.randint(1, 500),
                        f"{rng.uniform(10, 5000):.2f}", "USD"])


def run(args: list[str], env: dict, stdout_path: Path | None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB (the largest process of the run), exit code."""
    out = open(stdout_path, "w") if stdout_path else subprocess.DEVNULL
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stdout_path:
        out.close()
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        print(err, file=sys.stderr)
    return wall, max(usage.ru_maxrss, 0) / 1024, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--keep", metavar="DIR", help="work here and keep the files")
    parser.add_argument("--save", action="store_true", help="save the runs in the store (default: --no-save)")
    opts = parser.parse_args()
    work = Path(opts.keep) if opts.keep else Path(tempfile.mkdtemp(prefix="ipr-big-table-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        data = work / "big.csv"
        build(data, opts.lines)
        env = {**os.environ, "IPR_DB": str(work / "ipr.db"), "COLUMNS": "120"}
        env.pop("IPR_FORMAT", None)
        ipr = [sys.executable, "-m", "ipr_cli"]
        subprocess.run([*ipr, "recordation", "import", str(ROOT / "fixtures" / "recordations.csv")], env=env,
                       check=True, capture_output=True)
        save = [] if opts.save else ["--no-save"]
        jsonl = work / "hits.jsonl"
        t_j, rss_j, _ = run([*ipr, "check", str(data), "-f", "jsonl", "-o", str(jsonl), "-q", *save], env, None)
        flagged = sum(1 for _ in open(jsonl, encoding="utf-8"))
        t_t, rss_t, _ = run([*ipr, "check", str(data), *save], env, work / "table.txt")
        table_lines = sum(1 for _ in open(work / "table.txt", encoding="utf-8"))
        print(f"{opts.lines:,} lines, {flagged:,} hits ({'saved' if opts.save else '--no-save'})")
        print(f"jsonl: {t_j:7.1f} s  peak RSS {rss_j:6.0f} MB")
        print(f"table: {t_t:7.1f} s  peak RSS {rss_t:6.0f} MB  ({table_lines:,} lines of output)")
        print(f"table / jsonl time: {t_t / t_j:.2f}x")
    finally:
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
