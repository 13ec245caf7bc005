"""Another process holds the store's write lock past the busy timeout: writers give up
cleanly (exit 3, "busy", what to do), readers go on (WAL lets them read the last commit)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from _robust import FIXTURES, snapshot

HOLDER = textwrap.dedent(
    """
    import sqlite3, sys
    con = sqlite3.connect(sys.argv[1], isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    con.execute("UPDATE meta SET value = value WHERE key = 'recordations_revision'")
    print("held", flush=True)
    sys.stdin.read()          # hold the write transaction until the test closes our stdin
    con.execute("ROLLBACK")
    """
)
TIMEOUT = 0.5


@pytest.fixture
def store(ipr, db_path):
    result = ipr("recordation", "import", FIXTURES / "recordations.csv")
    assert result.exit_code == 0
    return db_path


@pytest.fixture
def held(store, monkeypatch):
    """The store with a write transaction held open by another process."""
    monkeypatch.setenv("IPR_BUSY_TIMEOUT", str(TIMEOUT))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    yield store
    holder.stdin.close()
    assert holder.wait(timeout=10) == 0


WRITES = {
    "import": ["recordation", "import", str(FIXTURES / "recordations.csv")],
    "add": ["recordation", "add", "KCS-TM-2026-999999", "--mark", "QUORVANT", "--holder", "Q AG",
            "--valid-until", "2031-01-01"],
    "update": ["recordation", "update", "KCS-TM-2021-000101", "--contact", "x@example.com"],
    "suspend": ["recordation", "suspend", "KCS-TM-2021-000101", "--reason", "no security"],
    "remove": ["recordation", "remove", "KCS-TM-2021-000101", "--yes"],
    "check": ["check", str(FIXTURES / "declarations.csv"), "--format", "json"],
}


@pytest.mark.parametrize("command", list(WRITES))
def test_a_write_command_on_a_busy_store_exits_3_saying_busy_and_what_to_do(ipr, held, command):
    before = snapshot(held)
    start = time.monotonic()
    result = ipr(*WRITES[command])
    waited = time.monotonic() - start
    assert result.exit_code == 3, result.stderr
    assert "busy" in result.stderr
    assert "run the command again" in result.stderr and "IPR_BUSY_TIMEOUT" in result.stderr
    assert "Traceback" not in result.stderr
    assert waited >= TIMEOUT * 0.8  # it waited for the lock as long as it was told to...
    assert waited < TIMEOUT + 4  # ...and not the default 5 s
    assert snapshot(held) == before


def test_check_into_a_file_on_a_busy_store_leaves_no_result_file(ipr, held, tmp_path):
    out = tmp_path / "out" / "hits.json"
    out.parent.mkdir()
    result = ipr("check", FIXTURES / "declarations.csv", "--format", "json", "--output", out)
    assert result.exit_code == 3, result.stderr
    assert list(out.parent.iterdir()) == []  # no result of an unsaved run, no temporary file


@pytest.mark.parametrize(
    "args",
    [
        ["recordation", "list"],
        ["recordation", "show", "KCS-TM-2021-000101"],
        ["recordation", "search", "nike"],
        ["recordation", "export", "--format", "json"],
        ["check", str(FIXTURES / "declarations.csv"), "--no-save", "--format", "jsonl"],
    ],
    ids=["list", "show", "search", "export", "check --no-save"],
)
def test_read_commands_keep_working_while_another_process_writes(ipr, held, args):
    start = time.monotonic()
    result = ipr(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip()
    assert time.monotonic() - start < TIMEOUT * 0.8 + 2  # no waiting for the lock


def test_writes_work_again_once_the_lock_is_released(ipr, store, monkeypatch):
    monkeypatch.setenv("IPR_BUSY_TIMEOUT", str(TIMEOUT))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    assert ipr(*WRITES["add"]).exit_code == 3
    holder.stdin.close()
    holder.wait(timeout=10)
    result = ipr(*WRITES["add"])
    assert result.exit_code == 0, result.stderr
    assert ipr("recordation", "show", "KCS-TM-2026-999999").exit_code == 0
