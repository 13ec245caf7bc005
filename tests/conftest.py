"""Shared fixtures: every test gets its own store; nothing touches the home directory."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from typer.testing import CliRunner

# Tests write only into temporary directories: no Hypothesis example database, nor its
# caches, in the tree (and no pytest cache: see pyproject.toml).
settings.register_profile("ipr", database=None)
settings.load_profile("ipr")
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="ipr-tests-hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, True)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def isolated_store(tmp_path, monkeypatch) -> Path:
    db = tmp_path / "store" / "ipr.db"
    monkeypatch.setenv("IPR_DB", str(db))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    # Nothing a test runs (ipr, a browser) writes into the user's home or caches.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("IPR_CACHE_DIR", raising=False)
    monkeypatch.delenv("IPR_DEBUG", raising=False)
    monkeypatch.delenv("IPR_FORMAT", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    return db


class Run:
    """Invoke ``ipr`` in-process, with stdout and stderr kept apart."""

    def __init__(self) -> None:
        from ipr_cli.cli import app

        self.app = app
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | bytes | None = None):
        return self.runner.invoke(self.app, [str(a) for a in args], input=input, catch_exceptions=False)


@pytest.fixture
def ipr() -> Run:
    return Run()


@pytest.fixture
def db_path(isolated_store) -> Path:
    return isolated_store
