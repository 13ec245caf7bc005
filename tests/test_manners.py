"""Manners: completion, prompts, messages, help text, refusals that protect the user."""

from __future__ import annotations

import os
import pty
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _commands(group, prefix=()):
    import typer

    from ipr_cli.cli import app

    command = typer.main.get_command(app) if group is None else group
    for name, sub in getattr(command, "commands", {}).items():
        yield (*prefix, name), sub
        yield from _commands(sub, (*prefix, name))


def test_shell_completion_is_offered(ipr, monkeypatch):
    import typer.completion

    helped = ipr("--help")
    assert "--install-completion" in helped.stdout and "--show-completion" in helped.stdout
    # The shell is detected from the process tree, which a test run does not control.
    monkeypatch.setattr(typer.completion, "_get_shell_name", lambda: "bash")
    monkeypatch.delenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", raising=False)
    shown = ipr("--show-completion")
    assert shown.exit_code == 0 and "complete" in shown.stdout, (shown.stdout, shown.stderr)


def test_help_shows_readable_metavars_no_markup_and_groups_give_an_example(ipr):
    for path, command in _commands(None):
        out = ipr(*path, "--help").stdout
        for bad in ("<str>", "<list", "<int", "{", "``", "<Path"):
            assert bad not in out, (path, bad)
        if hasattr(command, "commands"):
            assert "Example" in out, path
    assert "check [OPTIONS] FILE...\n" in ipr("check", "--help").stdout


def test_error_messages_keep_paths_as_typed(ipr, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    result = ipr("check", "data/nosuch.csv")
    assert result.exit_code == 2
    assert "data/nosuch.csv" in result.stderr and "Data/nosuch.csv" not in result.stderr


def test_a_file_that_is_not_a_store_is_called_so(ipr, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("shopping list\n" * 200)
    result = ipr("--db", junk, "recordation", "list")
    assert result.exit_code == 3 and "not an ipr store" in result.stderr
    assert "damaged" not in result.stderr and "backup" not in result.stderr
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    result = ipr("--db", other, "recordation", "import", FIXTURES / "recordations.csv")
    assert result.exit_code == 3 and "not an ipr store" in result.stderr
    conn = sqlite3.connect(other)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["photos"]
    conn.close()


def test_remove_without_yes_and_without_a_terminal_refuses(ipr):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    result = ipr("recordation", "remove", "KCS-TM-2021-000101", input="")
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert ipr("recordation", "show", "KCS-TM-2021-000101").exit_code == 0


def test_interactive_add_hints_the_format_and_asks_again_on_a_bad_value(ipr, monkeypatch):
    from ipr_cli.cli import recordation

    monkeypatch.setattr(recordation, "stdin_is_terminal", lambda: True)
    typed = "KCS-TM-2024-000777\nQUARVEL\nQuarvel GmbH\n31/12/2030\n2030-12-31\n"
    result = ipr("recordation", "add", input=typed)
    assert result.exit_code == 0, result.stderr
    assert "YYYY-MM-DD" in result.stdout  # the hint in the prompt
    assert "not an ISO date" in result.stderr and "try again" in result.stderr
    shown = ipr("recordation", "show", "KCS-TM-2024-000777", "--format", "json").stdout
    assert "QUARVEL" in shown and "2030-12-31" in shown


def _on_terminal(args: list[str], env: dict) -> tuple[int, str, str]:
    master, slave = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "ipr_cli", *args], stdout=slave, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, env=env, timeout=120)
    os.close(slave)
    out = b""
    try:
        while chunk := os.read(master, 65536):
            out += chunk
    except OSError:
        pass
    os.close(master)
    return proc.returncode, out.decode("utf-8", "replace"), proc.stderr.decode()


def test_report_refuses_to_write_html_to_a_terminal(ipr, db_path, tmp_path):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    assert ipr("check", FIXTURES / "declarations.csv", "-f", "jsonl", "-q").exit_code == 0
    env = {**os.environ, "IPR_DB": str(db_path)}
    code, out, err = _on_terminal(["report", "latest"], env)
    assert code == 2 and "--output" in err and "<html" not in out.lower()
    code, out, err = _on_terminal(["report", "latest", "--output", str(tmp_path / "r.html")], env)
    assert code == 0 and (tmp_path / "r.html").read_text().lstrip().lower().startswith("<!doctype html")


def test_the_default_store_lives_in_the_data_directory_and_an_old_one_is_moved(ipr, tmp_path, monkeypatch):
    from ipr_cli.store import Store

    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("IPR_DB", raising=False)
    if sys.platform.startswith("linux"):
        assert ipr("db", "path").stdout.strip() == str(home / ".local" / "share" / "ipr" / "ipr.db")
    old = home / ".config" / "ipr" / "ipr.db"
    with Store.open(old, create=True) as store, store.write():
        pass
    assert ipr("--db", old, "recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    listed = ipr("recordation", "list", "--format", "json")
    assert listed.exit_code == 0 and "KCS-TM-2021-000101" in listed.stdout
    assert "moved from the old location" in listed.stderr
    assert not old.exists() and Path(ipr("db", "path").stdout.strip()).exists()
    again = ipr("recordation", "list", "--format", "json")
    assert again.exit_code == 0 and "moved" not in again.stderr
