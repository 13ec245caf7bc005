"""`ipr check` end to end: formats, exit codes, bad input (issue: screening, criteria 3-6)."""

from __future__ import annotations

import csv
import hashlib
import json

import pytest

from conftest import FIXTURES

DECLARATIONS = FIXTURES / "declarations.csv"


@pytest.fixture
def store(ipr):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0


def check_json(ipr, *args):
    result = ipr("check", *args, "--format", "json", "--quiet", "--no-save")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def comparable(hits):
    return [{k: v for k, v in h.items() if k != "file"} for h in hits]


def test_json_object_has_the_spec_fields(ipr, store):
    out = check_json(ipr, DECLARATIONS, "--as-of", "2026-11-27")
    assert list(out)[:8] == ["schema_version", "ipr_version", "run_id", "as_of", "files", "lines_read", "lines_flagged", "hits"]
    assert out["schema_version"] == 1 and out["as_of"] == "2026-11-27"
    assert out["lines_read"] == 25
    assert out["lines_flagged"] == len({h["row"] for h in out["hits"]})
    hit = out["hits"][0]
    assert set(hit) == {"file", "row", "declaration_id", "item_no", "recordation_id", "mark", "holder", "score",
                        "verdict", "matched_text", "reasons", "reason_codes"}


def test_json_hits_name_the_rule_behind_each_reason(ipr, store):
    """reason_codes (additive): one rule name per reason, in the same order, in json and jsonl."""
    hits = {h["row"]: h for h in check_json(ipr, DECLARATIONS, "--as-of", "2026-11-27")["hits"]}
    for hit in hits.values():
        assert len(hit["reason_codes"]) == len(hit["reasons"]) and all(hit["reason_codes"]), hit
        assert list(hit)[list(hit).index("reasons") + 1] == "reason_codes"
    codes = dict(zip(hits[14]["reasons"], hits[14]["reason_codes"]))
    assert any(code == "origin" for text, code in codes.items() if "outside authorized origins" in text), codes
    lines = ipr("check", DECLARATIONS, "--as-of", "2026-11-27", "--format", "jsonl", "--no-save").stdout
    first = json.loads(lines.splitlines()[0])
    assert first["reason_codes"] == hits[first["row"]]["reason_codes"]


def test_disguises_and_innocent_lines(ipr, store):
    hits = {h["row"]: h for h in check_json(ipr, DECLARATIONS)["hits"]}
    assert hits[2]["matched_text"] == "N1KE" and "digit 1 for I" in " ".join(hits[2]["reasons"])
    assert hits[10]["matched_text"] == "耐克" and any("alias" in r for r in hits[10]["reasons"])
    assert any("Cyrillic" in r for r in hits[15]["reasons"])
    for innocent in (3, 5, 7, 8, 9, 17, 21, 23, 25):  # T-shirts, no brand, apple juice, pumps, OEM, ...
        assert innocent not in hits, hits.get(innocent)
    assert 12 not in hits  # authorized importer, authorized origin
    assert hits[13]["verdict"] == "review"  # authorized importer, origin not authorized
    assert 18 not in hits and 19 not in hits  # expired and suspended recordations


def test_every_reason_names_the_disguise_and_the_context(ipr, store):
    for hit in check_json(ipr, DECLARATIONS)["hits"]:
        assert hit["reasons"], hit
    hits = {h["row"]: h for h in check_json(ipr, DECLARATIONS)["hits"]}
    assert any("origin CN outside authorized origins" in r for r in hits[14]["reasons"])
    assert any("below genuine minimum" in r for r in hits[1]["reasons"])


def write_formats(tmp_path):
    """The fixture declarations as UTF-8, cp949 and BOM CSV, JSON Lines and XLSX."""
    with open(DECLARATIONS, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0])
    # cp949 cannot hold the Chinese and Cyrillic lines: every format gets the same subset.
    rows = [r for r in rows if _encodes(r, "cp949")]
    paths = {}
    for name, encoding in (("utf8.csv", "utf-8"), ("cp949.csv", "cp949"), ("bom.csv", "utf-8-sig")):
        with open(tmp_path / name, "w", encoding=encoding, newline="") as f:
            w = csv.DictWriter(f, header)
            w.writeheader()
            w.writerows(rows)
        paths[name] = tmp_path / name
    with open(tmp_path / "lines.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    paths["lines.jsonl"] = tmp_path / "lines.jsonl"
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append([r[h] for h in header])
    wb.save(tmp_path / "sheet.xlsx")
    paths["sheet.xlsx"] = tmp_path / "sheet.xlsx"
    return paths


def _encodes(row, encoding):
    try:
        "".join(row.values()).encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def test_same_declarations_in_every_format_give_identical_hits(ipr, store, tmp_path):
    paths = write_formats(tmp_path)
    results = {name: comparable(check_json(ipr, path)["hits"]) for name, path in paths.items()}
    first = results["utf8.csv"]
    assert len(first) >= 8
    for name, hits in results.items():
        assert hits == first, name


def test_fail_on_sets_exit_1_only_when_asked(ipr, store, tmp_path):
    assert ipr("check", DECLARATIONS, "--quiet", "--no-save", "--format", "jsonl").exit_code == 0
    assert ipr("check", DECLARATIONS, "--quiet", "--no-save", "--format", "jsonl", "--fail-on", "hit").exit_code == 1
    assert ipr("check", DECLARATIONS, "--quiet", "--no-save", "--format", "jsonl", "--fail-on", "review").exit_code == 1
    clean = tmp_path / "clean.csv"
    clean.write_text("description,hs_code\nTOY CARS PLASTIC,950300\n", encoding="utf-8")
    assert ipr("check", clean, "--quiet", "--no-save", "--fail-on", "hit").exit_code == 0
    # only a review on the line: --fail-on hit passes, --fail-on review fails
    review = tmp_path / "review.csv"
    review.write_text(
        "declaration_id,date,importer,origin,hs_code,description,brand\n"
        "D1,2026-11-04,KR1000001,TH,640411,NIKE RUNNING SHOES,NIKE\n", encoding="utf-8")
    assert ipr("check", review, "--quiet", "--no-save", "--fail-on", "hit").exit_code == 0
    assert ipr("check", review, "--quiet", "--no-save", "--fail-on", "review").exit_code == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["/nonexistent.csv"], "nonexistent.csv"),
        ([str(FIXTURES / "declarations.csv"), "--fail-on", "maybe"], "--fail-on"),
        ([str(FIXTURES / "declarations.csv"), "--as-of", "27/11/2026"], "--as-of"),
        ([str(FIXTURES / "declarations.csv"), "--format", "xml"], "format"),
        ([str(FIXTURES / "declarations.csv"), "--columns", "nonsense"], "columns"),
    ],
)
def test_bad_usage_exits_2_with_a_message(ipr, store, args, message):
    result = ipr("check", *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_missing_description_column_names_file_and_column(ipr, store, tmp_path):
    f = tmp_path / "nodesc.csv"
    f.write_text("declaration_id,hs_code\nD1,640411\n", encoding="utf-8")
    result = ipr("check", f)
    assert result.exit_code == 2
    assert "nodesc.csv" in result.stderr and "description" in result.stderr


def test_no_store_exits_2(ipr, db_path):
    result = ipr("check", DECLARATIONS)
    assert result.exit_code == 2 and "No store" in result.stderr
    assert not db_path.exists()


@pytest.mark.parametrize(
    "name, content",
    [
        ("empty.csv", b""),
        ("header-only.csv", b"declaration_id,description\n"),
        ("binary.csv", bytes(range(256)) * 40),
        ("huge.csv", b"description\n" + b"NIKE " + b"A" * 1_000_000 + b"\n"),
        ("mixed.csv", b"description,hs_code\r\nN1KE SHOES,640411\nTOYS,950300\rPVMA BAG,420292\r\n"),
    ],
)
def test_awkward_files_never_print_a_traceback(ipr, store, tmp_path, name, content):
    f = tmp_path / name
    f.write_bytes(content)
    result = ipr("check", f, "--format", "json", "--no-save")
    assert result.exit_code in (0, 2), result.stderr
    assert "Traceback" not in result.stderr
    if result.exit_code == 0:
        json.loads(result.stdout)


def test_malformed_row_is_skipped_and_counted_or_fatal_with_strict(ipr, store, tmp_path):
    f = tmp_path / "ragged.csv"
    f.write_text("description,hs_code\nN1KE SHOES,640411\nA,B,C,D\nTOYS,950300\n", encoding="utf-8")
    result = ipr("check", f, "--format", "json", "--no-save")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["lines_read"] == 2
    assert "1 rows skipped" in result.stderr
    strict = ipr("check", f, "--strict", "--no-save")
    assert strict.exit_code == 2 and "row 2" in strict.stderr


def test_stdin_and_quiet(ipr, store):
    data = DECLARATIONS.read_text(encoding="utf-8")
    result = ipr("check", "-", "--format", "jsonl", "--quiet", "--no-save", input=data)
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines and all(json.loads(line)["file"] == "-" for line in lines)


def test_min_score_and_as_of(ipr, store):
    all_hits = check_json(ipr, DECLARATIONS)["hits"]
    strong = check_json(ipr, DECLARATIONS, "--min-score", "95")["hits"]
    assert strong and len(strong) < len(all_hits) and all(h["score"] >= 95 for h in strong)
    # lines carry their own date; a file without dates is judged on --as-of
    undated = [h for h in check_json(ipr, DECLARATIONS, "--as-of", "2040-01-01")["hits"]]
    assert len(undated) == len(all_hits)


def test_output_file_and_html(ipr, store, tmp_path):
    out = tmp_path / "hits.html"
    result = ipr("check", DECLARATIONS, "--format", "html", "--output", out, "--no-save")
    assert result.exit_code == 0 and result.stdout == ""
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<mark>" in page


def test_saved_run_appears_in_runs_list(ipr, store):
    assert ipr("check", DECLARATIONS, "--format", "jsonl", "--quiet").exit_code == 0
    runs = json.loads(ipr("runs", "list", "--format", "json").stdout)
    assert len(runs) == 1 and runs[0]["lines_read"] == 25



def test_saved_run_names_its_file_by_sha256(ipr, store):
    assert ipr("check", DECLARATIONS, "--format", "jsonl", "--quiet").exit_code == 0
    shown = json.loads(ipr("runs", "show", "latest", "--format", "json").stdout)
    assert shown["files"] == [{"path": str(DECLARATIONS), "lines": 25,
                               "sha256": hashlib.sha256(DECLARATIONS.read_bytes()).hexdigest()}]


def test_check_opens_the_store_once_and_saves_the_run_screening_built(ipr, store, monkeypatch):
    """One connection for the register, the hit ids named in the output and the saved run."""
    from ipr_cli.store import Store

    opened = []
    real = Store.open.__func__

    def counting(cls, *args, **kwargs):
        opened.append(args)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(Store, "open", classmethod(counting))
    result = ipr("check", DECLARATIONS, "--as-of", "2026-11-27", "--format", "json", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert len(opened) == 1
    out = json.loads(result.stdout)
    runs = json.loads(ipr("runs", "show", out["run_id"], "--format", "json").stdout)
    assert runs["lines_read"] == out["lines_read"] and runs["as_of"] == "2026-11-27"
    assert runs["options"]["format"] == "json" and runs["hits"] + runs["reviews"] == len(out["hits"])
