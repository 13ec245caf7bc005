"""Stored data never poisons, the terminal is never driven by data (issue 19, items 9,
10, 11 and parts of 15): out-of-range ids and impossible paths are bad usage (exit 2);
a stored value outside the contract or a newer schema is a store failure naming what
(exit 3); a store that is a symlink, another user's, or writable by others is refused;
control characters in messages are shown, not obeyed; stray temporary files do not
outlive the next write; a read-only store directory still lets reads work."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from _robust import FIXTURES, ROOT, child_env, integrity, no_traceback

HUGE = "99999999999999999999999"


@pytest.fixture
def store(ipr, db_path):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    return db_path


def _sql(db, sql, *params):
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute(sql, params)
    finally:
        con.close()


# --------------------------------------------------------------------------- item 9


@pytest.mark.parametrize("args", [
    ("decide", HUGE, "hold", "--note", "x"),
    ("hits", "show", HUGE),
    ("allow", "remove", HUGE),
    ("deny", "remove", HUGE),
])
def test_an_out_of_range_id_is_bad_usage_not_a_bug(ipr, store, args):
    result = ipr(*args)
    assert result.exit_code == 2, result.stderr
    assert HUGE in result.stderr and "Internal error" not in result.stderr


def test_an_unknown_user_in_the_store_path_is_bad_usage(ipr, monkeypatch):
    monkeypatch.setenv("IPR_DB", "~nosuchuser-ipr/x.db")
    result = ipr("recordation", "list")
    assert result.exit_code == 2, result.stderr
    assert "~nosuchuser-ipr" in result.stderr and "Internal error" not in result.stderr


@pytest.mark.parametrize("field, value", [
    ("status", "pending"),
    ("valid_until", "2026-02-30"),
    ("valid_from", "yesterday"),
    ("nice_classes", "25;x"),
    ("min_unit_value", "ten"),
])
def test_a_stored_value_outside_the_contract_is_a_store_failure_naming_it(ipr, store, field, value):
    _sql(store, f"UPDATE recordations SET {field} = ? WHERE recordation_id = 'KCS-TM-2021-000101'", value)
    for args in (("check", FIXTURES / "declarations.csv"), ("recordation", "list"),
                 ("recordation", "show", "KCS-TM-2021-000101")):
        result = ipr(*args)
        assert result.exit_code == 3, (args, result.stderr)
        assert "KCS-TM-2021-000101" in result.stderr and field in result.stderr, result.stderr
        assert "Internal error" not in result.stderr


def test_a_store_of_a_newer_schema_version_is_refused(ipr, store):
    _sql(store, "PRAGMA user_version = 99")
    result = ipr("recordation", "list")
    assert result.exit_code == 3, result.stderr
    assert "newer" in result.stderr


def test_a_store_with_an_unknown_migration_is_refused_and_left_alone(ipr, store):
    _sql(store, "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('ipr', 'm999_future', 'x')")
    before = open(store, "rb").read()
    for args in (("recordation", "list"), ("recordation", "import", FIXTURES / "recordations.csv")):
        result = ipr(*args)
        assert result.exit_code == 3, result.stderr
        assert "m999_future" in result.stderr
    assert open(store, "rb").read() == before


# --------------------------------------------------------------------------- item 10

OSC52 = "\x1b]52;c;aGVsbG8=\x07"
DSR = "\x1b[6n"
BIDI = "\u202e"


def _no_controls(text: str) -> bool:
    return not any(ch in text for ch in ("\x1b", "\x07", "\x9b", BIDI))


def test_control_characters_in_a_file_name_are_shown_not_obeyed(ipr, store, tmp_path):
    result = ipr("check", tmp_path / f"a{OSC52}b{DSR}{BIDI}.csv")
    assert result.exit_code == 2
    assert _no_controls(result.stderr), repr(result.stderr)
    assert "\\x1b]52" in result.stderr  # visible, so the officer sees something is odd


def test_control_characters_in_headers_and_rows_are_shown_not_obeyed(ipr, store, tmp_path):
    bad = tmp_path / "marks.csv"
    bad.write_text(f"recordation_id,mark,holder,valid_until,x{DSR}\nR-1,{OSC52},H,2030-01-01,1\n", encoding="utf-8")
    result = ipr("recordation", "import", bad)
    assert result.exit_code == 2
    assert _no_controls(result.stderr), repr(result.stderr)


def test_control_characters_in_a_column_option_are_shown_not_obeyed(ipr, store, tmp_path):
    result = ipr("check", FIXTURES / "declarations.csv", "--columns", f"brand={DSR}")
    assert result.exit_code == 2
    assert _no_controls(result.stderr), repr(result.stderr)


def test_control_characters_in_warnings_and_import_messages_are_shown_not_obeyed(ipr, store, tmp_path):
    name = tmp_path / f"r{DSR}.csv"
    name.write_bytes((FIXTURES / "recordations.csv").read_bytes())
    result = ipr("recordation", "import", name)
    assert result.exit_code == 0
    assert _no_controls(result.stdout + result.stderr), repr(result.stdout)


def test_control_characters_in_click_errors_are_shown_not_obeyed(ipr, store):
    result = ipr("check", FIXTURES / "declarations.csv", f"--x{DSR}")
    assert result.exit_code == 2
    assert _no_controls(result.stderr + result.stdout), repr(result.stderr)


# --------------------------------------------------------------------------- item 11


def test_a_symlink_at_the_store_path_is_refused(ipr, store, tmp_path, monkeypatch):
    link = tmp_path / "link.db"
    link.symlink_to(store)
    monkeypatch.setenv("IPR_DB", str(link))
    result = ipr("recordation", "list")
    assert result.exit_code == 3, result.stderr
    assert "symbolic link" in result.stderr


def test_a_dangling_symlink_does_not_create_a_store_at_its_target(ipr, tmp_path, monkeypatch):
    target = tmp_path / "elsewhere" / "victim.db"
    target.parent.mkdir()
    link = tmp_path / "link.db"
    link.symlink_to(target)
    monkeypatch.setenv("IPR_DB", str(link))
    result = ipr("recordation", "import", FIXTURES / "recordations.csv")
    assert result.exit_code == 3, result.stderr
    assert not target.exists()


def test_a_store_writable_by_others_is_refused(ipr, store):
    os.chmod(store, 0o666)
    result = ipr("recordation", "list")
    assert result.exit_code == 3, result.stderr
    assert "other users" in result.stderr and "chmod 600" in result.stderr


def test_a_file_planted_by_another_user_is_not_adopted(ipr, tmp_path, monkeypatch):
    planted = tmp_path / "shared" / "ipr.db"
    planted.parent.mkdir()
    planted.write_bytes(b"")
    os.chmod(planted, 0o600)
    monkeypatch.setenv("IPR_DB", str(planted))
    if os.geteuid() == 0:
        os.chown(planted, 65534, 65534)  # nobody's
    else:
        real = os.getuid()
        monkeypatch.setattr(os, "getuid", lambda: real + 1)  # as if it were another user's
    result = ipr("recordation", "import", FIXTURES / "recordations.csv")
    assert result.exit_code == 3, result.stderr
    assert "another user" in result.stderr
    assert planted.stat().st_size == 0


# --------------------------------------------------------------------------- item 15


def test_stray_temporary_files_do_not_outlive_the_next_write(ipr, store, tmp_path):
    out = tmp_path / "hits.json"
    dead = 4_000_000  # above pid_max: no such process
    strays = [
        tmp_path / f".hits.json.{dead}-0123abcd.tmp",  # a killed writer's
        tmp_path / ".hits.json.k2j4_a9x.tmp",  # an older ipr's (mkstemp naming), long ago
    ]
    for stray in strays:
        stray.write_text("half a result", encoding="utf-8")
    old = time.time() - 3600
    os.utime(strays[1], (old, old))
    unrelated = tmp_path / ".other.json.k2j4_a9x.tmp"
    unrelated.write_text("not ours to remove", encoding="utf-8")
    result = ipr("check", FIXTURES / "declarations.csv", "--format", "json", "--output", out)
    assert result.exit_code == 0, result.stderr
    assert out.exists()
    assert [p for p in strays if p.exists()] == []
    assert unrelated.exists()


def test_a_live_writers_temporary_file_is_left_alone(ipr, store, tmp_path):
    from ipr_cli import tempfiles

    fd, path = tempfiles.create(str(tmp_path), "hits.json")  # held, as by a running ipr
    try:
        result = ipr("check", FIXTURES / "declarations.csv", "--format", "json", "--output", tmp_path / "hits.json")
        assert result.exit_code == 0
        assert os.path.exists(path)
    finally:
        os.close(fd)


# As root, permissions do not bind: the child drops the capability to override them
# (from its bounding set, so that the exec'd ipr runs without it) before it starts ipr.
AS_PLAIN_USER = (
    "import ctypes, os, sys\n"
    "if os.geteuid() == 0:\n"
    "    libc = ctypes.CDLL(None, use_errno=True)\n"
    "    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH\n"
    "        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP\n"
    "            sys.exit(99)\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'ipr_cli', *sys.argv[1:]])\n"
)


def test_a_read_only_store_directory_does_not_stop_reads(store, tmp_path):
    """As a user who may not write the store's directory: reads work, writes say why."""
    if not sys.platform.startswith("linux"):
        pytest.skip("drops Linux capabilities to act as a plain user")
    shared = tmp_path / "shared"
    shared.mkdir()
    db = shared / "ipr.db"
    shutil.copy2(store, db)
    os.chmod(shared, 0o555)
    env = child_env(IPR_DB=str(db), XDG_CACHE_HOME=str(tmp_path / "cache"))
    try:
        def run(*args):
            return subprocess.run([sys.executable, "-c", AS_PLAIN_USER, *map(str, args)], capture_output=True,
                                  text=True, env=env, cwd=ROOT, timeout=120)

        listing = run("recordation", "list", "--format", "json")
        if listing.returncode == 99:
            pytest.skip("cannot drop root's capabilities here")
        assert listing.returncode == 0, listing.stderr
        assert "KCS-TM-2021-000101" in listing.stdout
        check = run("check", FIXTURES / "declarations.csv", "--no-save", "--format", "jsonl")
        assert check.returncode == 0 and check.stdout.count("\n") >= 10, check.stderr
        change = run("recordation", "suspend", "KCS-TM-2021-000101", "--reason", "x")
        assert change.returncode == 3, change.stderr
        assert "read-only" in change.stderr and no_traceback(change.stderr)
    finally:
        os.chmod(shared, 0o755)
    assert integrity(db) == "ok"
    assert sorted(os.listdir(shared)) == ["ipr.db"]


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "-1", "1e300", "soon"])
def test_a_busy_timeout_that_cannot_be_honoured_is_refused(ipr, store, monkeypatch, value):
    monkeypatch.setenv("IPR_BUSY_TIMEOUT", value)
    result = ipr("recordation", "list")
    assert result.exit_code == 2, result.stderr
    assert "IPR_BUSY_TIMEOUT" in result.stderr


def test_busy_timeout_in_range_is_used(ipr, store, monkeypatch):
    monkeypatch.setenv("IPR_BUSY_TIMEOUT", "0.5")
    assert ipr("recordation", "list").exit_code == 0


def test_an_unknown_status_filter_is_refused(ipr, store):
    result = ipr("recordation", "list", "--status", "bogus")
    assert result.exit_code == 2
    assert "active" in result.stderr and "suspended" in result.stderr and "expired" in result.stderr
