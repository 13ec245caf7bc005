"""Fixed hostile files, each a shape a trader's system (or an attacker) can produce:
huge fields, 10,000 columns, NUL bytes, invalid UTF-8, BOM-only files, mixed line ends,
deep JSON.  Each is read (exit 0, bad rows skipped and counted) or refused (exit 2)."""

from __future__ import annotations

import codecs
import json

import pytest

from _robust import FIXTURES

HEADER = "declaration_id,hs_code,description\r\n"


def rows(*descriptions: str) -> str:
    return "".join(f"D{i},640411,{d}\r\n" for i, d in enumerate(descriptions, 1))


# name → (file bytes, expected exit, lines read when 0 (None: do not check))
DECLARATION_FILES: dict[str, tuple[bytes, int, int | None]] = {
    "empty": (b"", 2, None),
    "whitespace only": (b"  \r\n\n\t\n", 2, None),
    "utf-8 BOM only": (codecs.BOM_UTF8, 2, None),
    "utf-16 LE BOM only": (codecs.BOM_UTF16_LE, 2, None),
    "utf-16 BE BOM only": (codecs.BOM_UTF16_BE, 2, None),
    "utf-32 BOM only": (codecs.BOM_UTF32_LE, 2, None),
    "BOM and newline": (codecs.BOM_UTF8 + b"\r\n", 2, None),
    "header only": (HEADER.encode(), 0, 0),
    "no description column": (b"a,b,c\r\n1,2,3\r\n", 2, None),
    "NUL bytes only": (b"\x00" * 5000, 2, None),
    # A description of NULs only is empty: that row is skipped (and counted), not a line.
    "NUL inside fields": ((HEADER + rows("NI\x00KE SHOES", "\x00\x00", "BAG\x00")).encode(), 0, 2),
    "NUL in the header": (("descr\x00iption,hs_code\r\nNIKE SHOES,6404\r\n").encode(), 0, 1),
    # Past the 256 KiB the encoding is guessed from, so the file is read as UTF-8 and the row skipped.
    "invalid UTF-8 in one row": ((HEADER + rows(*["PLAIN WOVEN COTTON FABRIC IN ROLLS " * 4] * 2500)).encode()
                                 + b"D0,6404,NIKE \xff\xfe SHOES\r\n", 0, 2500),
    "invalid UTF-8 early (read as a legacy encoding)": (HEADER.encode() + b"D1,6404,NIKE \xff\xfe SHOES\r\n", 0, 1),
    "truncated UTF-8 at the end": (HEADER.encode() + b"D1,6404,NIKE \xe2\x82", 0, None),
    "lone surrogate bytes (CESU)": (HEADER.encode() + b"D1,6404,NIKE \xed\xa0\x80\r\n", 0, None),
    "mixed line endings": ((HEADER + "D1,6404,NIKE\nD2,6404,PUMA\rD3,6404,ADIDAS\r\nD4,6404,GUCCI\n").encode(), 0, 4),
    "only carriage returns": (("declaration_id,description\rD1,NIKE\rD2,PUMA\r").encode(), 0, 2),
    "quote never closed": ((HEADER + 'D1,6404,"NIKE SHOES\r\nD2,6404,PUMA\r\n').encode(), 0, None),
    "ragged rows": ((HEADER + "D1\r\nD2,6404,NIKE,extra,extra\r\nD3,6404,PUMA\r\n").encode(), 0, 1),
    "10,000 columns": (
        (",".join([f"c{i}" for i in range(9999)] + ["description"]) + "\r\n"
         + ",".join(["x"] * 9999 + ["NIKE SHOES"]) + "\r\n").encode(), 0, 1),
    "10,000 columns in a row only": ((HEADER + ",".join(["y"] * 10000) + "\r\n" + rows("NIKE")).encode(), 0, 1),
    "a 5 MB description": ((HEADER + "D1,6404," + "A" * 5_000_000 + " NIKE\r\n").encode(), 0, 1),
    "a 70 MB field (over the 64 MiB limit)": ((HEADER + 'D1,6404,"' + "B" * 70_000_000 + '"\r\n' + rows("NIKE")).encode(), 0, None),
    # 40,000 words in one description; see the closing note on 400,000 (the matcher takes ~10 s).
    "a 200 KB line of marks without a line end": (("description\n" + "NIKE " * 40_000).encode(), 0, 1),
    "1e999999 and NaN as numbers": (("description,quantity,value\nNIKE,1e999999,NaN\nPUMA,-0,99999999999999999999999999\n").encode(), 0, 2),
    "impossible dates": (("description,date\nNIKE,2026-02-30\nPUMA,99999-01-01\nGUCCI,0000-00-00\n").encode(), 0, 3),
    "binary (PNG)": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, 2, None),
    "ZIP header, not XLSX": (b"PK\x03\x04" + b"\x00" * 100, 2, None),
    "old Excel .xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, 2, None),
    "JSON nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, 2, None),
    "JSON Lines nested 100,000 deep": (b'{"description": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", 0, 0),
    "JSON array of non-objects": (b"[1, \"two\", null, [3]]", 0, 0),
    "JSON array never closed": (b'[{"description": "NIKE"},', 2, None),
    "JSON top-level string": (b'"NIKE"', 2, None),
    "JSON lone surrogate escapes": (b'{"description": "NIKE \\ud800"}\n{"description": "PUMA"}\n', 0, 1),
    "JSON duplicate keys": (b'{"description": "NIKE", "description": "PUMA"}\n', 0, 1),
    "UTF-16 without BOM": ("description\nNIKE SHOES\n".encode("utf-16-le"), None, None),
    "cp949 text": ("품명,세번\n나이키 운동화,6404\n".encode("cp949"), 0, 1),
    "terminal escapes and bidi controls": ((HEADER + rows("\x1b[2J\x1b[31mNIKE\u202e SHOES", "\x07\x08NIKE")).encode(), 0, 2),
}


@pytest.fixture
def stocked(ipr):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0


def read_count(stdout: str) -> int:
    return json.loads(stdout)["lines_read"]


@pytest.mark.parametrize("name", list(DECLARATION_FILES))
def test_a_hostile_declaration_file_is_read_or_refused_cleanly(ipr, stocked, tmp_path, name):
    data, code, lines = DECLARATION_FILES[name]
    path = tmp_path / "declarations.csv"
    if name.startswith("JSON"):
        path = tmp_path / ("declarations.jsonl" if "Lines" in name or "\n" in data.decode("latin-1") else "declarations.json")
    path.write_bytes(data)
    result = ipr("check", path, "--format", "json")
    assert result.exit_code in ((0, 2) if code is None else (code,)), result.stderr
    assert "Traceback" not in result.stderr and "Internal error" not in result.stderr
    if result.exit_code == 2:
        assert result.stderr.startswith("Error:") and str(path) in result.stderr
    elif lines is not None:
        assert read_count(result.stdout) == lines
    if len(data) < 1_000_000:  # the table (the officer's view) copes with the same file
        table = ipr("check", path, "--no-save")
        assert table.exit_code == result.exit_code and "Traceback" not in table.stderr


RECORDATION_FILES: dict[str, bytes] = {
    "empty": b"",
    "utf-8 BOM only": codecs.BOM_UTF8,
    "utf-16 BOM only": codecs.BOM_UTF16_LE,
    "NUL bytes only": b"\x00" * 1000,
    "header only": b"recordation_id,mark,holder,valid_until\n",
    "invalid UTF-8 in a mark": b"recordation_id,mark,holder,valid_until\nR1,NI\xffKE,H,2030-01-01\n",
    "10,000 columns": (",".join(["recordation_id", "mark", "holder", "valid_until"] + [f"c{i}" for i in range(9996)])
                       + "\n" + ",".join(["R1", "M", "H", "2030-01-01"] + ["z"] * 9996) + "\n").encode(),
    "a 5 MB note": ("recordation_id,mark,holder,valid_until,notes\nR1,QUORVANT,H,2030-01-01," + "n" * 5_000_000 + "\n").encode(),
    "mixed line endings": b"recordation_id,mark,holder,valid_until\rR1,M1,H,2030-01-01\nR2,M2,H,2030-01-01\r\nR3,M3,H,2030-01-01\r",
    "JSON nested deep": b"[" * 100_000 + b"]" * 100_000,
    "JSON lone surrogate key": b'[{"recordation_id": "R1", "mark": "M", "holder": "H", "valid_until": "2030-01-01", "\\udfff": "x"}]',
    "binary": bytes(range(256)) * 8,
}


@pytest.mark.parametrize("name", list(RECORDATION_FILES))
def test_a_hostile_recordation_file_is_imported_whole_or_refused_cleanly(ipr, tmp_path, name):
    path = tmp_path / ("recordations.json" if name.startswith("JSON") else "recordations.csv")
    path.write_bytes(RECORDATION_FILES[name])
    result = ipr("recordation", "import", path)
    assert result.exit_code in (0, 2), result.stderr
    assert "Traceback" not in result.stderr and "Internal error" not in result.stderr
    listing = ipr("recordation", "list", "--format", "json")
    if result.exit_code == 2:
        assert result.stderr.startswith("Error:")
        assert listing.exit_code == 2  # refused: not even an empty store was created
    else:
        assert listing.exit_code == 0


def test_mixed_line_endings_in_a_recordation_file_give_every_row(ipr, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(RECORDATION_FILES["mixed line endings"])
    assert ipr("recordation", "import", path).exit_code == 0
    ids = [r["recordation_id"] for r in json.loads(ipr("recordation", "list", "--format", "json").stdout)]
    assert ids == ["R1", "R2", "R3"]


HOSTILE_FILE_COUNT = len(DECLARATION_FILES) + len(RECORDATION_FILES)
