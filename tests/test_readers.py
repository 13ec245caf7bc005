"""Readers: every declaration format gives the same lines; bad input never crashes."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import sys
import tracemalloc
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipr_cli.errors import InputError, UsageError
from ipr_cli.readers import (
    MATCH_CHARS,
    DeclarationReader,
    RowProblem,
    _parse_date,
    _parse_decimal,
    parse_columns_option,
    read_records,
)

HEADER = [
    "declaration_id", "item_no", "date", "importer", "origin", "hs_code",
    "description", "brand", "quantity", "value", "currency",
]
# Realistic rows, Korean text included (all of it encodable in cp949).
ROWS = [
    ["51573-26-0192433", "1", "2026-11-02", "KR8258795", "HK", "640391",
     "WORK BOOTS, LEATHER UPPER, KHAKI", "", "29", "13905.67", "CNY"],
    ["51573-26-0192433", "2", "2026-11-02", "KR8258795", "TR", "621420",
     "구찌 머플러", "", "14", "87.23", "USD"],
    ["99730-26-0192463", "1", "2026-11-03", "KR8453054", "CN", "610910",
     "캘빈클라인 반팔 티셔츠; \"cotton\"", "CALVIN", "1", "3.92", "USD"],
    ["99730-26-0192463", "2", "2026-11-03", "KR8453054", "US", "8906100000",
     "VESSELS, WARSHIPS", "", "189", "2968.5", "USD"],
    ["12345-26-0000001", "1", "", "KR0000001", "VN", "0101",
     "나이키 운동화 (NIKE AIR) 240mm", "나이키", "", "", ""],
    ["12345-26-0000001", "2", "2026-12-31", "KR0000001", "IT", "420221",
     "HANDBAG\twith tab", "", "3", "1200", "EUR"],
]


def _eval_rows(limit: int = 400) -> list[list[str]]:
    """The first lines of the development set (its copy in tests/data) that cp949 can encode."""
    path = Path(__file__).resolve().parent / "data" / "eval-dev" / "declarations.csv"
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        assert next(reader) == HEADER
        for row in reader:
            try:
                ",".join(row).encode("cp949")
            except UnicodeEncodeError:
                continue
            out.append(row)
            if len(out) >= limit:
                break
    return out


def _csv_text(rows: list[list[str]], delimiter: str = ",", newline: str = "\r\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows([HEADER, *rows])
    return buf.getvalue()


def _typed(name: str, text: str):
    """A cell value as a spreadsheet or JSON producer would type it."""
    if not text:
        return None
    if name == "date":
        return dt.date.fromisoformat(text)
    if name in ("quantity", "value"):
        return int(text) if text.isdigit() else float(text)
    if name == "hs_code" and text.isdigit() and not text.startswith("0"):
        return int(text)
    return text


def _write_xlsx(path: Path, rows: list[list[str]], blank_rows_first: int = 0) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for _ in range(blank_rows_first):
        ws.append([None])
    ws.append(HEADER)
    for row in rows:
        ws.append([_typed(n, v) for n, v in zip(HEADER, row)])
    # A second sheet must be ignored.
    wb.create_sheet("other").append(["nothing", "here"])
    wb.save(path)


def _write_all_formats(tmp_path: Path, rows: list[list[str]]) -> dict[str, Path]:
    paths = {}
    text = _csv_text(rows)
    paths["utf8"] = tmp_path / "utf8.csv"
    paths["utf8"].write_bytes(text.encode("utf-8"))
    paths["bom"] = tmp_path / "bom.csv"
    paths["bom"].write_bytes(text.encode("utf-8-sig"))
    paths["cp949"] = tmp_path / "cp949.csv"
    paths["cp949"].write_bytes(text.encode("cp949"))
    paths["semicolon"] = tmp_path / "semicolon.csv"
    paths["semicolon"].write_bytes(_csv_text(rows, ";", "\n").encode("utf-8"))
    paths["tab"] = tmp_path / "tab.tsv"
    paths["tab"].write_bytes(_csv_text(rows, "\t", "\n").encode("utf-8"))
    paths["pipe"] = tmp_path / "pipe.txt"
    paths["pipe"].write_bytes(_csv_text(rows, "|", "\n").encode("utf-8"))
    objects = [
        {n: _typed(n, v) if n != "date" else (v or None) for n, v in zip(HEADER, row)}
        for row in rows
    ]
    paths["jsonl"] = tmp_path / "lines.jsonl"
    paths["jsonl"].write_text(
        "\n".join(json.dumps(o, ensure_ascii=False) for o in objects) + "\n", encoding="utf-8")
    paths["json"] = tmp_path / "array.json"
    paths["json"].write_text(json.dumps(objects, ensure_ascii=False, indent=1), encoding="utf-8")
    paths["xlsx"] = tmp_path / "book.xlsx"
    _write_xlsx(paths["xlsx"], rows)
    return paths


def _read(path, **kw) -> tuple[list, DeclarationReader]:
    reader = DeclarationReader(str(path), **kw)
    return list(reader), reader


def _strip_file(lines) -> list:
    return [line._replace(file="") for line in lines]


# --------------------------------------------------------------------------- acceptance 4


@pytest.mark.parametrize("rows_name", ["handmade", "eval-dev"])
def test_every_format_gives_identical_lines(tmp_path, rows_name):
    rows = ROWS if rows_name == "handmade" else _eval_rows()
    assert rows
    paths = _write_all_formats(tmp_path, rows)
    results = {}
    formats = {}
    for name, path in paths.items():
        lines, reader = _read(path)
        formats[name] = (reader.format, reader.encoding)
        assert reader.problems == [], (name, reader.problems[:3])
        assert {line.file for line in lines} == {str(path)}
        results[name] = _strip_file(lines)
    assert formats["cp949"] == ("csv", "cp949") and formats["bom"] == ("csv", "utf-8-sig")
    assert formats["jsonl"][0] == "jsonl" and formats["json"][0] == "json"
    assert formats["xlsx"] == ("xlsx", None)
    reference = results["utf8"]
    assert len(reference) == len(rows)
    for name, lines in results.items():
        assert lines == reference, name


def test_lines_carry_parsed_fields(tmp_path):
    path = _write_all_formats(tmp_path, ROWS)["utf8"]
    lines, _ = _read(path)
    first = lines[0]
    assert first.row == 1
    assert first.date == dt.date(2026, 11, 2)
    assert first.quantity == Decimal("29") and first.value == Decimal("13905.67")
    assert first.hs_code == "640391" and first.origin == "HK" and first.currency == "CNY"
    assert lines[2].description == '캘빈클라인 반팔 티셔츠; "cotton"'
    assert lines[4].hs_code == "0101"  # a leading zero survives every text format
    assert lines[4].date is None and lines[4].quantity is None and lines[4].value is None
    assert lines[5].description == "HANDBAG\twith tab"
    assert [line.row for line in lines] == [1, 2, 3, 4, 5, 6]


def test_xlsx_converts_cells_and_finds_a_late_header(tmp_path):
    path = tmp_path / "late.xlsx"
    _write_xlsx(path, ROWS[:1], blank_rows_first=2)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.cell(row=4, column=6, value=640391.0)  # a float that is an integer
    ws.cell(row=4, column=3, value=dt.datetime(2026, 11, 2, 0, 0))
    wb.save(path)
    lines, reader = _read(path)
    assert reader.problems == []
    assert len(lines) == 1 and lines[0].row == 1
    assert lines[0].hs_code == "640391"
    assert lines[0].date == dt.date(2026, 11, 2)
    assert lines[0].value == Decimal("13905.67")
    assert reader.bytes_read == reader.bytes_total


def test_origin_and_currency_upper_cased_and_strings_stripped(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("description,origin,currency,brand\n  shoes  , cn ,usd, Acme \n", encoding="utf-8")
    (line,), _ = _read(path)
    assert (line.description, line.origin, line.currency, line.brand) == ("shoes", "CN", "USD", "Acme")


# --------------------------------------------------------------------------- stdin


def _fake_stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_stdin_csv(tmp_path, monkeypatch):
    paths = _write_all_formats(tmp_path, ROWS)
    expected = _strip_file(_read(paths["cp949"])[0])
    _fake_stdin(monkeypatch, paths["cp949"].read_bytes())
    lines, reader = _read("-")
    assert reader.bytes_total is None
    assert {line.file for line in lines} == {"-"}
    assert _strip_file(lines) == expected


@pytest.mark.parametrize("fmt", ["jsonl", "json", "xlsx"])
def test_stdin_other_formats(tmp_path, monkeypatch, fmt):
    paths = _write_all_formats(tmp_path, ROWS)
    expected = _strip_file(_read(paths["utf8"])[0])
    _fake_stdin(monkeypatch, paths[fmt].read_bytes())
    assert _strip_file(_read("-")[0]) == expected


def test_stdin_empty_is_an_input_error(monkeypatch):
    _fake_stdin(monkeypatch, b"")
    with pytest.raises(InputError, match="standard input: the file is empty"):
        DeclarationReader("-")


# --------------------------------------------------------------------------- columns


def test_header_synonyms(tmp_path):
    path = tmp_path / "syn.csv"
    path.write_text(
        "Declaration No.,Line No,Acceptance Date,Consignee,Country of Origin,Commodity Code,"
        "Goods Description,Brand Name,QTY,Customs Value,CCY\n"
        "D1,7,20261102,IMP1,cn,6403.91,sneakers,ACME,\"1,200\",\"1,234.50\",usd\n",
        encoding="utf-8",
    )
    (line,), reader = _read(path)
    assert reader.problems == []
    assert line == DeclarationLine_(
        file=str(path), row=1, description="sneakers", declaration_id="D1", item_no="7",
        date=dt.date(2026, 11, 2), importer="IMP1", origin="CN", hs_code="6403.91",
        brand="ACME", quantity=Decimal("1200"), value=Decimal("1234.50"), currency="USD",
    )


def DeclarationLine_(**kw):  # noqa: N802 - a readable alias in assertions
    from ipr_cli.models import DeclarationLine

    return DeclarationLine(**kw)


@pytest.mark.parametrize("header", ["품명", "DESC", "description_of_goods", "Item-Description",
                                    "goods", " Product "])
def test_description_synonyms(tmp_path, header):
    path = tmp_path / "d.csv"
    path.write_text(f"{header},hs\nbag,4202\n", encoding="utf-8")
    (line,), _ = _read(path)
    assert (line.description, line.hs_code) == ("bag", "4202")


def test_canonical_name_beats_synonym(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("product,description\nPRODUCT-CODE-9,leather bag\n", encoding="utf-8")
    (line,), _ = _read(path)
    assert line.description == "leather bag"


def test_columns_option_maps_other_headers(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("Waren,Zolltarif,desc\nSchuhe,6403,ignored\n", encoding="utf-8")
    columns = parse_columns_option("description=Waren, hs_code=zolltarif")
    (line,), _ = _read(path, columns=columns)
    assert (line.description, line.hs_code) == ("Schuhe", "6403")


def test_columns_option_on_json(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"Waren": "Schuhe", "desc": "x", "Tarif": 6403}\n', encoding="utf-8")
    (line,), _ = _read(path, columns={"description": "Waren", "hs_code": "Tarif"})
    assert (line.description, line.hs_code) == ("Schuhe", "6403")


def test_columns_option_naming_a_missing_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("description,x\nbag,1\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        DeclarationReader(str(path), columns={"hs_code": "Tariff"})
    assert str(path) in err.value.message and "'Tariff'" in err.value.message
    assert "'description'" in err.value.message  # the headers it found


def test_parse_columns_option():
    assert parse_columns_option("description=Goods Desc,hs_code=Tariff") == {
        "description": "Goods Desc", "hs_code": "Tariff"}
    assert parse_columns_option("HS-Code = Tariff ,") == {"hs_code": "Tariff"}
    for bad in ["", "description", "=x", "description=", "colour=Farbe", "brand=a,brand=b"]:
        with pytest.raises(UsageError):
            parse_columns_option(bad)


def test_missing_description_column_names_file_and_headers(tmp_path):
    path = tmp_path / "nodesc.csv"
    path.write_text("declaration_id;hs_code;Warenbezeichnung\nD1;6403;Schuhe\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        DeclarationReader(str(path))
    msg = err.value.message
    assert str(path) in msg and "description" in msg
    assert "'declaration_id'" in msg and "'Warenbezeichnung'" in msg
    assert "--columns" in err.value.hint


def test_missing_description_key_in_json(tmp_path):
    path = tmp_path / "nodesc.json"
    path.write_text('[{"hs_code": "6403", "text": "shoes"}]', encoding="utf-8")
    with pytest.raises(InputError, match="no description column.*'hs_code'"):
        DeclarationReader(str(path))


# --------------------------------------------------------------------------- malformed rows


def test_ragged_row_is_skipped_and_reported(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(
        "description,hs_code,origin\n"
        "bag,4202,CN\n"
        "shoes,6403\n"  # one field short
        "shirt,6109,VN,extra\n"  # one field too many
        "cap,6505,KR,\n"  # a trailing empty field is tolerated
        "\n"  # a blank row is counted but yields nothing
        "belt,4203,IT\n",
        encoding="utf-8",
    )
    lines, reader = _read(path)
    assert [(line.row, line.description) for line in lines] == [(1, "bag"), (4, "cap"), (6, "belt")]
    assert [(p.file, p.row, p.skipped) for p in reader.problems] == [
        (str(path), 2, True), (str(path), 3, True)]
    assert "2 fields where the header has 3" in reader.problems[0].message
    assert reader.lines_read == 3 and reader.lines_skipped == 2
    assert str(reader.problems[0]).startswith(f"{path}, row 2: ")


def test_strict_raises_on_first_malformed_row(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("description,hs_code\nbag,4202\nshoes\n", encoding="utf-8")
    reader = DeclarationReader(str(path), strict=True)
    it = iter(reader)
    assert next(it).description == "bag"
    with pytest.raises(InputError, match=r"ragged\.csv, row 2: has 1 fields"):
        next(it)


def test_bad_date_and_number_keep_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "description,date,quantity,value\n"
        "bag,02/11/2026,ten,1.5.5\n"
        "shoes,2026-02-30,2,9.99\n",
        encoding="utf-8",
    )
    lines, reader = _read(path)
    assert [line.description for line in lines] == ["bag", "shoes"]
    assert (lines[0].date, lines[0].quantity, lines[0].value) == (None, None, None)
    assert lines[1].date is None and lines[1].quantity == 2
    assert [(p.row, p.field, p.skipped) for p in reader.problems] == [
        (1, "date", False), (1, "quantity", False), (1, "value", False), (2, "date", False)]
    assert reader.lines_skipped == 0
    with pytest.raises(InputError, match=r"row 1, field date: '02/11/2026' is not a date"):
        list(DeclarationReader(str(path), strict=True))


def test_broken_json_lines_are_skipped(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"description": "bag", "value": 12.50}\n'
        '{"description": "broken\n'
        '\n'
        '["not", "an", "object"]\n'
        '{"description": "shoes", "hs_code": 640391, "quantity": 2.0}\r\n',
        encoding="utf-8",
    )
    lines, reader = _read(path)
    assert [(line.row, line.description) for line in lines] == [(1, "bag"), (5, "shoes")]
    assert lines[0].value == Decimal("12.50")
    assert lines[1].hs_code == "640391" and lines[1].quantity == 2
    assert [(p.row, p.skipped) for p in reader.problems] == [(2, True), (4, True)]
    assert "not valid JSON" in reader.problems[0].message
    assert "not a JSON object" in reader.problems[1].message


def test_json_array_non_object_element_skipped_and_broken_array_raises(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('[{"description": "bag"}, 5, {"description": "cap", "brand": ["A", "B"]}]',
                    encoding="utf-8")
    lines, reader = _read(path)
    assert [(line.row, line.description, line.brand) for line in lines] == [
        (1, "bag", ""), (3, "cap", "A;B")]
    assert [p.row for p in reader.problems] == [2]
    path.write_text('[{"description": "bag"}, {"description": "cap"', encoding="utf-8")
    reader = DeclarationReader(str(path))
    with pytest.raises(InputError, match=r"d\.json: broken JSON array at row 2"):
        list(reader)


def test_large_json_array_is_streamed(tmp_path):
    path = tmp_path / "big.json"
    n = 20_000
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[\n")
        fh.write(",\n".join(json.dumps({"description": f"item {i}", "value": i + 0.5})
                            for i in range(n)))
        fh.write("\n]\n")
    reader = DeclarationReader(str(path))
    count = 0
    for line in reader:
        count += 1
        if count == 10:
            # Only the first chunks have been read, not the whole array.
            assert reader.bytes_read < reader.bytes_total / 2
    assert count == n and reader.bytes_read == reader.bytes_total


def test_undecodable_bytes_after_the_sample_skip_their_row(tmp_path):
    path = tmp_path / "late.csv"
    filler = "".join(f"item {i} plain ascii goods description,6403\n" for i in range(8000))
    assert len(filler) > 256 * 1024  # beyond the sample the encoding is chosen on
    path.write_bytes(b"description,hs_code\n" + filler.encode() + b"bad \xff\xfe bytes,4202\nok,1\n")
    lines, reader = _read(path)
    assert len(lines) == 8001 and lines[-1].description == "ok"
    assert [(p.row, p.skipped) for p in reader.problems] == [(8001, True)]
    assert "undecodable" in reader.problems[0].message


def test_nul_bytes_are_removed(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"description,hs_code\nsho\x00es,6403\n")
    (line,), _ = _read(path)
    assert line.description == "shoes"


def test_nul_padding_longer_than_a_read_block_is_removed(tmp_path):
    # Whole blocks of NUL padding (as some exports leave) must not end the file early.
    path = tmp_path / "padded.csv"
    path.write_bytes(b"description,hs_code\n" + b"shoes,6403\n" * 1000 + bytes(300_000) + b"bags,4202\n")
    lines, reader = _read(path)
    assert len(lines) == 1001 and lines[-1].description == "bags"
    assert not reader.problems


def test_nul_characters_are_removed_from_utf16(tmp_path):
    path = tmp_path / "nul16.csv"
    path.write_bytes("description,hs_code\nsho\x00es,6403\n".encode("utf-16"))
    (line,), _ = _read(path)
    assert (line.description, line.hs_code) == ("shoes", "6403")


@pytest.mark.parametrize("lines_read", [None, 1])
def test_sha256_is_the_files_whether_read_through_or_not(tmp_path, lines_read):
    # Read through, the digest is of the bytes read (no second pass over the file);
    # stopped early, the file is read again for it.
    path = tmp_path / "decl.csv"
    path.write_bytes(b"\xef\xbb\xbfdescription,hs_code\n" + b"shoes,6403\n" * 50_000 + b"bags\x00,4202\n")
    reader = DeclarationReader(str(path))
    list(itertools.islice(reader, lines_read))
    assert reader.sha256() == hashlib.sha256(path.read_bytes()).hexdigest()


def test_excel_sep_line(tmp_path):
    path = tmp_path / "sep.csv"
    path.write_text("sep=|\ndescription|value\nbag, brown|1,5\n", encoding="utf-8")
    (line,), _ = _read(path)
    assert (line.description, line.value) == ("bag, brown", Decimal("1.5"))


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("cp949", "나이키 운동화 남성용 가죽 스니커즈, 검정색; 구찌 핸드백 여성용 가죽 가방"),
        ("cp1252", "Chaussures de sécurité « coquées », façon cuir — été; Prêt-à-porter für Männer"),
        ("shift_jis", "ナイキ スニーカー 運動靴 メンズ 黒色; グッチ ハンドバッグ 革製 レディース"),
        ("gb18030", "耐克运动鞋 男士 黑色 皮革; 古驰手提包 女士 真皮 钱包 包装"),
    ],
)
def test_legacy_encodings_detected(tmp_path, encoding, text):
    rows = "".join(f"{i},\"{text} {i}\"\n" for i in range(40))
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(("item_no,description\n" + rows).encode(encoding))
    lines, reader = _read(path)
    assert reader.problems == []
    assert [line.description for line in lines] == [f"{text} {i}" for i in range(40)]


def test_encoding_can_be_forced(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("description\ncafé\n".encode("latin-1"))
    (line,), _ = _read(path, encoding="latin-1")
    assert line.description == "café"
    with pytest.raises(UsageError):
        DeclarationReader(str(path), encoding="no-such-codec")
    with pytest.raises(UsageError):
        DeclarationReader(str(path), encoding="base64")  # not a text encoding


def test_utf16_with_bom(tmp_path):
    path = tmp_path / "u16.txt"
    path.write_bytes("description\ths_code\r\n구찌 가방\t4202\r\n".encode("utf-16"))
    (line,), _ = _read(path)
    assert (line.description, line.hs_code) == ("구찌 가방", "4202")


# --------------------------------------------------------------------------- acceptance 6


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="nope.csv: no such file"):
        DeclarationReader(str(tmp_path / "nope.csv"))
    with pytest.raises(InputError, match="is a directory"):
        DeclarationReader(str(tmp_path))


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\r\n  \n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match="empty.csv: the file is empty"):
        DeclarationReader(str(path))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("h.csv", "description,hs_code\r\n"),
        ("h2.csv", "\ufeffdescription;hs_code"),
        ("h.json", "[ ]"),
        ("h.xlsx.json", '[]'),
    ],
)
def test_header_only_gives_no_lines(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    lines, reader = _read(path)
    assert lines == [] and reader.problems == []


def test_header_only_xlsx(tmp_path):
    path = tmp_path / "h.xlsx"
    _write_xlsx(path, [])
    lines, reader = _read(path)
    assert lines == [] and reader.problems == []


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 8,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(200),
        b"\x7fELF\x02\x01\x01\x00" + bytes(100) + b"\x03\x00>\x00",
    ],
)
def test_binary_file(tmp_path, content):
    path = tmp_path / "binary.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match="not a text, JSON or XLSX file"):
        DeclarationReader(str(path))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fake.xlsx", b"description\nbag\n", "not a valid XLSX"),
        ("broken.xlsx", b"PK\x03\x04" + bytes(100), "not a readable XLSX"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "old Excel"),
    ],
)
def test_bad_spreadsheets(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        DeclarationReader(str(path))


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".json", ".xlsx"])
def test_one_megabyte_description(tmp_path, suffix):
    big = "NIKE AIR " * 120_000  # ~1 MB
    path = tmp_path / f"big{suffix}"
    if suffix == ".csv":
        path.write_text(f'description,hs_code\n"{big}",6403\nsmall,1\n', encoding="utf-8")
    elif suffix == ".jsonl":
        path.write_text(json.dumps({"description": big}) + '\n{"description": "small"}\n',
                        encoding="utf-8")
    elif suffix == ".json":
        path.write_text(json.dumps([{"description": big}, {"description": "small"}]),
                        encoding="utf-8")
    else:
        wb = openpyxl.Workbook()
        # A cell holds at most 32,767 characters: spread over rows instead.
        wb.active.append(["description"])
        wb.active.append([big[:32_000]])
        wb.active.append(["small"])
        wb.save(path)
        big = big[:32_000]
    lines, reader = _read(path)
    # Read whole, but only the first MATCH_CHARS are kept for screening, cut between
    # words and marked; the cut is reported and the line is not skipped.
    first, second = (line.description for line in lines)
    assert second == "small"
    assert first.endswith(" …") and len(first) <= MATCH_CHARS + 2 and big.startswith(first[:-2])
    assert first[:-2].endswith("NIKE AIR")
    assert [(p.row, p.field, p.skipped) for p in reader.problems] == [(1, "description", False)]
    assert "only the first" in reader.problems[0].message


def test_mixed_line_endings(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"description,hs_code\r\nbag,4202\nshoes,6403\rcap,6505\r\n"
                     b'"two\rline\ndesc",1\n\rlast,2')
    lines, reader = _read(path)
    assert [line.description for line in lines] == ["bag", "shoes", "cap", "two\rline\ndesc", "last"]
    assert [line.row for line in lines] == [1, 2, 3, 4, 6]
    assert reader.problems == []


def test_unterminated_quote_does_not_crash(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('description,hs\nbag,1\n"never closed,2\nmore,3\n', encoding="utf-8")
    lines, reader = _read(path)
    assert lines[0].description == "bag"


# --------------------------------------------------------------------------- progress, memory


def test_progress_counters(tmp_path):
    path = _write_all_formats(tmp_path, ROWS)["utf8"]
    with DeclarationReader(str(path)) as reader:
        assert reader.bytes_total == path.stat().st_size
        assert reader.lines_read == 0
        lines = list(reader)
    assert reader.lines_read == len(lines) == len(ROWS)
    assert reader.bytes_read == reader.bytes_total


def test_streaming_memory_does_not_grow_with_file_length(tmp_path):
    path = tmp_path / "big.csv"
    # Few columns keep tracemalloc's per-allocation cost (and the test) short.
    row = "{i},640399,MENS ATHLETIC FOOTWEAR RUBBER OUTSOLE TEXTILE UPPER LACED SIZE 42 BLACK {i}\n"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("item_no,hs_code,description\n")
        fh.writelines(row.format(i=i) for i in range(200_000))
    size = path.stat().st_size
    assert size > 15_000_000
    tracemalloc.start()
    try:
        reader = DeclarationReader(str(path))
        count = 0
        for line in reader:
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000 and line.row == 200_000 and reader.problems == []
    assert peak < size / 20, f"peak {peak} bytes for a {size}-byte file"


# --------------------------------------------------------------------------- value parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", "12"), ("-3.5", "-3.5"), (".5", "0.5"), ("1,234.50", "1234.50"),
     ("1.234,50", "1234.50"), ("1,234", "1234"), ("1,234,567", "1234567"), ("12,5", "12.5"),
     ("1.234", "1.234"), ("1.234.567", "1234567"), ("1 234,5", "1234.5"), ("1'234.50", "1234.50"),
     ("+7", "7"), ("12.", "12"), ("\u0661\u0662", "12")],
)
def test_parse_decimal(text, expected):
    assert _parse_decimal(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["ten", "1e5", "NaN", "Infinity", "1,2,3", "1.2.3,4,5", "$5", "1" * 50, "\u00b2", "."])
def test_parse_decimal_rejects(text):
    with pytest.raises(ValueError):
        _parse_decimal(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-11-02", dt.date(2026, 11, 2)), ("20261102", dt.date(2026, 11, 2)),
     ("2026/11/02", dt.date(2026, 11, 2)), ("2026.1.2", dt.date(2026, 1, 2)),
     ("2026-11-02T10:30:00", dt.date(2026, 11, 2)), ("2026-11-02 00:00:00", dt.date(2026, 11, 2))],
)
def test_parse_date(text, expected):
    assert _parse_date(text) == expected


@pytest.mark.parametrize("text", ["02/11/2026", "11/02/2026", "2026-13-01", "2026-02-30", "yesterday", "2611"])
def test_parse_date_rejects(text):
    with pytest.raises(ValueError):
        _parse_date(text)


# --------------------------------------------------------------------------- property tests

_PROPERTY = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


def _read_or_input_error(path: Path) -> None:
    try:
        reader = DeclarationReader(str(path))
    except InputError:
        return
    try:
        for line in reader:
            assert isinstance(line.description, str)
        assert all(isinstance(p, RowProblem) for p in reader.problems)
    except InputError:
        pass
    try:
        for _ in read_records(str(path)):
            pass
    except InputError:
        pass


_TEXTY = st.one_of(
    st.binary(max_size=600),
    st.lists(st.sampled_from([b"description", b"hs_code", b",", b";", b"\t", b"\"", b"\n", b"\r",
                              b"{", b"}", b"[", b"]", b":", b"\x00", b"\xff", b"\xef\xbb\xbf",
                              b"\xea\xb0", b"1", b"2026-11-02", b"bag"]), max_size=60).map(b"".join),
)


@_PROPERTY
@given(data=_TEXTY)
def test_arbitrary_bytes_as_csv(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    _read_or_input_error(path)


@_PROPERTY
@given(data=_TEXTY)
def test_arbitrary_bytes_as_jsonl(tmp_path, data):
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data)
    _read_or_input_error(path)


@_PROPERTY
@given(prefix=st.sampled_from([b"", b"[", b"[{", b"{", b"\xef\xbb\xbf", b"PK\x03\x04"]), data=_TEXTY)
def test_arbitrary_bytes_without_extension(tmp_path, prefix, data):
    path = tmp_path / "fuzz"
    path.write_bytes(prefix + data)
    _read_or_input_error(path)


@_PROPERTY
@given(objs=st.lists(st.dictionaries(
    st.sampled_from(["description", "desc", "hs_code", "value", "date", "quantity", "x"]),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                 lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=2),
                 max_leaves=6)), max_size=5))
def test_arbitrary_json_values(tmp_path, objs):
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(objs), encoding="utf-8")
    _read_or_input_error(path)


# --------------------------------------------------------------------------- recordations


def test_read_records_csv_normalises_keys(tmp_path):
    path = tmp_path / "rec.csv"
    path.write_text(
        "Recordation ID;MARK;Holder;valid-until;Hs_Scope;Extra Column\n"
        "KCS-TM-1; ACME ;Acme Ltd;2030-01-01;6403;x\n",
        encoding="utf-8",
    )
    ((row, rec),) = list(read_records(str(path)))
    assert row == 1
    assert rec["recordation_id"] == "KCS-TM-1" and rec["mark"] == " ACME "  # caller strips
    assert rec["valid_until"] == "2030-01-01" and rec["hs_scope"] == "6403"
    assert rec["aliases"] == "" and rec["notes"] == ""
    assert rec["extra_column"] == "x"


def test_read_records_eval_dev():
    path = Path(__file__).resolve().parent / "data" / "eval-dev" / "recordations.csv"
    records = list(read_records(str(path)))
    assert records[0][0] == 1 and records[0][1]["recordation_id"]
    assert all(set(r) >= {"mark", "holder", "valid_until"} for _, r in records)


def test_read_records_json_and_jsonl(tmp_path):
    objs = [{"recordation_id": "R1", "mark": "ACME", "holder": "H", "aliases": ["ACM3", "에크미"],
             "nice_classes": [18, 25], "min_unit_value": 10.0, "valid_until": "2030-01-01",
             "Unknown Key": 1.25, "contact": None}]
    array = tmp_path / "rec.json"
    array.write_text(json.dumps(objs, ensure_ascii=False), encoding="utf-8")
    lines = tmp_path / "rec.jsonl"
    lines.write_text(json.dumps(objs[0]) + "\n", encoding="utf-8")
    for path in (array, lines):
        ((row, rec),) = list(read_records(str(path)))
        assert row == 1
        assert rec["aliases"] == "ACM3;에크미" and rec["nice_classes"] == "18;25"
        assert rec["min_unit_value"] == "10" and rec["unknown_key"] == "1.25"
        assert rec["contact"] == "" and rec["notes"] == ""


def test_read_records_bad_input(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_records(str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"recordation_id": "R1"}\n{"recordation_id": \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl, row 2: not valid JSON"):
        list(read_records(str(bad)))
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("recordation_id,mark,holder,valid_until\nR1,A,H,2030-01-01\nR2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"ragged\.csv, row 2"):
        list(read_records(str(ragged)))
    dup = tmp_path / "dup.csv"
    dup.write_text("mark,MARK\nA,B\n", encoding="utf-8")
    with pytest.raises(InputError, match="both mean mark"):
        read_records(str(dup))


def test_read_records_restores_neutralised_csv_cells(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("recordation_id,notes\nR1,'=SUM(A1)\nR2,''+x\nR3,'plain\n", encoding="utf-8")
    assert [r["notes"] for _, r in read_records(str(path))] == ["=SUM(A1)", "'+x", "'plain"]
    path = tmp_path / "export.jsonl"
    path.write_text('{"recordation_id": "R1", "notes": "\'=kept"}\n', encoding="utf-8")
    assert [r["notes"] for _, r in read_records(str(path))] == ["'=kept"]
