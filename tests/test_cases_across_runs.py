"""A hit is one case across runs: re-screening the same lines links to the existing hits."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from ipr_cli.store import Store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DECLARATIONS = str(FIXTURES / "declarations.csv")


def _json(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_ten_runs_queue_each_line_once_seen_in_ten_runs(ipr):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    first = _json(ipr("check", DECLARATIONS, "--format", "json", "-q"))
    flagged = len(first["hits"])
    assert flagged > 5
    for _ in range(9):
        assert ipr("check", DECLARATIONS, "--format", "jsonl", "-q").exit_code == 0
    hits = _json(ipr("hits", "list", "--status", "open", "--format", "json"))
    assert len(hits) == flagged
    assert {h["runs_seen"] for h in hits} == {10}
    assert len({(h["file"], h["row"], h["recordation_id"]) for h in hits}) == flagged
    table = ipr("hits", "list", "--status", "open")
    assert table.stdout.count("10 runs") == flagged and "seen in" in table.stdout
    # Each run still lists what it saw.
    runs = _json(ipr("runs", "list", "--format", "json"))
    assert len(runs) == 10 and {r["open"] for r in runs} == {flagged}
    assert len(_json(ipr("hits", "list", "--run", runs[-1]["run_id"], "--format", "json"))) == flagged


def test_a_decided_hit_is_not_queued_again(ipr):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    hits = _json(ipr("check", DECLARATIONS, "--format", "json", "-q"))["hits"]
    target = hits[1]["hit_id"]
    assert ipr("decide", str(target), "false-positive", "--note", "parts catalogue, not goods").exit_code == 0
    again = _json(ipr("check", DECLARATIONS, "--format", "json", "-q"))["hits"]
    assert again[1]["hit_id"] == target  # the output names the existing case
    queue = _json(ipr("hits", "list", "--status", "open", "--format", "json"))
    assert target not in {h["hit_id"] for h in queue}
    assert len(queue) == len(hits) - 1
    shown = _json(ipr("hits", "show", str(target), "--format", "json"))
    assert shown["status"] == "false-positive" and shown["runs_seen"] == 2


def test_jsonl_hits_name_their_run_and_hit(ipr, tmp_path):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    out = tmp_path / "night.jsonl"
    assert ipr("check", DECLARATIONS, "--format", "jsonl", "--output", out, "-q").exit_code == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines and all(x["run_id"] == lines[0]["run_id"] for x in lines)
    for item in lines:
        shown = _json(ipr("hits", "show", str(item["hit_id"]), "--format", "json"))
        assert (shown["row"], shown["recordation_id"], shown["matched_text"]) == (
            item["row"], item["recordation_id"], item["matched_text"])
        assert item["run_id"] in _json(ipr("runs", "show", item["run_id"], "--format", "json"))["run_id"]
    unsaved = ipr("check", DECLARATIONS, "--format", "jsonl", "--no-save", "-q")
    first = json.loads(unsaved.stdout.splitlines()[0])
    assert "hit_id" not in first and "run_id" not in first


def test_lines_without_declaration_ids_are_the_same_line_by_file_digest(ipr, tmp_path):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    plain = tmp_path / "plain.csv"
    plain.write_text("description,hs_code\nN1KE SPORT SHOES,640411\nNIKE AIR SHOES,640411\n", encoding="utf-8")
    a = _json(ipr("check", plain, "--format", "json", "-q"))["hits"]
    b = _json(ipr("check", plain, "--format", "json", "-q"))["hits"]
    assert [h["hit_id"] for h in a] == [h["hit_id"] for h in b]
    plain.write_text("description,hs_code\nNIKE AIR SHOES,640411\nN1KE SPORT SHOES,640411\n", encoding="utf-8")
    c = _json(ipr("check", plain, "--format", "json", "-q"))["hits"]  # another file: new cases
    assert not {h["hit_id"] for h in c} & {h["hit_id"] for h in a}


def test_migration_merges_the_duplicates_of_an_older_store(tmp_path):
    from ipr_cli.migrations import migrations

    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="m015_hit_cases")
    db["recordations"].insert({"recordation_id": "R1", "mark": "NIKE", "holder": "Nike", "valid_until": "2031-01-01",
                               "status": "active", "aliases": "耐克;나이키", "hs_scope": "6403;6404",
                               "nice_classes": "25;18", "min_unit_value": "30", "currency": "USD"})
    for n, started in enumerate(("2026-11-01T09:00:00+00:00", "2026-11-02T09:00:00+00:00", "2026-11-03T09:00:00")):
        run = f"run{n}"
        db["runs"].insert({"run_id": run, "started_at": started, "as_of": started[:10],
                           "files": json.dumps([{"path": "d.csv", "sha256": "ab", "lines": 3}])})
        db["hits"].insert({"hit_id": 10 + n, "run_id": run, "file": "d.csv", "row": 2, "declaration_id": "D1",
                           "item_no": "2", "recordation_id": "R1", "mark": "NIKE", "holder": "Nike", "score": 90 + n,
                           "verdict": "hit", "matched_text": "N1KE", "reasons": "[]", "line": "{}",
                           "status": "false-positive" if n == 1 else "open",
                           "decided_at": "2026-11-02T10:00:00" if n == 1 else None,
                           "decision_note": "licensed" if n == 1 else None})
    db["decisions"].insert({"hit_id": 11, "decision": "false-positive", "note": "licensed", "at": "2026-11-02"})
    db.conn.close()
    with Store.open(path) as store:
        rows = [dict(r) for r in store.conn.execute("SELECT * FROM hits")]
        assert len(rows) == 1
        assert rows[0]["hit_id"] == 10 and rows[0]["status"] == "false-positive" and rows[0]["score"] == 92
        assert [r[0] for r in store.conn.execute("SELECT run_id FROM hit_runs ORDER BY run_id")] == [
            "run0", "run1", "run2"]
        assert store.conn.execute("SELECT hit_id FROM decisions").fetchone()[0] == 10
        # Datasette-friendly types, and what ipr reads back is unchanged.
        rec = store.conn.execute("SELECT aliases, nice_classes, typeof(min_unit_value) FROM recordations").fetchone()
        assert json.loads(rec[0]) == ["耐克", "나이키"] and json.loads(rec[1]) == [25, 18] and rec[2] == "real"
        assert store.get("R1").to_record()["min_unit_value"] == "30"
        assert store.get("R1").to_record()["aliases"] == "耐克;나이키"
        fks = {(fk.column, fk.other_table) for fk in store.db["hits"].foreign_keys}
        assert ("recordation_id", "recordations") in fks


def test_stored_lists_are_json_and_imports_stay_unchanged(ipr, db_path):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    again = ipr("recordation", "import", FIXTURES / "recordations.csv")
    assert "added 0, updated 0, unchanged 10" in again.stdout
    conn = sqlite3.connect(db_path)
    for table, column in (("recordations", "hs_scope"), ("recordations", "authorized_origins")):
        for (value,) in conn.execute(f"SELECT {column} FROM {table}"):
            assert isinstance(json.loads(value), list)
    assert {t for (t,) in conn.execute("SELECT DISTINCT typeof(min_unit_value) FROM recordations")} <= {"real", "null"}
    conn.close()


def test_hits_list_at_80_columns_keeps_words_whole(ipr, monkeypatch):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    hits = _json(ipr("check", DECLARATIONS, "--format", "json", "-q"))["hits"]
    ipr("decide", str(hits[0]["hit_id"]), "false-positive", "--note", "sample")
    ipr("decide", str(hits[2]["hit_id"]), "hold", "--note", "looks fake")
    monkeypatch.setenv("COLUMNS", "80")
    out = ipr("hits", "list").stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    words = out.split()
    for hit in hits:
        assert f"declarations.csv:{hit['row']}" in words
        for word in (*hit["mark"].split(), *hit["matched_text"].split()):
            assert word in words, word
    assert "false-positive" in words and "hold" in words
    assert any(len(w) == 10 and w[4] == "-" and w[7] == "-" for w in words)  # the deadline, whole
