"""``ipr check`` gives the same bytes with any number of worker processes (issue 4).

The parallel path normally starts only on large files; the thresholds are lowered here
so that the development set's 4,000 lines go through it in many small batches, with
several batches in flight and a field cache small enough to be cleared mid-run.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os

import pytest

from conftest import DATA

HARD = DATA / "eval-dev-hard"

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="workers need fork"
)


@pytest.fixture
def store(ipr):
    result = ipr("recordation", "import", HARD / "recordations.csv")
    assert result.exit_code == 0, result.stderr


def _check(ipr, *args: str) -> str:
    result = ipr("check", HARD / "declarations.csv", "--no-save", "--quiet", "--as-of", "2026-11-27", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture
def small_batches(monkeypatch):
    from ipr_cli.matching import batch, matcher

    monkeypatch.setattr(batch, "PARALLEL_AFTER", 150)
    monkeypatch.setattr(batch, "BATCH_LINES", 97)
    monkeypatch.setattr(batch, "IN_FLIGHT_PER_WORKER", 2)
    monkeypatch.setattr(matcher, "FIELD_CACHE_SIZE", 300)
    started = []
    start = batch.Batches._start

    def counted(self):
        started.append(self.workers)
        start(self)

    monkeypatch.setattr(batch.Batches, "_start", counted)
    return started


@pytest.mark.parametrize("workers", ["2", "3"])
def test_jsonl_identical_with_workers(ipr, store, small_batches, workers):
    serial = _check(ipr, "--format", "jsonl", "--workers", "1")
    parallel = _check(ipr, "--format", "jsonl", "--workers", workers)
    assert serial.count("\n") > 1000  # the set flags about half of its lines
    assert parallel == serial
    assert small_batches == [int(workers)]  # the parallel path did run


def test_json_identical_with_workers_but_run_id(ipr, store, small_batches):
    serial = json.loads(_check(ipr, "--format", "json", "--workers", "1"))
    parallel = json.loads(_check(ipr, "--format", "json", "--workers", "2"))
    assert serial.pop("run_id") != parallel.pop("run_id")
    assert parallel == serial


def test_default_workers_same_as_serial(ipr, store, small_batches):
    assert _check(ipr, "--format", "csv") == _check(ipr, "--format", "csv", "--workers", "1")


def test_workers_must_be_positive(ipr, store):
    result = ipr("check", HARD / "declarations.csv", "--no-save", "--workers", "0")
    assert result.exit_code == 2


def test_index_cache_gives_the_same_index(tmp_path, monkeypatch):
    """A large index is kept between runs; loaded, corrupt or stale, it equals a fresh one."""
    from ipr_cli.matching import index as index_mod
    from ipr_cli.readers import read_records
    from ipr_cli.recordations import parse_all

    path = str(HARD / "recordations.csv")
    recordations = parse_all(read_records(path), path)
    monkeypatch.setattr(index_mod, "CACHE_MIN_RECORDATIONS", 1)
    fresh = index_mod.MarkIndex(recordations)
    cache = index_mod.IndexCache(tmp_path / "cache", b"k" * 32)

    def same(other):
        assert other.forms == fresh.forms
        assert other.by_delete == fresh.by_delete
        assert dict(other.by_key) == dict(fresh.by_key)
        assert dict(other.by_phon) == dict(fresh.by_phon)
        assert dict(other.native) == dict(fresh.native)
        assert other.mark_words == fresh.mark_words

    same(index_mod.MarkIndex(recordations, cache_dir=cache))  # built and saved
    (saved,) = cache.path.glob("index-*.marshal")
    same(index_mod.MarkIndex(recordations, cache_dir=cache))  # loaded
    copies = [dataclasses.replace(r, mark="".join(list(r.mark)), aliases=tuple("".join(list(a)) for a in r.aliases))
              for r in recordations]
    same(index_mod.MarkIndex(copies, cache_dir=cache))  # the same marks in other objects: loaded
    assert list(cache.path.glob("index-*.marshal")) and saved.exists()
    saved.write_bytes(b"not an index")
    same(index_mod.MarkIndex(recordations, cache_dir=cache))  # corrupt: built again
    # Other sets: other files, only the CACHE_KEEP used last kept (the first set's is
    # used again on the way, so the oldest dropped is the second's).
    index_mod.MarkIndex(recordations[:-1], cache_dir=cache)
    second = max(cache.path.glob("index-*.marshal"), key=lambda p: p.stat().st_mtime_ns)
    for n in range(2, index_mod.CACHE_KEEP + 1):
        os.utime(saved)
        same(index_mod.MarkIndex(recordations, cache_dir=cache))  # loaded: now the newest
        index_mod.MarkIndex(recordations[:-n], cache_dir=cache)
    assert len(list(cache.path.glob("index-*.marshal"))) == index_mod.CACHE_KEEP
    assert saved.exists() and not second.exists()


def test_strict_stops_at_the_same_row_with_workers(ipr, store, small_batches, tmp_path):
    """A malformed row under --strict ends the run after the same output, with any N."""
    lines = (HARD / "declarations.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines[:700]) + '"never closed,\n' + "".join(lines[700:900]), encoding="utf-8")

    def run(workers):
        result = ipr("check", bad, "--no-save", "--quiet", "--strict", "--format", "jsonl",
                     "--as-of", "2026-11-27", "--workers", workers)
        return result.exit_code, result.stdout

    serial = run("1")
    assert serial[0] == 2 and serial[1].count("\n") > 100
    assert run("2") == serial
