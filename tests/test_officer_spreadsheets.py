"""Files officers really have: XLSX with title rows, merged ids, Excel dates and a totals
row; columns under names ipr does not know."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEADER = ["Declaration No", "Item", "Acceptance Date", "Importer", "Origin", "HS Code", "Goods Description",
          "Qty", "Value", "Currency"]
LINES = [
    ["10001-26-0000001", "1", dt.date(2026, 11, 2), "KR7001001", "CN", "640411", "NIKE AIR RUNNING SHOES", 120, 1800, "USD"],
    ["10001-26-0000001", "2", dt.date(2026, 11, 2), "KR7001001", "CN", "640411", "N1KE SPORT SHOES MENS", 60, 540, "USD"],
    ["10002-26-0000002", "1", dt.date(2026, 11, 3), "KR7002002", "CN", "420221", "LOUIS-VUITON HANDBAG LEATHER", 15, 300, "USD"],
    ["10002-26-0000002", "2", dt.date(2026, 11, 3), "KR7002002", "CN", "610910", "COTTON T-SHIRTS PRINTED", 500, 750, "USD"],
]


def _officer_xlsx(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Busan Customs — import declarations, week 45"])
    ws.merge_cells("A1:J1")
    ws.append([])
    ws.append(HEADER)
    for n, line in enumerate(LINES):
        row = list(line)
        if n in (1, 3):
            row[0] = None  # merged with the cell above, as officers' sheets do
        ws.append(row)
        ws.cell(row=ws.max_row, column=3).number_format = "yyyy-mm-dd"
    ws.merge_cells("A4:A5")
    ws.merge_cells("A6:A7")
    ws.append(["TOTAL", None, None, None, None, None, None, 695, 3390, "USD"])
    wb.save(path)


def _plain_csv(path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for line in LINES:
            writer.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in line])


def _hits(ipr, path, *extra):
    result = ipr("check", path, "--format", "json", "--no-save", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result


def _key(hit):
    return tuple(hit[k] for k in ("row", "declaration_id", "item_no", "recordation_id", "score", "verdict",
                                  "matched_text", "reasons"))


def test_an_officers_xlsx_gives_the_same_hits_as_the_plain_csv(ipr, tmp_path):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    xlsx, plain = tmp_path / "week45.xlsx", tmp_path / "week45.csv"
    _officer_xlsx(xlsx)
    _plain_csv(plain)
    from_csv, _ = _hits(ipr, plain)
    from_xlsx, result = _hits(ipr, xlsx, "-v")
    assert from_csv["hits"] and [_key(h) for h in from_xlsx["hits"]] == [_key(h) for h in from_csv["hits"]]
    assert {h["declaration_id"] for h in from_xlsx["hits"]} == {"10001-26-0000001", "10002-26-0000002"}
    assert from_xlsx["lines_read"] == 4  # the totals row is not a line


def test_the_totals_row_is_skipped_and_counted(ipr, tmp_path):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    xlsx = tmp_path / "week45.xlsx"
    _officer_xlsx(xlsx)
    result = ipr("check", xlsx, "--no-save")
    assert result.exit_code == 0
    assert "Skipped rows" in result.stdout and "no description" in result.stdout
    lines = ipr("check", xlsx, "--no-save", "--format", "jsonl")
    assert "4 lines read" in lines.stderr and "1 rows skipped" in lines.stderr


def test_header_row_option_names_the_header(ipr, tmp_path):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Description of this export: goods declared this week"])  # looks like a header, is not
    ws.append(["Item", "Goods Description"])
    ws.append(["1", "N1KE SPORT SHOES"])
    path = tmp_path / "odd.xlsx"
    wb.save(path)
    data, _ = _hits(ipr, path, "--header-row", "2")
    assert [h["matched_text"] for h in data["hits"]] == ["N1KE"] and data["hits"][0]["row"] == 1
    wrong = ipr("check", FIXTURES / "declarations.csv", "--header-row", "2", "--no-save")
    assert wrong.exit_code == 2 and "--header-row applies to XLSX files" in wrong.stderr


def test_excel_day_numbers_are_read_as_dates(ipr, tmp_path):
    from ipr_cli.readers import DeclarationReader

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["description", "date"])
    ws.append(["NIKE SHOES", 46328])  # a date cell that lost its format
    path = tmp_path / "serial.xlsx"
    wb.save(path)
    with DeclarationReader(str(path)) as reader:
        [line] = list(reader)
    assert line.date == dt.date(2026, 11, 2)


def test_a_column_that_looks_like_a_known_one_is_named_with_the_rule_it_switches_off(ipr, tmp_path):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    path = tmp_path / "curr.csv"
    path.write_text("description,hs_code,quantity,value,Curr\nNIKE AIR SHOES,640411,10,50,USD\n", encoding="utf-8")
    result = ipr("check", path, "--no-save", "--format", "jsonl")
    assert result.exit_code == 0
    assert "'Curr'" in result.stderr and "looks like currency" in result.stderr
    assert "price rule" in result.stderr and "--columns currency='Curr'" in result.stderr
    mapped = ipr("check", path, "--no-save", "--format", "jsonl", "--columns", "currency=Curr")
    assert "Warning" not in mapped.stderr and "below genuine minimum" in mapped.stdout
    quiet = ipr("check", FIXTURES / "declarations.csv", "--no-save", "--format", "jsonl")
    assert "Warning" not in quiet.stderr


def test_importing_a_declaration_file_as_recordations_says_so_in_one_sentence(ipr):
    result = ipr("recordation", "import", FIXTURES / "declarations.csv")
    assert result.exit_code == 2
    assert "is not a recordation file" in result.stderr and "recordation_id, mark, holder, valid_until" in result.stderr
    assert "row 1" not in result.stderr and len(result.stderr.splitlines()) <= 3


def test_csv_written_to_a_file_starts_with_a_bom_for_spreadsheets(ipr, tmp_path):
    ipr("recordation", "import", FIXTURES / "recordations.csv")
    out = tmp_path / "hits.csv"
    assert ipr("check", FIXTURES / "declarations.csv", "-f", "csv", "-o", out, "-q").exit_code == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbffile,row,") and "耐克".encode() in data
    assert ipr("check", FIXTURES / "declarations.csv", "-f", "csv", "-o", out, "-q", "--no-bom").exit_code == 0
    assert out.read_bytes().startswith(b"file,row,")
    piped = ipr("check", FIXTURES / "declarations.csv", "-f", "csv", "-q", "--no-save")
    assert piped.stdout.startswith("file,row,")  # a program reads stdout: no BOM unless asked
    asked = ipr("check", FIXTURES / "declarations.csv", "-f", "csv", "-q", "--no-save", "--bom")
    assert asked.stdout.startswith("\ufefffile,row,")
    # The recordation export gets one too, and still imports back unchanged.
    export = tmp_path / "recordations.csv"
    assert ipr("recordation", "export", "--output", export).exit_code == 0
    assert export.read_bytes().startswith(b"\xef\xbb\xbfrecordation_id,")
    again = ipr("recordation", "import", export)
    assert "updated 0, unchanged 10" in again.stdout
    holder = tmp_path / "nike.csv"
    assert ipr("hits", "export", "--holder", "Nike Innovate C.V.", "--status", "open", "-o", holder).exit_code == 0
    assert holder.read_bytes().startswith(b"\xef\xbb\xbfhit_id,")
