"""Declaration and recordation files come from thousands of traders: any bytes at all
give exit 0 (read, bad rows skipped) or 2 (refused, with a message) — never a traceback,
never exit 4 (a bug)."""

from __future__ import annotations

import codecs
import json
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from _robust import FIXTURES
from ipr_cli.models import RECORDATION_FIELDS

# IPR_FUZZ_EXAMPLES=5000 runs a longer, randomised hunt (not in CI).
FUZZ = int(os.environ.get("IPR_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(
    max_examples=FUZZ or 150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=not FUZZ,  # CI: the same examples every run, so it never flakes and a failure reproduces
)

DECLARATION_HEADERS = ["declaration_id", "item_no", "date", "importer", "origin", "hs_code", "description",
                       "Goods Description", "brand", "quantity", "value", "currency", "qty", "품명"]
NAMES = ["decl.csv", "decl.jsonl", "decl.json", "decl", "decl.txt", "decl.xlsx", "decl.tsv"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp949", "cp1252", "latin-1", "shift_jis", "utf-32"]

# Text that tends to break things: markup, formulas, controls, look-alikes, surrogate escapes.
NASTY = st.sampled_from([
    "", " ", "NIKE", "N1KE", "NIKE\x00", "[bold]NIKE[/bold]", "[/x]", "=1+2", "@SUM(A1)", "\r", "\n",
    '"', '""', "'", "\\", "\ufeff", "\u202eEKIN", "Ｎｉｋｅ", "НІКЕ", "\x1b[31m", "<script>alert(1)</script>",
    "9" * 400, "1e999999", "-0", "NaN", "2026-02-30", "99999999", "\ud800", "\udcff", "耐克", ";;;",
])
TEXT = st.one_of(NASTY, st.text(max_size=40), st.text(alphabet=st.characters(codec="utf-8"), max_size=10))


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace")


@st.composite
def csv_like(draw, headers):
    """Text shaped like a delimited file: a header of known and odd names, ragged rows."""
    delim = draw(st.sampled_from([",", ";", "\t", "|"]))
    ends = st.sampled_from(["\n", "\r\n", "\r"])
    head = draw(st.lists(st.one_of(st.sampled_from(headers), TEXT), min_size=1, max_size=8))
    lines = [delim.join(head)]
    for _ in range(draw(st.integers(0, 6))):
        cells = draw(st.lists(TEXT, max_size=len(head) + 2))
        if draw(st.booleans()):
            cells = ['"' + c.replace('"', '""') + '"' for c in cells]
        lines.append(delim.join(cells))
    text = "".join(line + draw(ends) for line in lines)
    if draw(st.booleans()):
        text = "sep=" + delim + "\n" + text
    return _encode(text, draw(st.sampled_from(ENCODINGS)))


@st.composite
def json_like(draw, keys):
    """JSON Lines or a JSON array of objects with hostile values (and broken bits)."""
    value = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXT),
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
        max_leaves=6,
    )
    objs = draw(st.lists(
        st.one_of(st.dictionaries(st.one_of(st.sampled_from(keys), TEXT), value, max_size=6), value),
        max_size=5,
    ))
    parts = [json.dumps(o, ensure_ascii=draw(st.booleans())) for o in objs]
    if draw(st.booleans()):
        text = "\n".join(parts) + "\n"
    else:
        text = "[" + ",".join(parts) + "]"
    if draw(st.booleans()) and text:  # cut it somewhere
        text = text[: draw(st.integers(0, len(text)))]
    return _encode(text, draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])))


def hostile_bytes(headers):
    return st.one_of(
        st.binary(max_size=600),
        st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b),  # looks like XLSX
        st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF32_BE]).flatmap(
            lambda bom: st.binary(max_size=200).map(lambda b: bom + b)),
        csv_like(headers),
        json_like(headers),
    )


def assert_no_crash(result):
    assert result.exit_code in (0, 2), f"exit {result.exit_code}: {result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr and "Internal error" not in result.stderr
    if result.exit_code == 2:
        assert result.stderr.startswith("Error:"), result.stderr


@pytest.fixture
def stocked(ipr):
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0


COUNTED = {"declarations": 0, "recordations": 0}


@SETTINGS
@given(data=hostile_bytes(DECLARATION_HEADERS), name=st.sampled_from(NAMES),
       fmt=st.sampled_from(["table", "json", "jsonl", "csv", "html"]), save=st.booleans())
@example(data=b'{"description": "NIKE \\ud800", "declaration_id": "\\udc00"}\n', name="d.jsonl", fmt="json", save=True)
def test_any_bytes_as_a_declaration_file_never_crash_check(ipr, stocked, tmp_path, data, name, fmt, save):
    COUNTED["declarations"] += 1
    path = tmp_path / name
    path.write_bytes(data)
    args = ["check", path, "--format", fmt] + ([] if save else ["--no-save"])
    assert_no_crash(ipr(*args))


@SETTINGS
@given(data=hostile_bytes(list(RECORDATION_FIELDS)), name=st.sampled_from(["r.csv", "r.json", "r.jsonl", "r"]))
@example(data=b'[{"recordation_id": "R\\ud800", "mark": "M", "holder": "H", "valid_until": "2030-01-01"}]',
         name="r.json")
def test_any_bytes_as_a_recordation_file_never_crash_import(ipr, tmp_path, data, name):
    COUNTED["recordations"] += 1
    path = tmp_path / name
    path.write_bytes(data)
    assert_no_crash(ipr("recordation", "import", path))
    assert_no_crash(ipr("recordation", "import", path, "--dry-run"))


@SETTINGS
@given(rows=st.lists(st.fixed_dictionaries({k: TEXT for k in RECORDATION_FIELDS}), min_size=1, max_size=4))
def test_recordation_rows_of_hostile_values_are_imported_whole_or_refused(ipr, tmp_path, rows):
    """Valid-shaped files of hostile values: exit 0 and every row stored, or exit 2 and none."""
    import csv

    COUNTED["recordations"] += 1
    path = tmp_path / "r.csv"
    with open(path, "w", newline="", encoding="utf-8", errors="surrogatepass") as f:
        w = csv.writer(f)
        w.writerow(RECORDATION_FIELDS)
        for row in rows:
            w.writerow([row[k] for k in RECORDATION_FIELDS])
    before = ipr("recordation", "list", "--format", "json")
    result = ipr("recordation", "import", path)
    assert_no_crash(result)
    after = ipr("recordation", "list", "--format", "json")
    if result.exit_code == 2 or before.exit_code != 0:
        assert after.stdout == before.stdout or before.exit_code != 0
        if before.exit_code != 0:  # no store before: a refused import creates none
            assert after.exit_code == 2
    else:
        stored = {r["recordation_id"] for r in json.loads(after.stdout)}
        assert {row["recordation_id"].strip() for row in rows} <= stored
