"""Casework: runs, hits, decisions, allow and deny lists, stats, export; the whole case end to end.

Most tests seed the store through ``Store.save_run`` (no matcher needed); the case walk
at the end runs the real ``ipr check``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ipr_cli import casework

from ipr_cli.models import DeclarationLine, Hit, Verdict
from ipr_cli.store import Store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NIKE = "KCS-TM-2021-000101"
LV = "KCS-TM-2020-000202"
APPLE = "KCS-TM-2022-000303"


def import_recordations(db_path: Path) -> None:
    from ipr_cli.readers import read_records
    from ipr_cli.recordations import parse_all

    path = str(FIXTURES / "recordations.csv")
    recs = parse_all(read_records(path), path)
    with Store.open(db_path, create=True) as store, store.write():
        store.save(recs)


def line(row: int, description: str, *, importer: str = "KR7001001", origin: str = "CN", date: str = "2026-11-02",
         hs: str = "640411", decl: str = "10001-26-0000001") -> DeclarationLine:
    return DeclarationLine(
        file="declarations.csv", row=row, description=description, declaration_id=decl, item_no=str(row),
        date=dt.date.fromisoformat(date) if date else None, importer=importer, origin=origin, hs_code=hs,
        quantity=Decimal("10"), value=Decimal("100.00"), currency="USD",
    )


def hit(ln: DeclarationLine, recordation_id: str, mark: str, holder: str, matched: str, *, score: int = 96,
        verdict: Verdict = Verdict.HIT, reasons: tuple[str, ...] = ("mark disguised: digit 1 for I",)) -> Hit:
    start = ln.description.find(matched)
    return Hit(
        file=ln.file, row=ln.row, declaration_id=ln.declaration_id, item_no=ln.item_no,
        recordation_id=recordation_id, mark=mark, holder=holder, score=score, verdict=verdict,
        matched_text=matched, reasons=reasons, span=(start, start + len(matched)) if start >= 0 else None,
    )


def save_run(db_path: Path, pairs: list[tuple[Hit, DeclarationLine]], *, run_id: str = "20261102-090000-aaaaaa",
             as_of: str = "2026-11-02", started_at: str = "2026-11-02T09:00:00+00:00", lines_read: int = 25,
             suppressed: int = 0) -> list[int]:
    run = {
        "run_id": run_id, "started_at": started_at, "finished_at": started_at, "as_of": as_of,
        "files": [{"path": "declarations.csv", "sha256": "ab" * 32, "lines": lines_read}],
        "options": {"format": "jsonl", "min_score": 0}, "recordations_revision": 1, "lines_read": lines_read,
        "lines_flagged": len({(h.file, h.row) for h, _ in pairs}),
        "hits": sum(1 for h, _ in pairs if h.verdict is Verdict.HIT),
        "reviews": sum(1 for h, _ in pairs if h.verdict is Verdict.REVIEW),
        "suppressed": suppressed, "skipped": 0, "duration_s": 0.25,
    }
    with Store.open(db_path, create=True) as store:
        return store.save_run(run, pairs)


def standard_run(db_path: Path) -> list[int]:
    """Recordations plus one run of four hits: two NIKE, one LV (review), one APPLE."""
    import_recordations(db_path)
    l1 = line(1, "N1KE SPORT SHOES MENS")
    l2 = line(2, "NIKE RUNNING SHOES", importer="KR1000001", origin="TH", date="2026-11-04")
    l3 = line(3, "LOUIS-VUITON HANDBAG", importer="KR7002002", hs="420221", decl="10002-26-0000002")
    l4 = line(4, "APPLE MACBOOK 14", importer="KR7003003", origin="HK", hs="847130", date="2026-11-06",
              decl="10003-26-0000003")
    return save_run(db_path, [
        (hit(l1, NIKE, "NIKE", "Nike Innovate C.V.", "N1KE"), l1),
        (hit(l2, NIKE, "NIKE", "Nike Innovate C.V.", "NIKE", score=70, verdict=Verdict.REVIEW,
             reasons=("authorized importer, origin TH outside authorized origins",)), l2),
        (hit(l3, LV, "LOUIS VUITTON", "Louis Vuitton Malletier", "LOUIS-VUITON", score=88,
             reasons=("sounds like LOUIS VUITTON",)), l3),
        (hit(l4, APPLE, "APPLE", "Apple Inc.", "APPLE", score=100, reasons=("exact mark APPLE",)), l4),
    ])


ROOT = FIXTURES.parent


def as_json(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# -- runs and hits ----------------------------------------------------------------------


def test_runs_list_and_show(ipr, db_path):
    standard_run(db_path)
    runs = as_json(ipr("runs", "list", "--format", "json"))
    assert [r["run_id"] for r in runs] == ["20261102-090000-aaaaaa"]
    assert runs[0]["open"] == 4 and runs[0]["files"][0]["sha256"] == "ab" * 32
    shown = as_json(ipr("runs", "show", "20261102", "--format", "json"))
    assert shown["run_id"] == "20261102-090000-aaaaaa"
    assert shown["files"] == [{"path": "declarations.csv", "sha256": "ab" * 32, "lines": 25}]
    assert shown["status_counts"] == {"open": 4, "hold": 0, "release": 0, "false-positive": 0}
    assert shown["recordations_revision"] == 1 and shown["hits"] == 3 and shown["reviews"] == 1
    table = ipr("runs", "show", "latest")
    assert table.exit_code == 0 and "declarations.csv" in table.stdout and "sha256" in table.stdout


def test_unknown_or_ambiguous_run_is_exit_2(ipr, db_path):
    standard_run(db_path)
    save_run(db_path, [], run_id="20261102-100000-bbbbbb", started_at="2026-11-02T10:00:00+00:00")
    missing = ipr("runs", "show", "1999")
    assert missing.exit_code == 2 and "No run" in missing.stderr
    ambiguous = ipr("runs", "show", "20261102")
    assert ambiguous.exit_code == 2 and "ambiguous" in ambiguous.stderr
    assert as_json(ipr("runs", "show", "latest", "--format", "json"))["run_id"] == "20261102-100000-bbbbbb"


def test_read_commands_without_a_store_fail_cleanly(ipr, db_path):
    for args in (("runs", "list"), ("hits", "list"), ("hits", "show", "1"), ("stats",), ("allow", "list"),
                 ("report", "latest"), ("decide", "1", "hold", "--note", "x")):
        result = ipr(*args)
        assert result.exit_code == 2, args
        assert "No store" in result.stderr and "Traceback" not in result.stderr
    assert not db_path.exists()


def test_hits_list_json_items_are_spec_hits_plus_id_and_status(ipr, db_path):
    ids = standard_run(db_path)
    items = as_json(ipr("hits", "list", "--format", "json"))
    assert [i["hit_id"] for i in items] == ids
    spec = {"file", "row", "declaration_id", "item_no", "recordation_id", "mark", "holder", "score", "verdict",
            "matched_text", "reasons"}
    for item in items:
        assert spec | {"hit_id", "status"} <= set(item)
        assert item["status"] == "open" and isinstance(item["reasons"], list)
    assert items[0]["matched_text"] == "N1KE" and items[0]["row"] == 1
    lines = ipr("hits", "list", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(x)["hit_id"] for x in lines] == ids
    csv_out = ipr("hits", "list", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("hit_id,run_id,file,row") and len(csv_out) == 5


@pytest.mark.parametrize(
    "args, rows",
    [
        (("--holder", "nike"), [1, 2]),
        (("--recordation", LV), [3]),
        (("--verdict", "review"), [2]),
        (("--since", "2026-11-04"), [2, 4]),
        (("--until", "2026-11-03"), [1, 3]),
        (("--since", "2026-11-03", "--until", "2026-11-05"), [2]),
        (("--run", "20261102-09"), [1, 2, 3, 4]),
        (("--status", "open", "--holder", "apple"), [4]),
    ],
)
def test_hits_list_filters(ipr, db_path, args, rows):
    standard_run(db_path)
    assert [i["row"] for i in as_json(ipr("hits", "list", "--format", "json", *args))] == rows


def test_hits_list_status_filter_and_bad_values(ipr, db_path):
    ids = standard_run(db_path)
    assert ipr("decide", str(ids[2]), "hold", "--note", "fake stitching").exit_code == 0
    assert [i["hit_id"] for i in as_json(ipr("hits", "list", "--status", "hold", "--format", "json"))] == [ids[2]]
    assert len(as_json(ipr("hits", "list", "--status", "decided", "--format", "json"))) == 1
    assert len(as_json(ipr("hits", "list", "--status", "open", "--format", "json"))) == 3
    for bad in (("--status", "maybe"), ("--verdict", "strong"), ("--since", "2026/11/01"), ("--format", "xml")):
        result = ipr("hits", "list", *bad)
        assert result.exit_code == 2 and "Error" in result.stderr, bad


def test_hits_show_puts_the_case_on_one_screen(ipr, db_path):
    ids = standard_run(db_path)
    shown = ipr("hits", "show", str(ids[0]))
    assert shown.exit_code == 0, shown.stderr
    out = shown.stdout
    assert "»N1KE« SPORT SHOES MENS" in out  # the highlighted match
    assert "mark disguised: digit 1 for I" in out  # the reasons
    assert "ipr.kr@nike.example.com" in out  # the holder's contact
    assert "9-digit style code" in out  # the notes on telling genuine from fake
    assert "KR7001001" in out and "640411" in out and "10001-26-0000001" in out
    assert "open" in out and f"ipr decide {ids[0]}" in out
    ipr("decide", str(ids[0]), "hold", "--note", "digit for letter, price far too low", "--jurisdiction", "EU")
    after = ipr("hits", "show", str(ids[0])).stdout
    assert "Deadline" in after and "hold by" in after and "price far too low" in after
    data = as_json(ipr("hits", "show", str(ids[0]), "--format", "json"))
    assert data["status"] == "hold" and data["deadline"] and data["jurisdiction"] == "EU"
    assert data["line"]["description"] == "N1KE SPORT SHOES MENS" and data["span"] == [0, 4]
    assert data["recordation"]["contact"] == "ipr.kr@nike.example.com"
    assert [d["decision"] for d in data["decisions"]] == ["hold"]


def test_hits_show_unknown_hit(ipr, db_path):
    standard_run(db_path)
    assert ipr("hits", "show", "999").exit_code == 2
    assert ipr("hits", "show", "abc").exit_code == 2


# -- decisions --------------------------------------------------------------------------


def test_decide_is_audited_with_the_os_user_and_computes_the_deadline(ipr, db_path, monkeypatch):
    from ipr_cli.store import current_user

    ids = standard_run(db_path)
    with Store.open(db_path) as store:
        result = casework.decide(store, ids[0], "hold", "digit for letter", jurisdiction="EU",
                                 today=dt.date(2026, 11, 2), holidays=set())
    assert result.changed and result.deadline.due == dt.date(2026, 11, 16)
    with Store.open(db_path) as store:
        hit_row = casework.get_hit(store, ids[0])
        trail = store.audit_rows("hit", str(ids[0]))
    assert hit_row["deadline"] == "2026-11-16" and hit_row["decided_by"] == current_user()
    assert len(trail) == 1
    assert trail[0]["user"] == current_user() and trail[0]["action"] == "decide"
    assert trail[0]["note"] == "digit for letter"
    assert json.loads(trail[0]["before"])["status"] == "open"
    assert json.loads(trail[0]["after"]) == {"status": "hold", "note": "digit for letter", "deadline": "2026-11-16",
                                             "jurisdiction": "EU", "perishable": False}
    audit = ipr("audit", "--hit", str(ids[0]), "--format", "json")
    assert as_json(audit)[0]["action"] == "decide"


def test_perishable_hold_uses_the_short_clock(db_path):
    ids = standard_run(db_path)
    with Store.open(db_path) as store:
        result = casework.decide(store, ids[0], "hold", "fresh fruit", perishable=True, jurisdiction="EU",
                                 today=dt.date(2026, 11, 5), holidays=set())
    assert result.deadline.due == dt.date(2026, 11, 10)


def test_a_decision_changes_only_with_a_new_note(ipr, db_path):
    ids = standard_run(db_path)
    hit_id = str(ids[0])
    assert ipr("decide", hit_id, "hold", "--note", "looks fake").exit_code == 0
    same = ipr("decide", hit_id, "hold", "--note", "looks fake")
    assert same.exit_code == 0 and "nothing changed" in same.stderr
    refused = ipr("decide", hit_id, "release", "--note", "looks fake")
    assert refused.exit_code == 2 and "new note" in refused.stderr
    assert ipr("decide", hit_id, "release", "--note", "holder confirmed genuine").exit_code == 0
    with Store.open(db_path) as store:
        trail = store.audit_rows("hit", hit_id)
        decisions = casework.get_hit(store, hit_id)["decisions"]
    assert [t["action"] for t in trail] == ["decide", "redecide"]
    assert [d["decision"] for d in decisions] == ["hold", "release"]
    assert json.loads(trail[1]["before"])["status"] == "hold"
    data = as_json(ipr("hits", "show", hit_id, "--format", "json"))
    assert data["status"] == "release" and data["deadline"] == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (("1", "hold", "--note", "  "), "needs a note"),
        (("1", "seize", "--note", "x"), "Unknown decision"),
        (("99", "hold", "--note", "x"), "No hit 99"),
        (("1", "hold", "--note", "x", "--allow"), "--allow goes only"),
        (("1", "hold", "--note", "x", "--jurisdiction", "XX"), "Unknown jurisdiction"),
        (("1", "false-positive", "--note", "x", "--allow-until", "2027-01-01"), "--allow-until goes with --allow"),
    ],
)
def test_decide_rejects_bad_input(ipr, db_path, args, message):
    standard_run(db_path)
    result = ipr("decide", *args)
    assert result.exit_code == 2 and message in result.stderr
    with Store.open(db_path) as store:
        assert store.audit_rows("hit") == []


def test_decide_without_note_option_is_usage_error(ipr, db_path):
    standard_run(db_path)
    assert ipr("decide", "1", "hold").exit_code == 2


def test_false_positive_with_allow_creates_the_allow_entry(ipr, db_path):
    ids = standard_run(db_path)
    result = ipr("decide", str(ids[1]), "fp", "--note", "TH factory is licensed", "--allow")
    assert result.exit_code == 0 and "Allow entry 1 added" in result.stderr
    entries = as_json(ipr("allow", "list", "--format", "json"))
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["recordation_id"], entry["importer"], entry["origin"], entry["from_hit"]) == (
        NIKE, "KR1000001", "TH", ids[1])
    assert "TH factory is licensed" in entry["reason"] and entry["active"] is True
    with Store.open(db_path) as store:
        [sup] = store.context().allow
        assert (sup.recordation_id, sup.importer, sup.origin, sup.until) == (NIKE, "KR1000001", "TH", None)
        assert [a["action"] for a in store.audit_rows()[-2:]] == ["decide", "allow-add"]


def test_allow_from_a_second_false_positive_reuses_the_entry(ipr, db_path):
    import_recordations(db_path)
    a, b = line(1, "NIKE SHOES", importer="KR1000001", origin="TH"), line(2, "NIKE CAPS", importer="KR1000001", origin="TH")
    ids = save_run(db_path, [(hit(a, NIKE, "NIKE", "Nike Innovate C.V.", "NIKE"), a),
                             (hit(b, NIKE, "NIKE", "Nike Innovate C.V.", "NIKE"), b)])
    assert ipr("decide", str(ids[0]), "false-positive", "--note", "licensed", "--allow").exit_code == 0
    second = ipr("decide", str(ids[1]), "false-positive", "--note", "licensed too", "--allow")
    assert second.exit_code == 0 and "Allow entry 1" in second.stderr
    assert len(as_json(ipr("allow", "list", "--format", "json"))) == 1


def test_a_recordation_with_cases_is_not_removed_but_can_be_suspended(ipr, db_path):
    ids = standard_run(db_path)
    refused = ipr("recordation", "remove", APPLE, "--yes")
    assert refused.exit_code == 2
    assert "1 saved hit(s) refer to it" in refused.stderr and "recordation suspend" in refused.stderr
    assert ipr("recordation", "show", APPLE).exit_code == 0
    shown = ipr("hits", "show", str(ids[3]))
    assert shown.exit_code == 0 and APPLE in shown.stdout


def test_hits_show_when_the_recordation_is_gone(ipr, db_path):
    # Stores from before the foreign key may hold hits of a removed recordation.
    ids = standard_run(db_path)
    import sqlite3

    conn = sqlite3.connect(db_path)
    conn.execute("DELETE FROM recordations WHERE recordation_id = ?", (APPLE,))
    conn.commit()
    conn.close()
    shown = ipr("hits", "show", str(ids[3]))
    assert shown.exit_code == 0 and "no longer in the store" in shown.stdout


def test_allow_from_a_line_without_importer_fails_and_changes_nothing(ipr, db_path):
    import_recordations(db_path)
    ln = line(1, "N1KE SHOES", importer="")
    [hit_id] = save_run(db_path, [(hit(ln, NIKE, "NIKE", "Nike Innovate C.V.", "N1KE"), ln)])
    result = ipr("decide", str(hit_id), "false-positive", "--note", "ok", "--allow")
    assert result.exit_code == 2 and "names none" in result.stderr
    assert as_json(ipr("hits", "show", str(hit_id), "--format", "json"))["status"] == "open"


def test_runs_hits_and_decisions_survive_closing_and_reopening(db_path):
    ids = standard_run(db_path)
    with Store.open(db_path) as store:
        casework.decide(store, ids[0], "hold", "fake", today=dt.date(2026, 11, 2), holidays=set(), jurisdiction="EU")
        casework.decide(store, ids[1], "false-positive", "licensed", allow=True)
        casework.add_deny(store, "KR7002002", reason="seizure 2025-118")
    with Store.open(db_path) as store:
        [run] = casework.list_runs(store)
        assert run["run_id"] == "20261102-090000-aaaaaa" and run["lines_read"] == 25
        hits = list(casework.hit_rows(store))
        assert [h["status"] for h in hits] == ["hold", "false-positive", "open", "open"]
        assert hits[0]["deadline"] == "2026-11-16" and hits[0]["decision_note"] == "fake"
        assert hits[2]["line"]["importer"] == "KR7002002" and hits[2]["reasons"] == ["sounds like LOUIS VUITTON"]
        assert len(casework.get_hit(store, ids[0])["decisions"]) == 1
        assert [d.importer for d in store.deny_entries()] == ["KR7002002"]
        assert [a.importer for a in store.allow_entries()] == ["KR1000001"]


def _cli(db_path: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "IPR_DB": str(db_path), "NO_COLOR": "1"}
    return subprocess.Popen([sys.executable, "-m", "ipr_cli", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_decide_processes_at_once_both_land(db_path):
    ids = standard_run(db_path)
    procs = [
        _cli(db_path, "decide", str(ids[0]), "hold", "--note", "officer A: fake"),
        _cli(db_path, "decide", str(ids[2]), "release", "--note", "officer B: genuine"),
        _cli(db_path, "decide", str(ids[3]), "hold", "--note", "officer C: first look"),
        _cli(db_path, "decide", str(ids[3]), "hold", "--note", "officer D: second look"),
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    with Store.open(db_path) as store:
        statuses = {h["hit_id"]: h["status"] for h in casework.hit_rows(store)}
        assert statuses == {ids[0]: "hold", ids[1]: "open", ids[2]: "release", ids[3]: "hold"}
        notes = sorted(a["note"] for a in store.audit_rows("hit"))
        assert notes == ["officer A: fake", "officer B: genuine", "officer C: first look", "officer D: second look"]
        assert len(casework.get_hit(store, ids[3])["decisions"]) == 2


# -- allow and deny lists ---------------------------------------------------------------


def test_allow_add_list_remove(ipr, db_path):
    import_recordations(db_path)
    added = ipr("allow", "add", "--recordation", NIKE, "--importer", "KR7006006", "--origin", "vn",
                "--until", "2027-06-30", "--reason", "licensee, contract seen")
    assert added.exit_code == 0 and "Allow entry 1 added" in added.stderr
    [entry] = as_json(ipr("allow", "list", "--format", "json"))
    assert (entry["importer"], entry["origin"], entry["until"]) == ("KR7006006", "VN", "2027-06-30")
    with Store.open(db_path) as store:
        [sup] = store.allow_entries()
        assert sup.until == dt.date(2027, 6, 30) and sup.reason == "licensee, contract seen"
    dup = ipr("allow", "add", "--recordation", NIKE, "--importer", "KR7006006", "--origin", "VN", "--reason", "again")
    assert dup.exit_code == 2 and "already allowed" in dup.stderr
    table = ipr("allow", "list")
    assert table.exit_code == 0 and "KR7006006" in table.stdout
    removed = ipr("allow", "remove", "1", "--note", "licence ended")
    assert removed.exit_code == 0
    assert as_json(ipr("allow", "list", "--format", "json")) == []
    with Store.open(db_path) as store:
        actions = [(a["action"], a["entity"]) for a in store.audit_rows()[-2:]]
    assert actions == [("allow-add", "allow"), ("allow-remove", "allow")]
    assert ipr("allow", "remove", "1").exit_code == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (("--recordation", "NOPE", "--importer", "X", "--reason", "r"), "No recordation"),
        (("--recordation", NIKE, "--importer", "X", "--origin", "Vietnam", "--reason", "r"), "ISO 3166"),
        (("--recordation", NIKE, "--importer", "X", "--until", "30/06/2027", "--reason", "r"), "ISO date"),
        (("--recordation", NIKE, "--importer", " ", "--reason", "r"), "needs an importer"),
        (("--recordation", NIKE, "--importer", "X", "--reason", ""), "needs a reason"),
    ],
)
def test_allow_add_rejects_bad_input(ipr, db_path, args, message):
    import_recordations(db_path)
    result = ipr("allow", "add", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert as_json(ipr("allow", "list", "--format", "json")) == []


def test_deny_add_list_remove(ipr, db_path):
    import_recordations(db_path)
    assert ipr("deny", "add", "--importer", "KR7001001", "--reason", "seizure 2025-118").exit_code == 0
    assert ipr("deny", "add", "--importer", "KR7002002", "--recordation", LV, "--reason", "known LV faker").exit_code == 0
    assert ipr("deny", "add", "--importer", "KR7001001", "--reason", "again").exit_code == 2
    assert ipr("deny", "add", "--importer", "X", "--recordation", "NOPE", "--reason", "r").exit_code == 2
    rows = as_json(ipr("deny", "list", "--format", "json"))
    assert [(r["importer"], r["recordation_id"]) for r in rows] == [("KR7001001", ""), ("KR7002002", LV)]
    with Store.open(db_path) as store:
        deny = store.context().deny
    assert [(d.importer, d.recordation_id, d.reason) for d in deny] == [
        ("KR7001001", "", "seizure 2025-118"), ("KR7002002", LV, "known LV faker")]
    assert ipr("deny", "remove", "1").exit_code == 0
    assert [r["id"] for r in as_json(ipr("deny", "list", "--format", "json"))] == [2]
    assert ipr("deny", "remove", "x").exit_code == 2


# -- stats and export -------------------------------------------------------------------


def test_stats_per_recordation(ipr, db_path):
    ids = standard_run(db_path)
    ipr("decide", str(ids[0]), "hold", "--note", "fake")
    ipr("decide", str(ids[1]), "false-positive", "--note", "licensed")
    ipr("decide", str(ids[2]), "release", "--note", "genuine")
    rows = {r["recordation_id"]: r for r in as_json(ipr("stats", "--format", "json"))}
    assert len(rows) == 10  # every recordation, flagged or not
    assert rows[NIKE] | {} == {
        "recordation_id": NIKE, "mark": "NIKE", "holder": "Nike Innovate C.V.", "flagged": 2, "open": 0,
        "held": 1, "released": 0, "false_positives": 1, "fp_rate": 0.5,
    }
    assert (rows[LV]["released"], rows[LV]["fp_rate"]) == (1, 0.0)
    assert (rows[APPLE]["open"], rows[APPLE]["fp_rate"]) == (1, None)
    assert rows["KCS-TM-2023-000505"]["flagged"] == 0
    table = ipr("stats")
    assert table.exit_code == 0 and "50%" in table.stdout
    since = {r["recordation_id"]: r["flagged"] for r in as_json(ipr("stats", "--since", "2026-11-04", "--format", "json"))}
    assert since[NIKE] == 1 and since[LV] == 0


def test_hits_export_for_one_holder(ipr, db_path, tmp_path):
    ids = standard_run(db_path)
    ipr("decide", str(ids[0]), "hold", "--note", "fake")
    out = tmp_path / "nike.csv"
    result = ipr("hits", "export", "--holder", "nike innovate c.v.", "--output", str(out))
    assert result.exit_code == 0 and "1 hit(s) for Nike Innovate C.V." in result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("\ufeffhit_id,run_id,status") and len(lines) == 2  # a BOM: written to a file
    assert "KR7001001" in lines[1] and "N1KE SPORT SHOES MENS" in lines[1]
    redacted = as_json(ipr("hits", "export", "--holder", "Nike", "--redact-importer", "--format", "json",
                           "--status", "all"))
    assert redacted["holder"] == "Nike Innovate C.V." and redacted["redacted_importer"] is True
    assert [h["importer"] for h in redacted["hits"]] == ["[withheld]", "[withheld]"]
    assert all("KR7001001" not in json.dumps(h) and "KR1000001" not in json.dumps(h) for h in redacted["hits"])
    assert redacted["hits"][0]["deadline"]


def test_hits_export_needs_one_known_holder(ipr, db_path):
    standard_run(db_path)
    unknown = ipr("hits", "export", "--holder", "Gucci")
    assert unknown.exit_code == 2 and "No rights holder" in unknown.stderr
    several = ipr("hits", "export", "--holder", "o")  # Louis Vuitton, Nike, PUMA SE, ...
    assert several.exit_code == 2 and "several" in several.stderr


# -- the whole case, with the real matcher ---------------------------------------------


def test_the_whole_case_from_import_to_suppression(ipr, db_path):
    decl = str(FIXTURES / "declarations.csv")
    assert ipr("recordation", "import", str(FIXTURES / "recordations.csv")).exit_code == 0

    first = ipr("check", decl, "--as-of", "2026-11-27")
    assert first.exit_code == 0, first.stderr
    [run] = as_json(ipr("runs", "list", "--format", "json"))
    assert run["suppressed"] == 0 and run["lines_read"] == 25

    hits = as_json(ipr("hits", "list", "--run", run["run_id"], "--format", "json"))
    # The authorized importer bringing NIKE shoes from Thailand (row 13) is flagged for review.
    [genuine] = [h for h in hits if h["row"] == 13 and h["recordation_id"] == NIKE]
    assert genuine["verdict"] == "review" and genuine["status"] == "open"
    shown = ipr("hits", "show", str(genuine["hit_id"]))
    assert shown.exit_code == 0 and "KR1000001" in shown.stdout and "TH" in shown.stdout

    [fake] = [h for h in hits if h["row"] == 2]
    held = ipr("decide", str(fake["hit_id"]), "hold", "--note", "digit for letter, 9 USD a pair")
    assert held.exit_code == 0 and "deadline" in held.stderr
    fp = ipr("decide", str(genuine["hit_id"]), "false-positive", "--note", "licensed Thai factory, invoice seen",
             "--allow")
    assert fp.exit_code == 0 and "Allow entry" in fp.stderr
    [entry] = as_json(ipr("allow", "list", "--format", "json"))
    assert (entry["importer"], entry["origin"], entry["recordation_id"]) == ("KR1000001", "TH", NIKE)

    second = ipr("check", decl, "--as-of", "2026-11-27")
    assert second.exit_code == 0, second.stderr
    assert "Suppressed" in second.stdout
    summary_line = next(x for x in second.stdout.splitlines() if "Suppressed" in x)
    assert "1" in summary_line.split("Suppressed", 1)[1]
    runs = as_json(ipr("runs", "list", "--format", "json"))
    latest = runs[0]
    assert latest["suppressed"] == 1 and latest["lines_flagged"] == run["lines_flagged"] - 1
    rehits = as_json(ipr("hits", "list", "--run", latest["run_id"], "--format", "json"))
    assert not [h for h in rehits if h["row"] == 13 and h["recordation_id"] == NIKE]
    assert {h["row"] for h in rehits} == {h["row"] for h in hits} - {13}

    # A machine format says it on stderr.
    quiet = ipr("check", decl, "--as-of", "2026-11-27", "--format", "json", "--no-save")
    assert "1 suppressed by the allow list" in quiet.stderr

    stats = {r["recordation_id"]: r for r in as_json(ipr("stats", "--format", "json"))}
    assert stats[NIKE]["held"] == 1 and stats[NIKE]["false_positives"] == 1
    report = ipr("report", "latest", "--format", "json")
    assert as_json(report)["totals"]["suppressed"] == 1
