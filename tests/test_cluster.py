"""`ipr check --scheduler`: the same run on a real Dask cluster on 127.0.0.1 (issue 15).

One scheduler and two single-threaded workers are started with the `dask` command for
the whole module (a few seconds); `--scheduler local` starts its own LocalCluster.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DATA, FIXTURES

distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

DECLARATIONS = FIXTURES / "declarations.csv"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """``tcp://127.0.0.1:PORT`` of a `dask scheduler` with two `dask worker --nthreads 1`."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    procs = [subprocess.Popen([BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=open(logs / "s.log", "w"), env=env)]
    for n in range(2):
        procs.append(subprocess.Popen([BIN / "dask", "worker", address, "--nthreads", "1", "--no-dashboard",
                                       "--host", "127.0.0.1"],
                                      stdout=subprocess.DEVNULL, stderr=open(logs / f"w{n}.log", "w"), env=env))
    try:
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture
def dev_store(ipr):
    assert ipr("recordation", "import", DATA / "eval-dev-hard" / "recordations.csv").exit_code == 0


def head(src, dst, lines):
    """The first ``lines`` lines of a CSV file (its development sets are long for a test)."""
    with open(src, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))[: lines + 1]
    with open(dst, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return dst


def to_parquet(src, dst, row_group_size):
    with open(src, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    pq.write_table(pa.table({h: [r[i] for r in rows] for i, h in enumerate(header)}), dst,
                   row_group_size=row_group_size)
    return dst


def check(ipr, *args):
    """The run's JSON, its hits without ``run_id`` (each run has its own; a saved run's
    ``hit_id`` names the case, the same in every run that sees the line)."""
    result = ipr("check", *args, "--format", "json", "--quiet", "--as-of", "2026-11-27")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    for hit in out["hits"]:
        hit.pop("run_id", None)
    return out


def runs(ipr):
    result = ipr("runs", "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def saved_hits(ipr, run_id):
    result = ipr("hits", "list", "--run", run_id, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [{k: v for k, v in h.items() if k not in ("hit_id", "run_id")} for h in json.loads(result.stdout)]


def test_same_hits_and_saved_run_on_the_cluster(ipr, dev_store, scheduler, tmp_path, monkeypatch):
    """CSV and Parquet copies, cut into many partitions: the output, its order and the
    saved run are those of the plain run; each worker built its index once."""
    monkeypatch.setenv("IPR_PARTITION_ROWS", "500")
    monkeypatch.setenv("IPR_PARTITION_BYTES", "30000")
    src = head(DATA / "eval-dev-hard" / "declarations.csv", tmp_path / "hard.csv", 1500)  # cut into byte ranges
    parquet = to_parquet(src, tmp_path / "hard.parquet", row_group_size=250)
    with distributed.Client(scheduler, timeout=30) as client:
        from ipr_cli import cluster

        before = client.run(cluster.index_builds)
        for path in (src, parquet):
            plain = check(ipr, path)
            on_cluster = check(ipr, path, "--scheduler", scheduler)
            assert plain["hits"] and on_cluster["hits"] == plain["hits"], path
            assert on_cluster["lines_read"] == plain["lines_read"]
        after = client.run(cluster.index_builds)
    assert sorted(after) == sorted(before) and all(after[w] - before.get(w, 0) <= 3 for w in after)
    listed = runs(ipr)
    assert len(listed) == 4
    by_id = {r["run_id"]: r for r in listed}
    plain_run, cluster_run = by_id[plain["run_id"]], by_id[on_cluster["run_id"]]
    for key in ("lines_read", "lines_flagged", "hits", "reviews"):
        assert plain_run[key] == cluster_run[key], key
    assert saved_hits(ipr, plain["run_id"]) == saved_hits(ipr, on_cluster["run_id"])


def test_scheduler_from_the_environment_and_exit_code(ipr, scheduler, tmp_path, monkeypatch):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    plain = ipr("check", DECLARATIONS, "--format", "jsonl", "--no-save", "--fail-on", "hit")
    monkeypatch.setenv("IPR_SCHEDULER", scheduler)
    on_cluster = ipr("check", DECLARATIONS, "--format", "jsonl", "--no-save", "--fail-on", "hit")
    assert plain.exit_code == on_cluster.exit_code == 1
    assert on_cluster.stdout == plain.stdout and plain.stdout


def test_worker_killed_mid_run_same_hits(dev_store, scheduler, tmp_path, isolated_store):
    src = head(DATA / "eval-dev-hard" / "declarations.csv", tmp_path / "hard.csv", 2000)
    parquet = to_parquet(src, tmp_path / "hard.parquet", row_group_size=100)
    env = dict(os.environ, IPR_PARTITION_ROWS="100")
    ipr = [BIN / "ipr", "check", str(parquet), "--format", "jsonl", "--no-save", "--quiet"]
    plain = subprocess.run(ipr, capture_output=True, text=True, env=env, timeout=300)
    assert plain.returncode == 0, plain.stderr
    with distributed.Client(scheduler, timeout=30) as client:
        pids = client.run(os.getpid)
        proc = subprocess.Popen(ipr + ["--scheduler", scheduler], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)
        deadline = time.monotonic() + 120
        while not any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a task or two done, most still to do
        assert proc.poll() is None, "the run ended before a worker could be killed"
        os.kill(next(iter(pids.values())), signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
        client.wait_for_workers(2, timeout=90)  # the nanny restarts the killed worker
    assert proc.returncode == 0, err
    assert out == plain.stdout and out.count("\n") > 50


def test_unreachable_scheduler_exit_2_nothing_saved(ipr, tmp_path):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    address = f"tcp://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    result = ipr("check", DECLARATIONS, "--scheduler", address, "--format", "json", "--output", tmp_path / "out.json")
    assert time.monotonic() - started < 15
    assert result.exit_code == 2
    assert address in result.stderr and "Traceback" not in result.stderr
    assert runs(ipr) == [] and not (tmp_path / "out.json").exists()


def test_local_cluster_of_workers_processes(ipr, tmp_path):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    plain = check(ipr, DECLARATIONS, "--no-save")
    local = check(ipr, DECLARATIONS, "--no-save", "--scheduler", "local", "--workers", "2")
    assert local["hits"] == plain["hits"] and plain["hits"]


def test_without_dask_installed_says_how_to_install(ipr, monkeypatch):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    result = ipr("check", DECLARATIONS, "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2
    assert 'pip install "ipr-cli[dask]"' in result.stderr and "Traceback" not in result.stderr
    assert runs(ipr) == []


def test_recordations_changed_since_finds_the_new_recordations_hits(ipr, scheduler, tmp_path):
    with open(FIXTURES / "recordations.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    first, last = tmp_path / "first.csv", tmp_path / "last.csv"
    for path, part in ((first, rows[:-1]), (last, rows[-1:])):
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(part)
    assert ipr("recordation", "import", first).exit_code == 0
    time.sleep(1.1)  # the store keeps seconds
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    assert ipr("recordation", "import", last).exit_code == 0
    new_id = rows[-1]["recordation_id"]
    full = check(ipr, DECLARATIONS, "--no-save")
    changed = check(ipr, DECLARATIONS, "--no-save", "--recordations-changed-since", since)
    expected = [h for h in full["hits"] if h["recordation_id"] == new_id]
    assert expected and changed["hits"] == expected
    on_cluster = check(ipr, DECLARATIONS, "--no-save", "--recordations-changed-since", since,
                       "--scheduler", scheduler)
    assert on_cluster["hits"] == expected
    bad = ipr("check", DECLARATIONS, "--recordations-changed-since", "last week")
    assert bad.exit_code == 2 and "--recordations-changed-since" in bad.stderr
