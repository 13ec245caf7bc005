"""The matcher's index cache (issue 19, item 3) is not trusted as found: a forged file
once silently removed a mark's forms (its flags went from 5 to 0, exit 0), and a file
of the wrong shape made every check exit 4 until deleted.  Files are sealed with a
secret kept in the store; anything else is rebuilt; a directory that is not the user's
own, or that others may write to, is not used at all."""

from __future__ import annotations

import json
import marshal
import os
import sqlite3

import pytest

from _robust import FIXTURES
from ipr_cli.matching import index as index_mod


@pytest.fixture
def cached(ipr, tmp_path, monkeypatch):
    """The fixture register, with the cache used from one recordation on (it is 5,000)."""
    monkeypatch.setattr(index_mod, "CACHE_MIN_RECORDATIONS", 1)
    cache = tmp_path / "cache"
    monkeypatch.setenv("IPR_CACHE_DIR", str(cache))
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    return cache


def nike_flags(ipr) -> tuple[int, list[str], str]:
    result = ipr("check", FIXTURES / "declarations.csv", "--format", "json", "--no-save")
    assert result.exit_code == 0, result.stderr
    return sum(h["mark"] == "NIKE" for h in json.loads(result.stdout)["hits"]), result.stderr


def files(cache):
    return sorted(cache.glob("index-*.marshal"))


def without_nike():
    """What an attacker writes: the index as the cache once held it, NIKE's forms taken out."""
    from ipr_cli.readers import read_records
    from ipr_cli.recordations import parse_all

    path = str(FIXTURES / "recordations.csv")
    recordations = sorted(parse_all(read_records(path), path), key=lambda r: r.recordation_id)
    index = index_mod.MarkIndex(recordations)
    nike = next(i for i, r in enumerate(recordations) if r.mark == "NIKE")
    rows = [(f.rec, f.text, f.kind, f.key, f.fold, f.phon, f.words, f.common, f.native)
            for f in index.forms if f.rec != nike]
    return rows, index.by_delete


def test_a_forged_cache_does_not_remove_a_marks_forms(ipr, cached):
    honest, _ = nike_flags(ipr)
    assert honest >= 3 and files(cached)
    rows, by_delete = without_nike()
    for path in files(cached):  # as the cache was written before: unsealed
        path.write_bytes(marshal.dumps((rows, by_delete)))
    assert nike_flags(ipr)[0] == honest
    for path in files(cached):  # sealed, but not with the store's secret
        path.write_bytes(index_mod._MAGIC + b"\0" * index_mod._SEAL_BYTES + marshal.dumps((rows, by_delete)))
    assert nike_flags(ipr)[0] == honest


def test_a_cache_of_the_wrong_shape_is_rebuilt_not_a_crash(ipr, cached, db_path):
    honest, _ = nike_flags(ipr)
    for path in files(cached):
        path.write_bytes(marshal.dumps(([], 5)))
    assert nike_flags(ipr)[0] == honest  # before: exit 4 on every check until the file was deleted
    # Even sealed with the store's own secret, a file of another shape is rebuilt.
    with sqlite3.connect(db_path) as conn:
        (key,) = conn.execute("SELECT value FROM meta WHERE key = 'index_cache_key'").fetchone()
    for payload in (marshal.dumps(([(0,) * 9], {})), marshal.dumps(([], {"abc": 5})), marshal.dumps("x"), b"\x00"):
        for path in files(cached):
            path.write_bytes(index_mod._MAGIC + index_mod._seal(bytes.fromhex(key), payload) + payload)
        assert nike_flags(ipr)[0] == honest


def test_a_sealed_cache_is_used(ipr, cached, monkeypatch):
    built = []
    real = index_mod._deletion_index
    monkeypatch.setattr(index_mod, "_deletion_index", lambda forms: built.append(1) or real(forms))
    first, _ = nike_flags(ipr)
    again, _ = nike_flags(ipr)
    assert built == [1] and first == again  # the second run loaded it


@pytest.mark.parametrize("how", ["group or world writable", "another user's", "a symbolic link"])
def test_a_cache_directory_others_control_is_not_used(ipr, cached, tmp_path, how):
    honest, _ = nike_flags(ipr)
    for path in files(cached):
        path.unlink()
    if how == "group or world writable":
        cached.chmod(0o777)
    elif how == "another user's":
        if os.getuid() != 0:
            pytest.skip("only root can give a directory away")
        os.chown(cached, 65534, 65534)
    else:
        elsewhere = tmp_path / "elsewhere"
        cached.rename(elsewhere)
        cached.symlink_to(elsewhere)
    flags, stderr = nike_flags(ipr)
    assert flags == honest
    assert stderr.count("the index cache is not used") == 1  # warned once
    assert not list((tmp_path / "elsewhere" if how == "a symbolic link" else cached).glob("index-*"))
