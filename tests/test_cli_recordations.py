"""The liaison's commands, end to end through the CLI (issue: foundation)."""

from __future__ import annotations

import csv
import json
import os
import stat

import pytest

from conftest import DATA, FIXTURES

EVAL_RECORDATIONS = DATA / "eval-dev" / "recordations.csv"


def rows_of(path) -> int:
    with open(path, encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.DictReader(f))


def test_import_counts_and_reimport_is_unchanged(ipr):
    n = rows_of(EVAL_RECORDATIONS)
    first = ipr("recordation", "import", EVAL_RECORDATIONS)
    assert first.exit_code == 0, first.stderr
    assert f"added {n}, updated 0, unchanged 0" in first.stdout
    listed = json.loads(ipr("recordation", "list", "--format", "json").stdout)
    assert len(listed) == n
    again = ipr("recordation", "import", EVAL_RECORDATIONS)
    assert f"added 0, updated 0, unchanged {n}" in again.stdout


def test_export_import_export_is_byte_identical(ipr, tmp_path, monkeypatch):
    assert ipr("recordation", "import", EVAL_RECORDATIONS).exit_code == 0
    first = tmp_path / "first.csv"
    assert ipr("recordation", "export", "--output", first).exit_code == 0
    monkeypatch.setenv("IPR_DB", str(tmp_path / "second.db"))
    assert ipr("recordation", "import", first).exit_code == 0
    second = tmp_path / "second.csv"
    assert ipr("recordation", "export", "--output", second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    # the JSON export round-trips too
    j1 = tmp_path / "a.json"
    assert ipr("recordation", "export", "--format", "json", "--output", j1).exit_code == 0
    monkeypatch.setenv("IPR_DB", str(tmp_path / "third.db"))
    assert ipr("recordation", "import", j1).exit_code == 0
    j2 = tmp_path / "b.json"
    assert ipr("recordation", "export", "--format", "json", "--output", j2).exit_code == 0
    assert j1.read_bytes() == j2.read_bytes()


def test_bad_rows_are_all_named_and_nothing_is_written(ipr, tmp_path, db_path):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    before = ipr("recordation", "export").stdout
    with open(EVAL_RECORDATIONS, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0])
    rows[2]["authorized_origins"] = "XQ"
    rows[4]["hs_scope"] = "64A3"
    rows[6]["valid_from"], rows[6]["valid_until"] = "2030-01-01", "2029-01-01"
    rows[8]["mark"] = ""
    rows[10]["nice_classes"] = "46"
    bad = tmp_path / "bad.csv"
    with open(bad, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, header)
        w.writeheader()
        w.writerows(rows)
    result = ipr("recordation", "import", bad)
    assert result.exit_code == 2
    err = result.stderr
    assert "Traceback" not in err
    for row, field in [(3, "authorized_origins"), (5, "hs_scope"), (7, "valid_until"), (9, "mark"), (11, "nice_classes")]:
        assert f"row {row}, {field}" in err, (row, field, err)
    assert "nothing was imported" in err
    assert ipr("recordation", "export").stdout == before


def test_read_command_without_store_exits_2_and_creates_nothing(ipr, db_path):
    for args in (["recordation", "list"], ["recordation", "show", "X"], ["audit"], ["recordation", "export"]):
        result = ipr(*args)
        assert result.exit_code == 2, args
        assert "No store" in result.stderr
    assert not db_path.exists()
    assert not db_path.parent.exists() or not any(db_path.parent.iterdir())


def test_store_is_owner_only(ipr, db_path):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600


def test_audit_names_who_when_and_what(ipr):
    rid = "KCS-TM-2024-000999"
    steps = [
        ("recordation", "add", rid, "--mark", "QUARVEL", "--holder", "Quarvel GmbH", "--valid-until", "2030-01-01", "--hs-scope", "8467"),
        ("recordation", "update", rid, "--contact", "ip@quarvel.example"),
        ("recordation", "renew", rid, "--until", "2035-01-01"),
        ("recordation", "suspend", rid, "--reason", "security not lodged"),
        ("recordation", "reinstate", rid, "--note", "security lodged"),
        ("recordation", "remove", rid, "--yes"),
    ]
    for step in steps:
        result = ipr(*step)
        assert result.exit_code == 0, (step, result.stderr)
    trail = json.loads(ipr("audit", "--recordation", rid, "--format", "json").stdout)
    assert [e["action"] for e in trail] == ["add", "update", "renew", "suspend", "reinstate", "remove"]
    import getpass

    assert {e["user"] for e in trail} == {getpass.getuser()}
    assert all(e["at"][:4].isdigit() for e in trail)
    renew = trail[2]
    assert renew["before"] == {"valid_until": "2030-01-01"}
    assert renew["after"] == {"valid_until": "2035-01-01"}
    assert trail[3]["note"] == "security not lodged"
    assert trail[5]["before"]["mark"] == "QUARVEL"


def test_csv_export_neutralises_formulas_and_import_restores_them(ipr, tmp_path, monkeypatch):
    dangerous = ["=HYPERLINK(\"http://x\")", "+1+2", "-3", "@SUM(A1)", "\tTAB", "\rCR", "'=already quoted"]
    src = tmp_path / "src.csv"
    with open(src, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["recordation_id", "mark", "holder", "valid_until", "notes"])
        for i, value in enumerate(dangerous):
            w.writerow([f"ID-{i}", f"MARK{i}", "Holder", "2030-01-01", value])
    src_json = tmp_path / "src.json"
    src_json.write_text(json.dumps([
        {"recordation_id": f"ID-{i}", "mark": f"MARK{i}", "holder": "Holder", "valid_until": "2030-01-01", "notes": v}
        for i, v in enumerate(dangerous)
    ]), encoding="utf-8")
    assert ipr("recordation", "import", src_json).exit_code == 0
    out = tmp_path / "out.csv"
    assert ipr("recordation", "export", "--output", out).exit_code == 0
    with open(out, encoding="utf-8", newline="") as f:
        notes = [r["notes"] for r in csv.DictReader(f)]
    assert all(n[0] not in "=+-@\t\r" for n in notes), notes
    # import restores the values exactly; export again is byte-identical
    monkeypatch.setenv("IPR_DB", str(tmp_path / "b.db"))
    assert ipr("recordation", "import", out).exit_code == 0
    shown = json.loads(ipr("recordation", "export", "--format", "json").stdout)
    assert sorted(r["notes"] for r in shown) == sorted(dangerous)
    out2 = tmp_path / "out2.csv"
    assert ipr("recordation", "export", "--output", out2).exit_code == 0
    assert out.read_bytes() == out2.read_bytes()


def test_add_without_terminal_names_missing_fields(ipr):
    result = ipr("recordation", "add", "ID-1", "--mark", "QUARVEL")
    assert result.exit_code == 2
    assert "holder" in result.stderr and "valid_until" in result.stderr


def test_list_filters_and_show_and_search(ipr):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    suspended = json.loads(ipr("recordation", "list", "--status", "suspended", "--format", "json").stdout)
    assert [r["mark"] for r in suspended] == ["SORELLO"]
    tools = json.loads(ipr("recordation", "list", "--hs", "846721", "--format", "json").stdout)
    assert [r["mark"] for r in tools] == ["ZORVEX"]
    shown = json.loads(ipr("recordation", "show", "KCS-TM-2024-000606", "--format", "json").stdout)
    assert shown["authorized_origins"] == ["DE", "CH"]
    found = json.loads(ipr("recordation", "search", "luis vuiton", "--format", "json").stdout)
    assert found[0]["mark"] == "LOUIS VUITTON"
    missing = ipr("recordation", "show", "NOPE")
    assert missing.exit_code == 2 and "No recordation 'NOPE'" in missing.stderr


def test_dry_run_changes_nothing(ipr, db_path):
    result = ipr("recordation", "import", FIXTURES / "recordations.csv", "--dry-run")
    assert result.exit_code == 0 and "would add 10" in result.stdout
    assert not db_path.exists()


def test_sql_injection_id_round_trips_as_data(ipr):
    rid = "x'); DROP TABLE recordations;--"
    assert ipr("recordation", "add", rid, "--mark", "QUARVEL", "--holder", "H", "--valid-until", "2030-01-01").exit_code == 0
    shown = json.loads(ipr("recordation", "show", rid, "--format", "json").stdout)
    assert shown["recordation_id"] == rid


@pytest.mark.parametrize(
    "args",
    [
        ["recordation", "import", "/nonexistent/file.csv"],
        ["recordation", "add", "X", "--mark", "M", "--holder", "H", "--valid-until", "2030-02-30"],
        ["recordation", "renew", "NOPE", "--until", "2030-01-01"],
        ["recordation", "list", "--format", "xml"],
        ["--db", "/proc/nope/ipr.db", "recordation", "list"],
    ],
)
def test_user_errors_print_no_traceback(ipr, args):
    result = ipr(*args)
    assert result.exit_code == 2, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error:")
