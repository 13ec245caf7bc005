"""Outputs never destroy (issue 19, items 1, 2, 4, 8; issue 17, pipes):

``--output`` refuses the store, the files beside it and the run's inputs; a device, a
FIFO or standard output is written into, never replaced; a closed pipe ends quietly
with the exit code ``--fail-on`` asks for; a full disk on standard output is exit 3;
a busy store stops ``check`` before it prints a single hit.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading

import pytest

from _robust import FIXTURES, ROOT, child_env, integrity, no_traceback, run_ipr, write_declarations


@pytest.fixture
def store(ipr, db_path):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    assert ipr("check", FIXTURES / "declarations.csv").exit_code == 0  # a run and hits to report
    return db_path


def _digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _recordations(db) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM recordations").fetchone()[0]
    finally:
        con.close()


# Every command with --output, as (arguments before --output).
OUTPUT_COMMANDS = [
    ("check", str(FIXTURES / "declarations.csv"), "--format", "json"),
    ("report", "latest", "--format", "json"),
    ("recordation", "export"),
    ("hits", "export", "--holder", "Zorvex Industrial AG", "--status", "all"),
]


@pytest.mark.parametrize("args", OUTPUT_COMMANDS, ids=lambda a: " ".join(a[:2]))
@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_output_refuses_the_store_and_the_files_beside_it(ipr, store, args, suffix):
    before = _recordations(store)
    target = f"{store}{suffix}"
    existed = os.path.exists(target)
    result = ipr(*args, "--output", target)
    assert result.exit_code == 2, result.stderr
    assert "--output" in result.stderr and "store" in result.stderr
    assert integrity(store) == "ok" and _recordations(store) == before
    assert os.path.exists(target) == existed  # nothing created or replaced there


def test_output_refuses_the_store_under_another_name(ipr, store, tmp_path):
    """A hard link or a symlink to the store is the store."""
    hard = tmp_path / "alias.db"
    os.link(store, hard)
    soft = tmp_path / "soft.db"
    soft.symlink_to(store)
    for target in (hard, soft):
        result = ipr("recordation", "export", "--output", target)
        assert result.exit_code == 2, result.stderr
    assert integrity(store) == "ok" and _recordations(store) == 10


def test_output_refuses_an_input_file_of_the_run(ipr, store, tmp_path):
    decl = tmp_path / "decl.csv"
    decl.write_bytes((FIXTURES / "declarations.csv").read_bytes())
    other = tmp_path / "other.csv"
    other.write_bytes(decl.read_bytes())
    before = _digest(decl)
    for target in (decl, other):
        result = ipr("check", decl, other, "--format", "csv", "--output", target)
        assert result.exit_code == 2, result.stderr
        assert "input file" in result.stderr
    assert _digest(decl) == before and _digest(other) == before


def test_output_onto_a_device_writes_into_it(ipr, store, tmp_path):
    if os.path.exists("/dev/null") and os.geteuid() != 0:
        node = "/dev/null"
    else:  # as root, a private null device: a broken ipr must not replace the real one
        node = str(tmp_path / "null")
        try:
            os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except (OSError, AttributeError):
            pytest.skip("cannot make a device node here")
    for args in OUTPUT_COMMANDS:
        result = ipr(*args, "--output", node)
        assert result.exit_code == 0, (args, result.stderr)
        assert stat.S_ISCHR(os.stat(node).st_mode), f"{args[0]} replaced the device with a file"
    assert [n for n in os.listdir(os.path.dirname(node)) if n.endswith(".tmp")] == []


def test_output_onto_a_fifo_writes_into_it(ipr, store, tmp_path):
    fifo = tmp_path / "hits.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    result = ipr("check", FIXTURES / "declarations.csv", "--format", "jsonl", "--output", fifo)
    reader.join(30)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO was replaced by a regular file"
    assert received and received[0].count(b"\n") >= 10 and b'"recordation_id"' in received[0]


def test_output_to_dev_stdout_appends_to_a_redirected_log(store, tmp_path):
    log = tmp_path / "hits.log"
    log.write_text("yesterday's hits\n", encoding="utf-8")
    for _ in range(2):
        with open(log, "ab") as out:  # ipr ... -o /dev/stdout >> hits.log
            proc = subprocess.run(
                [sys.executable, "-m", "ipr_cli", "check", str(FIXTURES / "declarations.csv"), "--format", "jsonl",
                 "--quiet", "--no-save", "--output", "/dev/stdout"],
                stdout=out, stderr=subprocess.PIPE, env=child_env(IPR_DB=str(store)), cwd=ROOT, timeout=120,
            )
        assert proc.returncode == 0, proc.stderr
    text = log.read_text(encoding="utf-8")
    assert text.startswith("yesterday's hits\n"), "the log was truncated"
    lines = text.splitlines()[1:]
    assert len(lines) % 2 == 0 and lines[: len(lines) // 2] == lines[len(lines) // 2:]
    assert stat.S_ISREG(os.stat(log).st_mode)


# --------------------------------------------------------------------------- pipes

READ_ONE_LINE = textwrap.dedent(
    """
    import subprocess, sys
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()       # head -1
    proc.stdout.close()
    err = proc.stderr.read()
    sys.stdout.write("%d\\n" % proc.wait())
    sys.stdout.write(err.decode("utf-8", "replace"))
    """
)


@pytest.fixture(scope="module")
def many_lines(tmp_path_factory):
    """Enough flagged lines that every format overflows a pipe before it is done."""
    return write_declarations(tmp_path_factory.mktemp("pipe") / "many.csv", 3000)


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv", "html"])
@pytest.mark.parametrize("fail_on", [None, "hit"])
def test_a_closed_pipe_ends_quietly_with_the_promised_exit_code(store, many_lines, fmt, fail_on):
    args = [sys.executable, "-m", "ipr_cli", "check", str(many_lines), "--format", fmt]
    if fail_on:
        args += ["--fail-on", fail_on]
    proc = subprocess.run([sys.executable, "-c", READ_ONE_LINE, *args], capture_output=True, text=True,
                          env=child_env(IPR_DB=str(store), COLUMNS="100"), cwd=ROOT, timeout=300)
    code, _, stderr = proc.stdout.partition("\n")
    # Hits were found before the pipe closed: --fail-on hit says 1, without it 0.
    assert int(code) == (1 if fail_on else 0), stderr
    assert stderr == "", f"a closed pipe is not an error, yet ipr said: {stderr!r}"


def test_a_busy_store_stops_check_before_any_hit_is_printed(store, tmp_path):
    con = sqlite3.connect(store, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")  # another writer holds the store
    try:
        code, out, err, _ = run_ipr("check", FIXTURES / "declarations.csv", "--format", "jsonl",
                                    env=child_env(IPR_DB=str(store), IPR_BUSY_TIMEOUT="0.3"))
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert code == 3, err
    assert out == "", "hits went out although the run could not be saved"
    assert "busy" in err and no_traceback(err)


def test_no_save_does_not_need_the_write_lock(store):
    con = sqlite3.connect(store, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        code, out, err, _ = run_ipr("check", FIXTURES / "declarations.csv", "--format", "jsonl", "--no-save",
                                    env=child_env(IPR_DB=str(store), IPR_BUSY_TIMEOUT="0.3"))
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert code == 0 and out.count("\n") >= 10, err


# --------------------------------------------------------------------------- full disk


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv", "html"])
def test_standard_output_on_a_full_disk_is_exit_3(store, fmt):
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "ipr_cli", "check", str(FIXTURES / "declarations.csv"), "--format", fmt],
            stdout=full, stderr=subprocess.PIPE, env=child_env(IPR_DB=str(store)), cwd=ROOT, timeout=120,
        )
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 3, err
    assert "standard output" in err and "No space left" in err and no_traceback(err)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_listing_on_a_full_disk_is_exit_3(store):
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([sys.executable, "-m", "ipr_cli", "recordation", "list", "--format", "json"],
                              stdout=full, stderr=subprocess.PIPE, env=child_env(IPR_DB=str(store)), cwd=ROOT,
                              timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert b"No space left" in proc.stderr

