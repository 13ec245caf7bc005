"""Limits (issue 19): no single value — a recorded mark, a declared number, a line, a
field — can crash a check, stall a night's batch or exhaust memory.  Each limit is met
with a clear message naming file, row and field: exit 2 where a recordation is refused,
a reported problem (the rest screened) where a declaration line carries it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from _robust import FIXTURES, ROOT, child_env, no_traceback
from ipr_cli.models import ALIASES_MAX, MARK_MAX_CHARS, RECORDATION_FIELDS

GOOD = {
    "recordation_id": "KCS-TM-2030-000001", "mark": "ZORVEX", "holder": "Zorvex AG",
    "valid_until": "2035-12-31", "min_unit_value": "40", "currency": "USD",
}


def write_recordations(path, *records):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=RECORDATION_FIELDS)
        w.writeheader()
        for r in records:
            w.writerow(r)
    return path


@pytest.fixture
def stocked(ipr):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0


def refused(result, *words):
    """Exit 2 with one message naming every word (row, field), no traceback."""
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("Error:") and no_traceback(result.stderr)
    for word in words:
        assert word in result.stderr, (word, result.stderr)


# --------------------------------------------------------------------------- item 5


@pytest.mark.parametrize("value", ["1e27", "1000000000000000000000000000", "1E+13"])
def test_a_min_unit_value_out_of_range_is_refused_naming_row_and_field(ipr, tmp_path, value):
    bad = dict(GOOD, recordation_id="KCS-TM-2030-000002", min_unit_value=value)
    path = write_recordations(tmp_path / "r.csv", GOOD, bad)
    refused(ipr("recordation", "import", path), "row 2", "min_unit_value", "out of range")
    refused(ipr("recordation", "add", "KCS-X-1", "--mark", "ZORVEX", "--holder", "Z", "--valid-until",
                "2035-12-31", "--min-unit-value", value, "--currency", "USD"), "min_unit_value")
    assert ipr("recordation", "import", write_recordations(tmp_path / "ok.csv", GOOD)).exit_code == 0
    refused(ipr("recordation", "update", GOOD["recordation_id"], "--min-unit-value", value), "min_unit_value")
    shown = json.loads(ipr("recordation", "show", GOOD["recordation_id"], "--format", "json").stdout)
    assert str(shown["min_unit_value"]) == "40"  # nothing changed


def test_a_stored_huge_min_unit_value_never_crashes_a_check(ipr, stocked, db_path, tmp_path):
    """Stored before the limit (or by hand): a check meeting that mark still runs."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE recordations SET min_unit_value = '1e27' WHERE mark = 'NIKE'")
    decl = tmp_path / "d.csv"
    decl.write_text("description,quantity,value,currency\nNIKE AIR RUNNING SHOES,10,50,USD\n", encoding="utf-8")
    result = ipr("check", decl, "--format", "json", "--no-save")
    assert result.exit_code in (0, 3), result.stderr  # 3: a store check may refuse the value
    assert no_traceback(result.stderr) and "nexpected" not in result.stderr
    if result.exit_code == 0:
        (hit,) = json.loads(result.stdout)["hits"]
        assert hit["mark"] == "NIKE" and any("below genuine minimum" in r for r in hit["reasons"])


# --------------------------------------------------------------------------- item 6


def test_one_line_with_a_number_out_of_range_does_not_break_the_batch(ipr, stocked, tmp_path):
    decl = tmp_path / "d.jsonl"
    lines = [
        {"description": "NIKE AIR RUNNING SHOES", "quantity": 10, "value": -1e30, "currency": "USD"},
        {"description": "NIKE AIR RUNNING SHOES", "quantity": -1e-31, "value": 50, "currency": "USD"},
        {"description": "NIKE AIR RUNNING SHOES", "quantity": 1e-31, "value": 50, "currency": "USD"},
        {"description": "NIKE AIR RUNNING SHOES", "quantity": 10, "value": "1" + "0" * 30, "currency": "USD"},
        {"description": "NIKE AIR RUNNING SHOES", "quantity": "inf", "value": "nan", "currency": "USD"},
        {"description": "NIKE AIR RUNNING SHOES", "quantity": 10, "value": 50, "currency": "USD"},
    ]
    decl.write_text("".join(json.dumps(x) + "\n" for x in lines).replace("-1e+30", "-1e30"), encoding="utf-8")
    result = ipr("check", decl, "--format", "json", "--no-save")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["lines_read"] == 6
    by_row = {h["row"]: h for h in out["hits"]}
    assert sorted(by_row) == [1, 2, 3, 4, 5, 6]  # every line screened, the bad number left out
    assert any("below genuine minimum" in r for r in by_row[6]["reasons"])  # 5 USD a unit < 30
    for row in (1, 2, 3, 4, 5):
        assert not any("unit value" in r for r in by_row[row]["reasons"])
    assert "5 rows skipped" in result.stderr  # counted and reported


def test_numbers_are_read_within_a_bounded_range(tmp_path):
    from ipr_cli.readers import DeclarationReader

    path = tmp_path / "d.csv"
    path.write_text("description,quantity,value\nA,0.0000000000000000000000000000001,-1000000000000000000000000000000\n"
                    "B,12,1234.50\nC,10000000000000000,1\n", encoding="utf-8")
    with DeclarationReader(str(path)) as reader:
        lines = list(reader)
    assert [(x.quantity, x.value) for x in lines] == [(None, None), (12, 1234.5), (None, 1)]
    assert [(p.row, p.field, p.skipped) for p in reader.problems] == [
        (1, "quantity", False), (1, "value", False), (3, "quantity", False)]
    assert all("out of range" in p.message for p in reader.problems)


# --------------------------------------------------------------------------- item 7


def test_mark_and_alias_length_and_alias_count_are_limited(ipr, tmp_path):
    long_mark = dict(GOOD, recordation_id="R-2", mark="Z" * (MARK_MAX_CHARS + 1))
    long_alias = dict(GOOD, recordation_id="R-3", aliases="ZORVEKS;" + "Q" * 3000)
    many = dict(GOOD, recordation_id="R-4", aliases=";".join(f"ZORV{i}" for i in range(ALIASES_MAX + 1)))
    path = write_recordations(tmp_path / "r.csv", GOOD, long_mark, long_alias, many)
    result = ipr("recordation", "import", path)
    refused(result, "row 2, mark", "row 3, aliases", "row 4, aliases", f"limit is {MARK_MAX_CHARS}",
            f"limit is {ALIASES_MAX}")
    assert ipr("recordation", "list").exit_code == 2  # nothing imported, no store created
    refused(ipr("recordation", "add", "R-5", "--mark", "Z" * 3000, "--holder", "Z", "--valid-until", "2035-12-31"),
            "mark", "3,000 characters")
    assert ipr("recordation", "import", write_recordations(tmp_path / "ok.csv", GOOD)).exit_code == 0
    refused(ipr("recordation", "update", GOOD["recordation_id"], "--aliases", "X" * 101), "aliases")
    # At the limit is fine.
    at_limit = dict(GOOD, recordation_id="R-6", mark="Z" * MARK_MAX_CHARS,
                    aliases=";".join(f"ZORV{i}" for i in range(ALIASES_MAX)))
    assert ipr("recordation", "import", write_recordations(tmp_path / "edge.csv", at_limit)).exit_code == 0


_LIMITED = (
    "import resource, runpy, sys; "
    "resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20)); "
    "sys.argv = ['ipr'] + sys.argv[1:]; runpy.run_module('ipr_cli', run_name='__main__', alter_sys=True)"
)


def test_an_overlong_stored_mark_neither_stalls_nor_exhausts_a_check(ipr, stocked, db_path, tmp_path):
    """Stored before the limit existed (or by hand): 3,000 characters once took > 8 GiB."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE recordations SET mark = ? WHERE mark = 'NIKE'",
                     ("NIKE " + "".join(random.Random(1).choice("ABCDEFGHKLMNPRSTUVZ") for _ in range(3000)),))
    decl = tmp_path / "d.csv"
    decl.write_text("description\nLOUIS VUITTON BAG\nN1KE SHOES\n", encoding="utf-8")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _LIMITED, "check", str(decl), "--format", "json", "--no-save"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, env=child_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert time.monotonic() - started < 60
    assert "longer than 100 characters" in proc.stderr and "KCS-TM-2021-000101" in proc.stderr
    assert [h["mark"] for h in json.loads(proc.stdout)["hits"]] == ["LOUIS VUITTON"]


# --------------------------------------------------------------------------- item 13


def test_malformed_rows_are_counted_with_the_first_few_kept(ipr, stocked, tmp_path):
    from ipr_cli.readers import PROBLEMS_KEPT, DeclarationReader

    path = tmp_path / "ragged.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("declaration_id,hs_code,description\n")
        for i in range(50_000):
            f.write(f"D{i},640411,NIKE SHOES,extra,{i}\n" if i % 10 else f"D{i},640411,BAGS\n")
    with DeclarationReader(str(path)) as reader:
        assert sum(1 for _ in reader) == 5_000
    assert reader.problem_count == reader.lines_skipped == 45_000
    assert len(reader.problems) == PROBLEMS_KEPT and reader.problems[0].row == 2
    result = ipr("check", path, "--format", "json", "--no-save")
    assert result.exit_code == 0 and "45000 rows skipped" in result.stderr
    table = ipr("check", path, "--no-save")
    assert "44,995 more" in table.stdout  # 5 shown of 45,000 counted


# --------------------------------------------------------------------------- items 14, 15


def test_a_field_over_the_reading_limit_is_skipped_with_a_clear_message(ipr, stocked, tmp_path):
    from ipr_cli.readers import _FIELD_LIMIT

    path = tmp_path / "d.csv"
    path.write_text('declaration_id,description\nD1,"' + "B" * (_FIELD_LIMIT + 10) + '"\nD2,NIKE SHOES\n',
                    encoding="utf-8")
    result = ipr("check", path, "--format", "json", "--no-save")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["lines_read"] == 1 and [h["row"] for h in out["hits"]] == [2]
    strict = ipr("check", path, "--strict", "--no-save")
    refused(strict, "d.csv, row 1", f"longer than {_FIELD_LIMIT:,} characters")


def test_rows_after_an_oversized_quoted_field_keep_their_numbers(tmp_path, monkeypatch):
    """The oversized field spans lines; before, its tail was read as rows of its own."""
    from ipr_cli import readers
    from ipr_cli.readers import csv_format

    monkeypatch.setattr(csv_format, "_FIELD_LIMIT", 1000)
    old = csv.field_size_limit(1000)
    try:
        path = tmp_path / "d.csv"
        big = "\n".join(["B" * 300 + ',x,""y""'] * 8)  # 8 lines, commas and escaped quotes inside
        path.write_text(f'declaration_id,description\nD1,"{big}"\nD2,"two\nlines"\nD3,third\n'
                        f'D4,"{big}" tail\nD5,fifth\n', encoding="utf-8")
        with readers.DeclarationReader(str(path)) as reader:
            got = [(x.row, x.declaration_id, x.description) for x in reader]
    finally:
        csv.field_size_limit(old)
    assert got == [(2, "D2", "two\nlines"), (3, "D3", "third"), (5, "D5", "fifth")]
    assert [(p.row, p.skipped) for p in reader.problems] == [(1, True), (4, True)]


def test_a_long_description_is_cut_for_matching_with_a_reason(ipr, stocked, tmp_path):
    from ipr_cli.readers import MATCH_CHARS

    path = tmp_path / "d.csv"
    tail = " ".join(["COTTON"] * MATCH_CHARS) + " GUCCI"
    path.write_text(f"description\nNIKE SHOES {tail}\nPLAIN BAGS\n", encoding="utf-8")
    result = ipr("check", path, "--format", "json", "--no-save")
    assert result.exit_code == 0, result.stderr
    (hit,) = json.loads(result.stdout)["hits"]  # NIKE found; GUCCI, past the cut, not searched
    assert hit["mark"] == "NIKE" and hit["row"] == 1
    assert any(f"first {MATCH_CHARS:,} characters were screened" in r for r in hit["reasons"])
    assert "1 rows skipped" in result.stderr
    table = ipr("check", path, "--no-save")
    assert "only the first" in table.stdout


def test_a_one_megabyte_line_of_lookalikes_takes_under_a_second_against_10k_marks(tmp_path):
    """Before, 1 MB of look-alike tokens took 140 s against 10,000 marks."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import speed

    from ipr_cli.matching import Matcher
    from ipr_cli.models import Recordation
    from ipr_cli.readers import DeclarationReader

    rnd = random.Random(7)
    marks = speed.make_marks(10_000, rnd)
    matcher = Matcher([Recordation(f"R{i}", m, "H", dt.date(2035, 1, 1)) for i, m in enumerate(marks)])
    words, size = [], 0
    while size < 1_000_000:
        mark = rnd.choice(marks).replace(" ", "")
        at = rnd.randrange(len(mark))
        word = mark[:at] + rnd.choice("AEIOU013X") + mark[at + 1:]  # one letter off a mark
        words.append(word)
        size += len(word) + 1
    path = tmp_path / "d.csv"
    path.write_text("description\n" + " ".join(words) + "\n", encoding="utf-8")

    def too_slow(*_):
        raise TimeoutError("over 20 s")

    signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(20)  # before: minutes; fail instead of hanging the suite
    try:
        started = time.process_time()
        with DeclarationReader(str(path)) as reader:
            (line,) = list(reader)
            screening = matcher.screen(line, dt.date(2026, 1, 1))
        spent = time.process_time() - started
    finally:
        signal.alarm(0)
    assert spent <= 1.0, spent
    assert screening.hits  # the first part was screened


# --------------------------------------------------------------------------- item 12


def _xlsx(path, sheet_rows: list[bytes], shared: list[bytes] | None = None):
    """A minimal XLSX whose first sheet holds ``sheet_rows`` (``<row>`` elements, written
    in pieces so that a large part never sits in memory) and the shared strings given."""
    import zipfile

    ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml",
                   b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   b'<Default Extension="xml" ContentType="application/xml"/>'
                   b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                   b'officedocument.spreadsheetml.sheet.main+xml"/>'
                   b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                   b'officedocument.spreadsheetml.worksheet+xml"/>'
                   + (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                      b'officedocument.spreadsheetml.sharedStrings+xml"/>' if shared is not None else b"")
                   + b"</Types>")
        z.writestr("_rels/.rels", b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   b'package/2006/relationships"><Relationship Id="rId1" Type="' + rel + b'/officeDocument" '
                   b'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", b'<?xml version="1.0"?><workbook ' + ns + b' xmlns:r="' + rel + b'">'
                   b'<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", b'<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                   b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="' + rel
                   + b'/worksheet" Target="worksheets/sheet1.xml"/>'
                   + (b'<Relationship Id="rId2" Type="' + rel + b'/sharedStrings" Target="sharedStrings.xml"/>'
                      if shared is not None else b"") + b"</Relationships>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0"?><worksheet ' + ns + b"><sheetData>")
            for part in sheet_rows:
                f.write(part)
            f.write(b"</sheetData></worksheet>")
        if shared is not None:
            with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
                f.write(b'<?xml version="1.0"?><sst ' + ns + b">")
                for part in shared:
                    f.write(part)
                f.write(b"</sst>")
    return path


HEAD_ROW = b'<row r="1"><c r="A1" t="inlineStr"><is><t>description</t></is></c></row>'


def _cell(row: int, text: bytes) -> bytes:
    return b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>' % (row, row) + text + b"</t></is></c></row>"


def test_a_plain_small_xlsx_is_read(ipr, stocked, tmp_path):
    path = _xlsx(tmp_path / "ok.xlsx", [HEAD_ROW, _cell(2, b"NIKE SHOES"), _cell(3, b"BAGS")])
    result = ipr("check", path, "--format", "json", "--no-save")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["lines_read"] == 2


def test_an_xlsx_cell_past_excels_size_is_refused(ipr, stocked, tmp_path):
    path = _xlsx(tmp_path / "cell.xlsx", [HEAD_ROW, _cell(2, b"NIKE "), b'<row r="3"><c r="A3" t="inlineStr"><is><t>']
                 + [b"A" * (1 << 20)] * 4 + [b"</t></is></c></row>"])
    refused(ipr("check", path, "--no-save"), "cell.xlsx", "32,767 characters")


def test_an_xlsx_shared_strings_bomb_is_refused(ipr, stocked, tmp_path):
    from ipr_cli.readers import XLSX_MAX_STRINGS

    strings = [b"<si><t>a</t></si>" * 10_000] * (XLSX_MAX_STRINGS // 10_000 + 1)
    path = _xlsx(tmp_path / "sst.xlsx", [HEAD_ROW, b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'], strings)
    refused(ipr("check", path, "--no-save"), "sst.xlsx", "shared strings")


def test_an_xlsx_of_too_many_rows_is_refused(ipr, stocked, tmp_path):
    from ipr_cli.readers import XLSX_MAX_ROWS

    empty = b"".join(b'<row r="%d"/>' % i for i in range(2, 100_002))
    path = _xlsx(tmp_path / "rows.xlsx", [HEAD_ROW] + [empty] * (XLSX_MAX_ROWS // 100_000 + 1))
    refused(ipr("check", path, "--no-save"), "rows.xlsx", f"more than {XLSX_MAX_ROWS:,} rows")
    # One row far down: the rows between count as well.
    gap = _xlsx(tmp_path / "gap.xlsx", [HEAD_ROW, _cell(2, b"NIKE"), _cell(XLSX_MAX_ROWS + 5, b"BAGS")])
    refused(ipr("check", gap, "--no-save"), "gap.xlsx", f"more than {XLSX_MAX_ROWS:,} rows")


def test_an_xlsx_part_unpacking_past_the_limit_is_refused(ipr, stocked, tmp_path, monkeypatch):
    from ipr_cli.readers import xlsx_format

    monkeypatch.setattr(xlsx_format, "XLSX_MAX_MEMBER", 1 << 20)  # the real limit is 512 MiB: the same check
    rows = [HEAD_ROW] + [_cell(i, b"PLAIN COTTON BAGS " * 10) for i in range(2, 10_000)]
    path = _xlsx(tmp_path / "big.xlsx", rows)
    refused(ipr("check", path, "--no-save"), "big.xlsx", "unpacks to", "the limit is 1,048,576")
