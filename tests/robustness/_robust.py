"""Helpers and fixtures of the robustness suite: big generated inputs, child processes,
store snapshots.  (Not a conftest.py: other test modules import ``conftest`` by name.)

The suite runs ``ipr`` in child processes (``python -m ipr_cli``) where a signal or a
second process is part of the test, and in-process (the ``ipr`` fixture) everywhere
else, for speed.  Every child inherits the ``IPR_DB`` the autouse fixture chose.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ipr_cli.models import RECORDATION_FIELDS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CONTENT = ", ".join(RECORDATION_FIELDS)  # what a recordation *is*, without its timestamps


# --------------------------------------------------------------------------- inputs


def write_recordations(path: Path, ids: range, tag: str) -> Path:
    """A valid recordation CSV: one row per id; ``tag`` makes the rows of two files differ."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(RECORDATION_FIELDS)
        for i in ids:
            w.writerow([
                f"RB-{i:06d}", f"MARK{i}X", f"Holder {i}", f"alias{i};ali{i}", "6403;4202", "25;18",
                f"KIPO 40-{i:07d}", "2020-01-01", "2035-12-31", "active", f"KR{i}", "CN;VN", "10", "USD",
                f"c{i}@example.com", f"{tag} notes for {i} " + "x" * 100,
            ])
    return path


def write_declarations(path: Path, lines: int) -> Path:
    """A declaration CSV of ``lines`` lines cycled from fixtures/declarations.csv (about half flag)."""
    with open(FIXTURES / "declarations.csv", newline="", encoding="utf-8") as f:
        header, *data = list(csv.reader(f))
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for i in range(lines):
            row = list(data[i % len(data)])
            row[0] = f"D{i:08d}"
            w.writerow(row)
    return path


# --------------------------------------------------------------------------- child processes


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


# ``python -m ipr_cli`` with Ctrl-C handled as on a terminal: a child of a background job
# (CI, `cmd &`) inherits SIGINT ignored, and Python then never raises KeyboardInterrupt.
# (Not preexec_fn: forking a threaded pytest with it can deadlock the child.)
_WITH_SIGINT = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'ipr'; runpy.run_module('ipr_cli', run_name='__main__', alter_sys=True)"
)


def spawn(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``python -m ipr_cli ARGS`` with pipes for stdout and stderr."""
    return subprocess.Popen(
        [sys.executable, "-c", _WITH_SIGINT, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env or child_env(),
        cwd=ROOT,
    )


def run_ipr(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> tuple[int, str, str, float]:
    """Run ``ipr`` to the end in a child; return (exit code, stdout, stderr, seconds)."""
    start = time.monotonic()
    proc = spawn(*args, env=env)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), time.monotonic() - start


def wal_size(db: Path) -> int:
    try:
        return os.path.getsize(str(db) + "-wal")
    except OSError:
        return 0


def wait_for_wal(proc: subprocess.Popen, db: Path, threshold: int, timeout: float) -> bool:
    """Wait until the child has written ``threshold`` bytes of WAL (it is mid-transaction)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if wal_size(db) >= threshold:
            return True
        time.sleep(0.002)
    return False


# --------------------------------------------------------------------------- store snapshots


def copy_store(src: Path, dst: Path) -> Path:
    """Copy a closed store (its WAL was checkpointed when the last connection closed)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(dst) + suffix).unlink(missing_ok=True)
    shutil.copy2(src, dst)
    return dst


def integrity(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def snapshot(db: Path) -> dict:
    """What a store holds, as digests: every recordation field (with and without its
    timestamps), the audit trail, the revision counter, runs and hits."""
    con = sqlite3.connect(db)
    try:
        def digest(sql: str) -> str:
            h = hashlib.sha256()
            for row in con.execute(sql):
                h.update(repr(tuple(row)).encode())
            return h.hexdigest()

        return {
            "recordations": con.execute("SELECT count(*) FROM recordations").fetchone()[0],
            "content": digest(f"SELECT {CONTENT} FROM recordations ORDER BY recordation_id"),
            "full": digest("SELECT * FROM recordations ORDER BY recordation_id"),
            "audit": con.execute("SELECT count(*) FROM audit").fetchone()[0],
            "audit_full": digest("SELECT * FROM audit ORDER BY id"),
            "revision": con.execute("SELECT value FROM meta WHERE key = 'recordations_revision'").fetchone()[0],
            "runs": con.execute("SELECT count(*) FROM runs").fetchone()[0],
            "hits": con.execute("SELECT count(*) FROM hits").fetchone()[0],
        }
    finally:
        con.close()


def no_traceback(text: str) -> bool:
    return "Traceback (most recent call last)" not in text


@pytest.fixture(scope="session")
def big_files(tmp_path_factory) -> dict[str, Path]:
    """An old set (2,000 recordations) and a new file (20,000 rows: the 2,000 changed + 18,000 new)."""
    base = tmp_path_factory.mktemp("big")
    return {
        "old": write_recordations(base / "old.csv", range(0, 2000), "old"),
        "new": write_recordations(base / "new.csv", range(0, 20000), "new"),
    }


@pytest.fixture(scope="session")
def old_store(tmp_path_factory, big_files) -> Path:
    """A store template holding the old set; tests copy it, never change it."""
    db = tmp_path_factory.mktemp("old-store") / "ipr.db"
    code, out, err, _ = run_ipr("recordation", "import", big_files["old"], env=child_env(IPR_DB=str(db)))
    assert code == 0, err
    return db


def read_position(pid: int, path: Path) -> int | None:
    """How far process ``pid`` has read into ``path`` (Linux /proc), None if not open."""
    target = os.path.realpath(path)
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != target:
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                for line in info:
                    if line.startswith("pos:"):
                        return int(line.split()[1])
        except OSError:
            continue
    return None


def wait_for_read(proc: subprocess.Popen, path: Path, nbytes: int, timeout: float) -> bool:
    """Wait until the child has read ``nbytes`` of ``path`` (it is busy reading it)."""
    if not os.path.isdir("/proc/self/fdinfo"):
        pytest.skip("needs Linux /proc to see how far a process has read")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        pos = read_position(proc.pid, path)
        if pos is not None and pos >= nbytes:
            return True
        time.sleep(0.002)
    return False
