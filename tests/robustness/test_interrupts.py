"""Ctrl-C (SIGINT) at any point of an import or a check: exit 130, a short message, no
traceback, and nothing half-written — the store as before, no result file, no temp file."""

from __future__ import annotations

import signal

import pytest

from _robust import (  # noqa: F401 - big_files and old_store are fixtures
    FIXTURES,
    big_files,
    child_env,
    copy_store,
    integrity,
    no_traceback,
    old_store,
    run_ipr,
    snapshot,
    spawn,
    wait_for_read,
    wait_for_wal,
    wal_size,
    write_declarations,
)


def interrupt(args, db, *, reading=None, wal_bytes=None):
    """Start the command and send SIGINT once it has read ``reading`` = (file, bytes) of
    its input, or once the WAL holds ``wal_bytes`` (it is inside its write transaction)."""
    proc = spawn(*args, env=child_env(IPR_DB=str(db)))
    if reading is not None:
        assert wait_for_read(proc, *reading, 60), "the command never read its input"
    else:
        assert wait_for_wal(proc, db, wal_bytes, 60), "the command never started writing"
    assert proc.poll() is None, "the command ended before it could be interrupted"
    wal = wal_size(db)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), wal


# While reading and validating the file (nothing written yet), and inside the write transaction.
@pytest.mark.parametrize("when", ["reading", "writing"])
def test_ctrl_c_during_import_exits_130_and_changes_nothing(tmp_path, big_files, old_store, when):
    db = copy_store(old_store, tmp_path / "s" / "ipr.db")
    before = snapshot(db)
    args = ("recordation", "import", big_files["new"])
    if when == "reading":
        code, out, err, wal = interrupt(args, db, reading=(big_files["new"], 1_000_000))
        assert wal == 0  # the transaction had not begun
    else:
        code, out, err, wal = interrupt(args, db, wal_bytes=2_000_000)
        assert wal >= 2_000_000  # part of the transaction was already on disk
    assert code == 130, err
    assert "Interrupted" in err and no_traceback(err)
    assert out == ""  # no "added ..." report
    assert integrity(db) == "ok"
    assert snapshot(db) == before


@pytest.fixture(scope="module")
def check_setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("sigint-check")
    template = base / "template.db"
    code, _, err, _ = run_ipr("recordation", "import", FIXTURES / "recordations.csv", env=child_env(IPR_DB=str(template)))
    assert code == 0, err
    return template, write_declarations(base / "declarations.csv", 30000)


@pytest.mark.parametrize("when", ["screening", "saving"])
def test_ctrl_c_during_check_exits_130_and_leaves_no_run_and_no_result(tmp_path, check_setup, when):
    template, decl = check_setup
    db = copy_store(template, tmp_path / "s" / "ipr.db")
    before = snapshot(db)
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / "hits.json").write_text("yesterday's result\n", encoding="utf-8")
    args = ("check", decl, "--format", "json", "--output", outdir / "hits.json")
    if when == "screening":
        code, out, err, wal = interrupt(args, db, reading=(decl, 1_000_000))
        assert wal == 0
    else:
        code, out, err, wal = interrupt(args, db, wal_bytes=500_000)
        assert wal >= 500_000
    assert code == 130, err
    assert "Interrupted" in err and no_traceback(err)
    assert integrity(db) == "ok"
    assert snapshot(db) == before  # no run, no hits
    # The previous result is untouched and no temporary file is left behind.
    assert [p.name for p in outdir.iterdir()] == ["hits.json"]
    assert (outdir / "hits.json").read_text(encoding="utf-8") == "yesterday's result\n"
