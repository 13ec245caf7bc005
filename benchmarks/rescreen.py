#!/usr/bin/env python3
"""What `--recordations-changed-since` costs against a full run, and whether it is exact (issue 15).

usage: python benchmarks/rescreen.py DECLARATIONS RECORDATIONS RECORDATION_ID [--workers N] [--keep DIR]

DECLARATIONS is a CSV or Parquet batch (e.g. the noisy batch of
``../shared/bench/mknoisy.py``), RECORDATIONS the recordation file to screen it
against, RECORDATION_ID one recordation of that file.  In a temporary directory (or
DIR) the script imports every recordation but that one into a fresh store, then, a
second later, that one — as if it had just been recorded — and runs one after the
other on the same file:

  (a) ``ipr check FILE --workers N``                                      the full run;
  (b) ``ipr check FILE --workers N --recordations-changed-since T``       the re-screen;

both as ``--format jsonl --output F --quiet --no-save --as-of 2026-11-20`` subprocesses.
It prints the wall and CPU seconds of each (the process and the worker processes it
waited for), the ratios (b)/(a), and whether (b) wrote exactly the full run's hits of
that recordation (the same JSON lines, in the same order), and exits non-zero when
not.  Timings on a shared machine vary with its load: the script prints the load
average before and after; CPU seconds vary less.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scale import timed  # noqa: E402  (this folder is on sys.path when run as a script)

BIN = Path(sys.executable).parent


def split_register(path: Path, chosen: str, work: Path) -> tuple[Path, Path]:
    """The recordation file without ``chosen``, and with only it."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    column = header.index("recordation_id")
    out = []
    for name, keep in (("old.csv", lambda r: r[column] != chosen), ("new.csv", lambda r: r[column] == chosen)):
        buffer = io.StringIO()
        w = csv.writer(buffer)
        w.writerow(header)
        w.writerows(r for r in body if keep(r))
        (work / name).write_text(buffer.getvalue(), encoding="utf-8")
        out.append(work / name)
    if not any(r[column] == chosen for r in body):
        sys.exit(f"{path} has no recordation {chosen}")
    return out[0], out[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("declarations", type=Path)
    ap.add_argument("recordations", type=Path)
    ap.add_argument("recordation_id")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ipr-rescreen-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, IPR_DB=str(work / "store.db"), IPR_CACHE_DIR=str(work / "cache"))
    old, new = split_register(args.recordations, args.recordation_id, work)
    ipr = BIN / "ipr"
    subprocess.run([ipr, "recordation", "import", old], env=env, check=True, stdout=subprocess.DEVNULL)
    time.sleep(1.1)  # the store keeps seconds
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    subprocess.run([ipr, "recordation", "import", new], env=env, check=True, stdout=subprocess.DEVNULL)
    common = [ipr, "check", str(args.declarations), "--format", "jsonl", "--quiet", "--no-save",
              "--as-of", "2026-11-20", "--workers", str(args.workers)]
    print(f"load average before: {os.getloadavg()}")
    full, full_cpu = timed([*common, "--output", work / "full.jsonl"], env)
    changed, changed_cpu = timed([*common, "--recordations-changed-since", since,
                                  "--output", work / "changed.jsonl"], env)
    print(f"load average after:  {os.getloadavg()}")
    needle = f'"recordation_id": "{args.recordation_id}"'
    with open(work / "full.jsonl", encoding="utf-8") as f:
        lines = f.readlines()
        expected = [line for line in lines if needle in line]
    with open(work / "changed.jsonl", encoding="utf-8") as f:
        got = f.readlines()
    same = got == expected
    print(f"(a) full run:            {full:8.1f} s wall  {full_cpu:8.1f} s CPU  ({len(lines):,} hits)")
    print(f"(b) changed since:       {changed:8.1f} s wall  {changed_cpu:8.1f} s CPU  ({len(got):,} hits)")
    print(f"(b)/(a): wall {changed / full:.3f}, CPU {changed_cpu / full_cpu:.3f}")
    print(f"exactly the full run's {len(expected)} hits of {args.recordation_id}: {same}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if not same:
        sys.exit("the re-screen's hits differ from the full run's")


if __name__ == "__main__":
    main()
