"""A store or an output that runs out of room: exit 3, and nothing changed or half-written.

Two ways to fill it: ``PRAGMA max_page_count`` on the store's connection (in-process,
works everywhere), and a real tiny filesystem (a tmpfs mount: needs root, skipped
otherwise).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from _robust import FIXTURES, integrity, snapshot, write_declarations, write_recordations
from ipr_cli import store as store_module


@pytest.fixture
def capped(monkeypatch):
    """Once ``room["pages"]`` is set, every store opened may grow by only that many pages."""
    room = {"pages": None}
    opened = store_module.Store.open.__func__

    def open_capped(cls, path, *, create=False):
        st = opened(cls, path, create=create)
        if room["pages"] is not None:
            pages = st.conn.execute("PRAGMA page_count").fetchone()[0]
            st.conn.execute(f"PRAGMA max_page_count = {pages + room['pages']}")
        return st

    monkeypatch.setattr(store_module.Store, "open", classmethod(open_capped))
    return room


def test_an_import_that_does_not_fit_exits_3_and_leaves_the_store_as_it_was(ipr, db_path, tmp_path, capped):
    assert ipr("recordation", "import", write_recordations(tmp_path / "old.csv", range(0, 300), "old")).exit_code == 0
    before = snapshot(db_path)
    capped["pages"] = 8
    result = ipr("recordation", "import", write_recordations(tmp_path / "new.csv", range(0, 3000), "new"))
    assert result.exit_code == 3, result.stderr
    assert "full" in result.stderr and "Nothing was changed" in result.stderr
    assert "Internal error" not in result.stderr and "Traceback" not in result.stderr
    assert integrity(db_path) == "ok"
    assert snapshot(db_path) == before


def test_a_check_whose_run_does_not_fit_exits_3_saves_nothing_and_writes_no_result(ipr, db_path, tmp_path, capped):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    before = snapshot(db_path)
    capped["pages"] = 8
    out = tmp_path / "out" / "hits.json"
    out.parent.mkdir()
    result = ipr("check", write_declarations(tmp_path / "d.csv", 3000), "--format", "json", "--output", out)
    assert result.exit_code == 3, result.stderr
    assert "full" in result.stderr
    assert snapshot(db_path) == before  # no run, no hits
    assert list(out.parent.iterdir()) == []


# --------------------------------------------------------------------------- a real full disk


@pytest.fixture
def tiny_fs(tmp_path):
    """A small tmpfs; skipped where mounting is not allowed (not root, containers)."""

    def mount(size: str) -> Path:
        where = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
        where.mkdir()
        if shutil.which("mount") is None or os.geteuid() != 0:
            pytest.skip("needs root and mount(8) for a tmpfs")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
        mounts.append(where)
        return where

    mounts: list[Path] = []
    yield mount
    for where in mounts:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_an_import_onto_a_full_disk_exits_3_and_leaves_the_store_as_it_was(ipr, tmp_path, tiny_fs, monkeypatch):
    disk = tiny_fs("2m")
    db = disk / "ipr.db"
    monkeypatch.setenv("IPR_DB", str(db))
    assert ipr("recordation", "import", write_recordations(tmp_path / "old.csv", range(0, 300), "old")).exit_code == 0
    before = snapshot(db)
    result = ipr("recordation", "import", write_recordations(tmp_path / "new.csv", range(0, 6000), "new"))
    assert result.exit_code == 3, result.stderr
    assert "full" in result.stderr
    assert "Internal error" not in result.stderr and "Traceback" not in result.stderr
    assert integrity(db) == "ok"
    assert snapshot(db) == before


def test_output_onto_a_full_disk_exits_3_and_leaves_no_half_written_file(ipr, db_path, tmp_path, tiny_fs):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    disk = tiny_fs("64k")
    out = disk / "hits.json"
    out.write_text("previous result\n", encoding="utf-8")
    before = snapshot(db_path)
    result = ipr("check", write_declarations(tmp_path / "d.csv", 3000), "--format", "json", "--output", out)
    assert result.exit_code == 3, result.stderr
    assert "Could not write" in result.stderr and "Traceback" not in result.stderr
    assert out.read_text(encoding="utf-8") == "previous result\n"  # the old file is untouched
    assert sorted(p.name for p in disk.iterdir()) == ["hits.json"]  # no temporary file left
    assert snapshot(db_path) == before  # and the run was not saved


def test_export_onto_a_full_disk_exits_3_and_leaves_no_file(ipr, tmp_path, tiny_fs):
    assert ipr("recordation", "import", write_recordations(tmp_path / "r.csv", range(0, 2000), "x")).exit_code == 0
    disk = tiny_fs("64k")
    result = ipr("recordation", "export", "--output", disk / "backup.csv")
    assert result.exit_code == 3, result.stderr
    assert list(disk.iterdir()) == []
