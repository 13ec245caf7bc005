#!/usr/bin/env python3
"""SIGKILL every write command of ``ipr`` at many points (issue 19, acceptance 2).

usage: python benchmarks/kill_points.py [--kills N] [--seed S] [--keep DIR] [--csv FILE]

Builds a template store (5,000 recordations plus the fixtures, a screening run with
hits, decisions, allow and deny entries; and the same recordations before migrations),
then for each write command — recordation import/add/update/renew/suspend/reinstate/
remove, check with --output, decide, allow add/remove, deny add/remove, recordation
export, report and hits export with --output, exchange keygen/trust/export/import, and
the migrations run on opening an older store — runs it once unkilled, then kills it with SIGKILL at points spread over
its run (a quarter of them, for commands that write enough, triggered by the
write-ahead log growing, so they land inside the write transaction).  After each kill:
``integrity_check`` is ok; the store is as before the command or as after it; the audit
trail replays to the stored recordations, hit statuses, allow and deny lists; the next
run succeeds and leaves no temporary file (for commands that write only the store, the
next run — a read — is made after every fifth kill: they write no temporary file).  Prints the kills tried, their outcomes and
every failure; exit 1 if there was one.  The CI runs a sample of the same checks
(``tests/robustness/test_crash.py``).  About 2.5 s a kill on one core: 45 minutes for 1,000.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "robustness"))

import _kill_points as kp  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=1000, help="kill points in all (default 1000)")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--keep", type=Path, help="work here and keep it (default: a temporary directory)")
    parser.add_argument("--csv", type=Path, help="write one row per kill here, as it happens")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="ipr-kill-") as tmp:
        base = args.keep or Path(tmp)
        start = time.monotonic()
        print("building the template stores ...", flush=True)
        t = kp.build_templates(base / "template")
        plans = kp.scenarios(t)
        per = [args.kills // len(plans) + (1 if i < args.kills % len(plans) else 0) for i in range(len(plans))]
        refs = {}
        for scenario, count in zip(plans, per):
            refs[scenario.name] = ref = kp.reference(t, scenario, base / "ref")
            print(f"{scenario.name}: {ref.duration:.2f} s unkilled, WAL {ref.wal:,} bytes; {count} kills", flush=True)
        points = {s.name: kp.plan(refs[s.name], count, rng) for s, count in zip(plans, per)}
        if args.csv and args.csv.exists():
            args.csv.unlink()
        results = []
        for n in range(max(per)):  # round robin: every command gets its share early
            for scenario in plans:
                if n >= len(points[scenario.name]):
                    continue
                delay, wal_bytes = points[scenario.name][n]
                result = kp.kill_once(t, scenario, refs[scenario.name], base / "kill", delay=delay,
                                      wal_bytes=wal_bytes, next_read=n % 5 == 0)
                results.append(result)
                if args.csv:
                    kp.append_csv(args.csv, result)
                if result["failures"]:
                    print(f"  FAIL {scenario.name} kill {n} (delay {delay}, wal {wal_bytes}): {result['failures']}",
                          flush=True)
            print(f"round {n + 1}/{max(per)}: {len(results)} kills, "
                  f"{sum(1 for r in results if r['failures'])} failures", flush=True)

    failed = [r for r in results if r["failures"]]
    outcomes = collections.Counter(r["outcome"] for r in results)
    killed = sum(1 for r in results if r["killed"])
    print()
    print(f"kill points tried: {len(results)} over {len(plans)} write commands "
          f"({killed} killed while running, {len(results) - killed} after the command had ended)")
    print(f"store states after the kill: {outcomes['before']} as before, {outcomes['after']} as after, "
          f"{outcomes['between']} between")
    by = collections.Counter((r["scenario"], r["outcome"]) for r in results)
    for scenario in plans:
        print(f"  {scenario.name:24} before {by[(scenario.name, 'before')]:4}  after {by[(scenario.name, 'after')]:4}")
    print(f"failures: {len(failed)}")
    for r in failed[:20]:
        print(f"  {r['scenario']}: {r['failures']}")
    print(f"time: {time.monotonic() - start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
