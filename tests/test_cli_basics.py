"""Things every command shares: help with examples, version, db path, the error boundary."""

from __future__ import annotations


import pytest

from ipr_cli import __version__


def all_commands():
    from typer.main import get_command

    from ipr_cli.cli import app

    root = get_command(app)

    def walk(cmd, path):
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                yield from walk(sub, path + [name])
        else:
            yield path

    return list(walk(root, []))


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p))
def test_every_command_help_has_an_example(ipr, path):
    result = ipr(*path, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout, result.stdout


def test_version(ipr):
    result = ipr("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"ipr {__version__}"


def test_db_path_follows_option_then_env(ipr, db_path, tmp_path):
    assert ipr("db", "path").stdout.strip() == str(db_path)
    assert ipr("--db", str(tmp_path / "x.db"), "db", "path").stdout.strip() == str(tmp_path / "x.db")


def test_unknown_option_is_usage_error(ipr):
    result = ipr("recordation", "list", "--bogus")
    assert result.exit_code == 2


def test_internal_error_is_short_and_traceback_only_with_debug(ipr, monkeypatch):
    import ipr_cli.store

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(ipr_cli.store.Store, "open", classmethod(boom))
    plain = ipr("recordation", "list")
    assert plain.exit_code == 4
    assert "bug" in plain.stderr and "Traceback" not in plain.stderr
    debug = ipr("--debug", "recordation", "list")
    assert debug.exit_code == 4 and "Traceback" in debug.stderr and "kaboom" in debug.stderr
    monkeypatch.setenv("IPR_DEBUG", "1")
    assert "Traceback" in ipr("recordation", "list").stderr


def test_every_format_option_is_checked_once_with_one_message(tmp_path, monkeypatch):
    """--format of any command and $IPR_FORMAT of check: the same message, exit 2."""
    from typer.testing import CliRunner

    from ipr_cli.cli import app

    monkeypatch.setenv("IPR_DB", str(tmp_path / "ipr.db"))
    runner = CliRunner()
    for args in (["recordation", "list", "--format", "XML"], ["stats", "-f", "xml"], ["report", "latest", "-f", "xml"]):
        done = runner.invoke(app, args)
        assert done.exit_code == 2 and "Unknown format 'xml'; choose one of:" in done.output, args
    monkeypatch.setenv("IPR_FORMAT", "yaml")
    done = runner.invoke(app, ["check", str(tmp_path / "none.csv")])
    assert done.exit_code == 2 and "Unknown format 'yaml'; choose one of: table, json, jsonl, csv, html, parquet" in done.output
