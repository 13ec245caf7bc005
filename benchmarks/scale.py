#!/usr/bin/env python3
"""What screening on a Dask cluster costs and gains here, and what a cluster needs (issue 15).

usage: python benchmarks/scale.py DECLARATIONS RECORDATIONS [--workers N] [--keep DIR]

DECLARATIONS is a CSV or Parquet batch (e.g. the 1 M-line noisy batch of
``../shared/bench/mknoisy.py`` converted to Parquet), RECORDATIONS the recordation file
to screen it against.  In a temporary directory (or DIR) the script imports the
recordations into a fresh store, starts a ``dask scheduler`` and N ``dask worker
--nthreads 1`` processes on 127.0.0.1 with the ``dask`` command, and measures, one
after the other on the same files:

  (a) ``ipr check FILE --workers N``             the plain run on this machine;
  (b) ``ipr check FILE --scheduler tcp://...``   the same run on the N workers;

both as ``--format jsonl --output F --quiet --no-save`` subprocesses, wall time.  It
checks that (a) and (b) wrote the same bytes, then prints lines per second, the
per-worker throughput of (b), the ratio (b)/(a), CPU seconds of both, and from the
lines per worker CPU-second the workers (one core each) a year's EU archive (4.6
billion items) and a day's EU volume (12.6 million) need in a given time.  Timings on a shared machine vary with its load:
the script prints the load average before and after.
"""

from __future__ import annotations

import argparse
import filecmp
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
YEAR_ITEMS = 4_600_000_000   # EU customs, items declared in 2024
DAY_ITEMS = 12_600_000       # the same, per day


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(args: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the process and the children it waited for."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"{' '.join(map(str, args))} failed ({code}): {err}")
    return elapsed, usage.ru_utime + usage.ru_stime


def workers_cpu(client) -> float:
    """CPU seconds the cluster's worker processes have used so far."""
    def cpu() -> float:
        t = os.times()
        return t.user + t.system

    return sum(client.run(cpu).values())


def count_lines(path: Path) -> int:
    if path.suffix == ".parquet" or path.is_dir():
        import pyarrow.parquet as pq

        files = [path] if path.is_file() else sorted(path.rglob("*.parquet"))
        return sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    with open(path, "rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b"")) - 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("declarations", type=Path)
    ap.add_argument("recordations", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ipr-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, IPR_DB=str(work / "store.db"), IPR_CACHE_DIR=str(work / "cache"))
    subprocess.run([BIN / "ipr", "recordation", "import", args.recordations], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    lines = count_lines(args.declarations)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    procs += [subprocess.Popen([BIN / "dask", "worker", address, "--nthreads", "1", "--no-dashboard",
                                "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
              for _ in range(args.workers)]
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(args.workers, timeout=120)
            print(f"load average before: {os.getloadavg()}")
            common = ["check", str(args.declarations), "--format", "jsonl", "--quiet", "--no-save"]
            plain, plain_cpu = timed([BIN / "ipr", *common, "--workers", str(args.workers),
                                      "--output", work / "plain.jsonl"], env)
            before = workers_cpu(client)
            cluster, client_cpu = timed([BIN / "ipr", *common, "--scheduler", address,
                                         "--output", work / "cluster.jsonl"], env)
            cluster_cpu = workers_cpu(client) - before
            print(f"load average after:  {os.getloadavg()}")
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(30)
    same = filecmp.cmp(work / "plain.jsonl", work / "cluster.jsonl", shallow=False)
    per_worker = lines / cluster / args.workers
    print(f"{lines:,} lines, {args.workers} workers")
    print(f"(a) plain --workers {args.workers}:  {plain:8.1f} s  {lines / plain:9,.0f} lines/s")
    print(f"(b) on the cluster:       {cluster:8.1f} s  {lines / cluster:9,.0f} lines/s"
          f"  ({per_worker:,.0f} lines/s per worker)")
    print(f"(b)/(a) throughput: {plain / cluster:.2f}   same hits: {same}")
    print(f"CPU seconds: (a) {plain_cpu:.1f} (process and its pool); (b) workers {cluster_cpu:.1f}, "
          f"client {client_cpu:.1f}; per worker CPU-second {lines / cluster_cpu:,.0f} lines")
    # Sizing assumes a dedicated core per worker: lines per worker CPU-second (on a
    # shared machine the wall-clock figure above says more about the neighbours).
    per_core = lines / cluster_cpu
    for what, items in (("a year's EU archive", YEAR_ITEMS), ("a day's EU volume", DAY_ITEMS)):
        for hours in (1, 8, 24):
            print(f"{what} ({items:,} items) in {hours:2d} h: "
                  f"{math.ceil(items / per_core / hours / 3600):8,d} workers (one core each)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if not same:
        sys.exit("the cluster's hits differ from the plain run's")


if __name__ == "__main__":
    main()
