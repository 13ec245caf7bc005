"""Declaration and recordation files come from thousands of traders: any bytes at all
give exit 0 (read, bad rows skipped) or 2 (refused, with a message) — never a traceback,
never exit 4 (a bug).

The strategies here are also what ``benchmarks/hostile.py`` draws its 100,000 inputs
from (a long run, outside CI); the suite runs a fixed sample of each."""

from __future__ import annotations

import base64
import codecs
import csv
import io
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
# Numbers past every sane range (issue 19: one value of -1e30 broke the whole batch).
NUMBER = st.one_of(
    st.sampled_from(["-1e30", "-1e-31", "1e-31", "1e27", "nan", "NaN", "inf", "-Infinity", "1e999999", "-0", "0",
                     "1" + "0" * 40, "0." + "0" * 40 + "1", "-1" + "0" * 30, "1,234.50", "1.234,50", "12,5", "007"]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.integers().map(str),
)
# Long text of look-alike tokens (issue 19: 1 MB of them once took 140 s).
LONG = st.builds(lambda token, n: (token + " ") * n,
                 st.sampled_from(["NIKE", "N1KE", "NIKEE", "GUCC1", "LOUIS VUITT0N", "ZZZZZZZZZZ", "耐克", "NI KE",
                                  "x" * 50]),
                 st.integers(0, 4000))
VALUE = st.one_of(TEXT, NUMBER, LONG)


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


@st.composite
def rows_like(draw, headers):
    """A well-formed CSV or JSON Lines file of known columns holding hostile values:
    numbers out of range, very long descriptions, control characters."""
    head = draw(st.lists(st.sampled_from(headers), min_size=1, max_size=len(headers), unique=True))
    if headers[0] in DECLARATION_HEADERS and "description" not in head:  # the values are the point
        head.insert(draw(st.integers(0, len(head))), "description")
    rows = draw(st.lists(st.fixed_dictionaries({h: VALUE for h in head}), max_size=5))
    if draw(st.booleans()):
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(head)
        for row in rows:
            w.writerow([row[h] for h in head])
        return _encode(out.getvalue(), "utf-8")
    lines = []
    for row in rows:  # numbers written as JSON numbers where they parse as one (1e308, -1e30)
        obj = {}
        for h, v in row.items():
            try:
                number = json.loads(v)
                obj[h] = number if isinstance(number, (int, float)) and draw(st.booleans()) else v
            except ValueError:
                obj[h] = v
        lines.append(json.dumps(obj))
    return _encode("".join(line + "\n" for line in lines), "utf-8")


def _xml_text(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .encode("utf-8", "replace").decode("utf-8"))


@st.composite
def xlsx_like(draw, headers):
    """A small XLSX of hostile cells: odd texts, huge row numbers, broken or unescaped XML."""
    import zipfile

    head = draw(st.lists(st.sampled_from(headers), min_size=1, max_size=4))
    if draw(st.booleans()):
        head[0] = "description"
    rows = [head] + draw(st.lists(st.lists(VALUE, min_size=1, max_size=4), max_size=4))
    escape = draw(st.booleans()) or draw(st.booleans())
    numbers = draw(st.lists(st.integers(1, 3_000_000), min_size=len(rows), max_size=len(rows), unique=True))
    numbers.sort()
    if draw(st.booleans()):
        numbers = list(range(1, len(rows) + 1))
    parts = []
    for r, cells in zip(numbers, rows):
        inner = "".join(f'<c t="inlineStr"><is><t>{_xml_text(c) if escape else c}</t></is></c>' for c in cells)
        parts.append(f'<row r="{r}">{inner}</row>')
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
                   'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/'
                   'xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
                   f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook {ns} xmlns:r="{rel}"><sheets><sheet name="S" sheetId="1" '
                   'r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
                   f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet {ns}><sheetData>{"".join(parts)}</sheetData></worksheet>'
                   .encode("utf-8", "surrogatepass"))
    data = buf.getvalue()
    if draw(st.integers(0, 9)) == 0:  # cut short
        data = data[: draw(st.integers(0, len(data)))]
    return data


def hostile_bytes(headers):
    return st.one_of(
        st.binary(max_size=600),
        st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b),  # looks like XLSX
        st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF32_BE]).flatmap(
            lambda bom: st.binary(max_size=200).map(lambda b: bom + b)),
        csv_like(headers),
        json_like(headers),
        rows_like(headers),
        xlsx_like(headers),
    )


def assert_no_crash(result):
    assert result.exit_code in (0, 2), f"exit {result.exit_code}: {result.stderr[-2000:]}"
    # (The bare word may be data echoed in a message: a generated value once was "Traceback".)
    assert "Traceback (most recent call last)" not in result.stderr and "Internal error" not in result.stderr
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


# A recordation that is valid as it stands; hostile values then replace some of its fields.
VALID = {"recordation_id": "KCS-TM-2030-000001", "mark": "ZORVEX", "holder": "Zorvex AG", "aliases": "ZORVEKS;조르벡스",
         "hs_scope": "6403;4202", "nice_classes": "25", "registration_no": "KIPO 40-1", "valid_from": "2020-01-01",
         "valid_until": "2035-12-31", "status": "active", "authorized_importers": "KR1",
         "authorized_origins": "DE;IT", "min_unit_value": "40", "currency": "USD", "contact": "", "notes": ""}
HOSTILE_FIELD = {
    "mark": st.one_of(VALUE, st.integers(90, 3000).map(lambda n: "Z" * n)),
    "aliases": st.one_of(VALUE, st.integers(0, 80).map(lambda n: ";".join(f"ALIAS{i}" for i in range(n)))),
    "min_unit_value": st.one_of(NUMBER, TEXT),
}


@st.composite
def recordation_rows(draw):
    rows = []
    for i in range(draw(st.integers(1, 4))):
        row = dict(VALID, recordation_id=f"KCS-TM-2030-{draw(st.integers(0, 3)):06d}" if draw(st.booleans())
                   else draw(TEXT))
        for name in draw(st.lists(st.sampled_from(RECORDATION_FIELDS), max_size=3, unique=True)):
            row[name] = draw(HOSTILE_FIELD.get(name, VALUE))
        rows.append(row)
    return rows


def recordation_csv(path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8", errors="surrogatepass") as f:
        w = csv.writer(f)
        w.writerow(RECORDATION_FIELDS)
        for row in rows:
            w.writerow([row[k] for k in RECORDATION_FIELDS])


def stored(ipr) -> dict | None:
    """The recordations stored, by id, or None when there is no store."""
    listed = ipr("recordation", "list", "--format", "json")
    if listed.exit_code == 2 and "No store" in listed.stderr:
        return None
    assert listed.exit_code == 0, listed.stderr
    return {r["recordation_id"]: r for r in json.loads(listed.stdout)}


OUTCOMES = {"imported": 0, "refused": 0}


@SETTINGS
@given(rows=recordation_rows())
@example(rows=[dict(VALID)])  # valid: the success path is always taken at least once
@example(rows=[dict(VALID, min_unit_value="1e27")])
@example(rows=[dict(VALID, nice_classes="³", hs_scope="６４０３")])  # digits to str.isdigit, not to int(): was exit 4
def test_recordation_rows_of_hostile_values_are_imported_whole_or_refused(ipr, tmp_path, rows):
    """Valid-shaped files of hostile values: exit 0 and every row stored, or exit 2 and
    the store exactly as before (none created when there was none).

    (Before, this test compared nothing when the store did not exist yet, and no
    generated file was ever valid, so the import path was never checked.)"""
    COUNTED["recordations"] += 1
    path = tmp_path / "r.csv"
    recordation_csv(path, rows)
    before = stored(ipr)
    result = ipr("recordation", "import", path)
    assert_no_crash(result)
    after = stored(ipr)
    if result.exit_code == 2:
        OUTCOMES["refused"] += 1
        assert after == before
    else:
        OUTCOMES["imported"] += 1
        assert after is not None
        from ipr_cli.readers import read_records

        read = {rec["recordation_id"].strip(): rec for _, rec in read_records(str(path))}  # (NULs dropped)
        ids = set(read)
        assert ids <= set(after)
        for rid, rec in read.items():
            assert after[rid]["mark"] == rec["mark"].strip()
        assert set(after) - ids == set(before or {}) - ids  # nothing else touched


def test_both_outcomes_were_exercised():
    """Runs after the property test above (file order): it met both outcomes."""
    if OUTCOMES["imported"] + OUTCOMES["refused"]:
        assert OUTCOMES["imported"] and OUTCOMES["refused"], OUTCOMES


# ----------------------------------------------------------------------------- exchange packages
#
# A package comes from another administration: partners are trusted, their software and
# their channel need not be.  The trusted key (FR's) is made inside the run, so hostile
# content can be validly signed, which is the case that reaches the store: the signature
# only says who sent it.  Expected: exit 0 (imported, or already imported) or exit 2
# (refused) with the partner tables exactly as before; a check afterwards never crashes.

EXCHANGE_SENDER, EXCHANGE_RECEIVER = "FR", "KR"
_EXCHANGE_KEYS: dict[str, bytes] = {}


def exchange_key(who: str = "trusted") -> bytes:
    """A raw Ed25519 private key made in this run: ``trusted`` (the sender's, which the
    receiving store trusts) or ``untrusted`` (another one)."""
    if who not in _EXCHANGE_KEYS:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519

        _EXCHANGE_KEYS[who] = ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return _EXCHANGE_KEYS[who]


def write_exchange_public_key(path) -> None:
    """The trusted key's public half, as ``ipr exchange trust`` reads it."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from ipr_cli.exchange.keys import _public_pem

    key = ed25519.Ed25519PrivateKey.from_private_bytes(exchange_key())
    path.write_bytes(_public_pem(key.public_key().public_bytes_raw()))


PSEUDO = "anon-0123456789abcdef0123"
OUTCOME = {"outcome_id": "FR-1", "date": "2026-11-12", "declaration_date": "2026-11-10", "office": "FR-CDG",
           "hs_code": "640411", "description": "NIKE AIR MAX 90 REPLICA SNEAKERS", "quantity": "100",
           "value": "800.00", "currency": "EUR", "origin": "CN", "importer": PSEUDO,
           "exporter": "Shenzhen Huaxing Trading CO., LTD", "transport_document": "MEDU123", "container": "MSCU1234567",
           "port_of_loading": "CNSZX", "mark": "NIKE", "recordation_id": "FR-TM-1", "holder": "Nike Innovate C.V.",
           "decision": "hold"}
PARTNER_RECORDATION = dict(VALID, recordation_id="FR-TM-1", authorized_importers=PSEUDO)
# Any JSON value, of any type, some huge or deeply nested.
JSON_ANY = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), VALUE),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=8,
)
NESTED = st.integers(1, 600).map(lambda n: json.loads("[" * n + "]" * n))  # deep, but readable by json
ENORMOUS = st.sampled_from([5_000, 70_000, 1_100_000]).map(lambda n: "W" * n)
HOSTILE_JSON = st.one_of(JSON_ANY, NESTED, ENORMOUS, st.integers(380, 4100).map(lambda n: "Z" * n))
# Raw JSON text spliced in as it stands: what json.dumps would never write.
RAW_FRAGMENT = st.one_of(
    st.sampled_from([b"NaN", b"-Infinity", b"1e999", b"-1e-999", b'"\\ud800"', b'"\\udfff\\ud800x"', b'"\\u0000"',
                     b"9" * 4301, b"-" + b"1" * 5000, b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 3000 + b"1" + b"}" * 3000,
                     b'"' + b"\\u0041" * 30_000 + b'"', b'{"x":1,"x":2}', b"\"\xff\xfe\"", b"0.1e-99999", b"[]"]),
    st.integers(1, 5000).map(lambda n: b"[" * n + b"]" * n),
)


# Values the schema accepts, hostile all the same: what a validly signed package may hold.
_FREE = st.one_of(TEXT, LONG.map(lambda t: t[:4000]), st.integers(0, 4000).map(lambda n: "\u202e" * n))
_DIGITS = st.sampled_from(["9" * 5000, "-0", "0.0000000000001", "-" + "9" * 400, "1" + "0" * 30, "", "00"])
SCHEMA_HOSTILE = {
    "outcome_id": st.one_of(TEXT.filter(bool).map(lambda t: t[:200]), st.just("X" * 200)),
    "date": st.sampled_from(["9999-99-99", "0000-00-00", "2026-02-30", "1900-01-01"]),
    "quantity": _DIGITS, "value": _DIGITS, "currency": st.sampled_from(["", "ZZZ", "EUR", "XXX"]),
    "origin": TEXT.map(lambda t: t[:10]), "importer": st.sampled_from(["", PSEUDO]),
    "mark": st.one_of(TEXT.filter(bool).map(lambda t: t[:400]), st.just("Z" * 400), st.just("N I K E " * 50)),
    "recordation_id": TEXT.filter(bool).map(lambda t: t[:200]),
    "decision": st.sampled_from(["hold", "seized", "release", "false-positive"]),
    "valid_until": st.sampled_from(["9999-12-31", "0000-00-00", "2026-02-30", "2000-01-01"]),
    "status": st.sampled_from(["active", "suspended", "expired"]),
    "authorized_importers": st.sampled_from(["", PSEUDO, ";".join([PSEUDO] * 2000)]),
    "aliases": st.one_of(VALUE, ENORMOUS, st.integers(0, 3000).map(lambda n: ";".join(f"A{i}" for i in range(n)))),
}


@st.composite
def _hostile_record(draw, base: dict, fields: list[str]) -> dict:
    record = dict(base)
    if draw(st.integers(0, 2)):
        return record
    for name in draw(st.lists(st.sampled_from(fields), min_size=1, max_size=4, unique=True)):
        choice = draw(st.integers(0, 9))
        if choice == 0:
            record.pop(name, None)
        elif choice == 1:
            record[name] = draw(HOSTILE_JSON)
        elif choice == 2:
            record[name] = draw(HOSTILE_FIELD.get(name, VALUE))
        else:
            record[name] = draw(SCHEMA_HOSTILE.get(name, _FREE))
    if draw(st.integers(0, 4)) == 0:
        record[draw(TEXT)] = draw(HOSTILE_JSON)  # unknown field
    return record


def _member(value) -> bytes:
    """``value`` in canonical JSON, or as a hostile sender would write it when it has none
    (a lone surrogate escaped as ``\\ud800``)."""
    from ipr_cli import exchange

    try:
        return exchange.canonical(value)
    except (ValueError, RecursionError):
        try:
            return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("ascii")
        except (ValueError, RecursionError):
            return b"null"


def _join(members: dict) -> bytes:
    """The object of ``members`` (each already JSON), keys sorted as ipr sorts them."""
    return b"{" + b",".join(_member(k) + b":" + members[k] for k in sorted(members)) + b"}"


@st.composite
def exchange_packages(draw) -> bytes:
    """The bytes of a package file: a valid package of hostile content, signed with the
    trusted key or not, then perhaps damaged (cut, bits flipped, raw JSON spliced in)."""
    from ipr_cli import exchange
    from ipr_cli.exchange import keys

    outcomes = []
    for i in range(draw(st.integers(0, 4))):
        o = draw(_hostile_record(dict(OUTCOME, outcome_id=f"FR-{i}"), list(OUTCOME)))
        outcomes.append(o)
    recordations = []
    for i in range(draw(st.integers(0, 3))):
        r = draw(_hostile_record(dict(PARTNER_RECORDATION, recordation_id=f"FR-TM-{i}"), list(RECORDATION_FIELDS)))
        recordations.append(r)
    for items in (outcomes, recordations):  # duplicated ids
        if items and draw(st.integers(0, 5)) == 0:
            items.append(dict(draw(st.sampled_from(items)), mark=draw(st.sampled_from(["NIKE", "ZORVEX", "ADIDAS"]))))
    if draw(st.integers(0, 30)) == 0:  # many of them (plain ones: the package stays under a few MB)
        outcomes = [dict(OUTCOME, outcome_id=f"FR-{i}") for i in range(draw(st.sampled_from([500, 5000])))]
    package = {
        "schema_version": 1,
        "package_id": f"FR-KR-20261203-{draw(st.integers(0, 2 ** 48)):012x}",
        "from": EXCHANGE_SENDER, "to": EXCHANGE_RECEIVER, "created": "2026-12-03T10:00:00.000000+00:00",
        "since": draw(st.sampled_from([None, "2026-11-01"])), "ipr_version": "0.9.0",
        "outcomes": outcomes, "recordations": recordations,
    }
    for name in draw(st.lists(st.sampled_from([*package, "signature"]), max_size=2, unique=True)
                     if draw(st.integers(0, 3)) == 0 else st.just([])):
        if draw(st.booleans()):
            package.pop(name, None)
        else:
            package[name] = draw(st.one_of(HOSTILE_JSON, st.sampled_from(
                ["XX", "kr", "FR", "KR", "2026-02-30", "2026-12-03T25:61:00Z", "", "a" * 200])))
    if draw(st.integers(0, 4)) == 0:
        package[draw(TEXT)] = draw(HOSTILE_JSON)  # unknown top-level member
    signing = draw(st.sampled_from(["trusted"] * 6 + ["untrusted", "garbage", "stale", "none", "raw"]))
    members = {k: _member(v) for k, v in package.items() if k != "signature"}
    if signing == "raw":  # raw JSON in an unknown member, validly signed all the same
        members["zz-raw"] = draw(RAW_FRAGMENT)
    key = keys._ed25519().Ed25519PrivateKey.from_private_bytes(
        exchange_key("untrusted" if signing == "untrusted" else "trusted"))
    signature = {"algorithm": "Ed25519", "key_id": exchange.key_id(key.public_key().public_bytes_raw()),
                 "value": base64.b64encode(key.sign(_join(members))).decode()}
    if signing == "garbage":
        signature["value"] = base64.b64encode(draw(st.binary(min_size=64, max_size=64))).decode()
    elif signing == "stale" and members:  # signed, then one member changed
        name = draw(st.sampled_from(sorted(members)))
        members[name] = _member(draw(HOSTILE_JSON)) if draw(st.booleans()) else members[name] + b" "
    if "signature" in package:
        signature = package["signature"]  # a hostile value drawn above
    if signing != "none":
        members["signature"] = _member(signature)
    data = _join(members)
    if draw(st.integers(0, 9)) == 0:  # not in canonical form
        try:
            data = json.dumps(json.loads(data), indent=draw(st.sampled_from([None, 1])),
                              ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
        except (ValueError, RecursionError):
            pass
    data += draw(st.sampled_from([b"\n"] * 6 + [b"", b"\n\n", b"\r\n", b" "]))
    damage = draw(st.sampled_from(["none"] * 12 + ["cut", "flip", "splice", "encoding"]))
    if damage == "cut" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif damage == "flip" and data:
        flipped = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            flipped[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
        data = bytes(flipped)
    elif damage == "splice":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(RAW_FRAGMENT) + data[at:]
    elif damage == "encoding":  # another encoding, or a byte-order mark
        text = data.decode("utf-8", "replace")
        data = codecs.BOM_UTF8 + data if draw(st.booleans()) else text.encode(
            draw(st.sampled_from(["utf-16", "latin-1", "utf-32"])), "replace")
    return data


def partner_state(db) -> tuple:
    """What an exchange import may change: the partner tables, the packages, the audit trail."""
    import sqlite3

    if not os.path.exists(db):
        return ()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return tuple(tuple(conn.execute(f"SELECT * FROM {table} ORDER BY rowid"))
                     for table in ("exchange_partners", "exchange_packages", "partner_outcomes",
                                   "partner_recordations", "audit"))
    finally:
        conn.close()


def declaration_after(package: bytes) -> str:
    """A declaration line meeting the package's first outcome (its mark, exporter, container
    and port): a check then applies what was imported."""
    try:
        first = (json.loads(package).get("outcomes") or [{}])[0]
    except (ValueError, RecursionError, AttributeError, TypeError, IndexError, KeyError):
        first = {}
    first = first if isinstance(first, dict) else {}
    cell = {k: v if isinstance(v, str) else "" for k, v in first.items()}
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["declaration_id", "description", "hs_code", "origin", "exporter", "container", "port_of_loading"])
    w.writerow(["D1", f"{cell.get('mark') or 'NIKE'} AIR SNEAKERS", "640411", cell.get("origin", "CN"),
                cell.get("exporter", ""), cell.get("container", ""), cell.get("port_of_loading", "")])
    return out.getvalue()


@pytest.fixture
def receiving(ipr, tmp_path):
    """KR's store: its recordations, its own key, and FR's key (made in this run) trusted."""
    assert ipr("recordation", "import", FIXTURES / "recordations.csv").exit_code == 0
    assert ipr("exchange", "keygen", "--admin", EXCHANGE_RECEIVER, "--output", tmp_path / "KR.pub").exit_code == 0
    write_exchange_public_key(tmp_path / "FR.pub")
    assert ipr("exchange", "trust", EXCHANGE_SENDER, tmp_path / "FR.pub").exit_code == 0


def import_hostile_package(ipr, db, tmp_path, data: bytes) -> int:
    """Import ``data`` as a package: exit 2 leaves the partner tables as they were; exit 0
    imported it (or had before), and a check meeting what it holds does not crash."""
    path = tmp_path / "package.json"
    path.write_bytes(data)
    before = partner_state(db)
    result = ipr("exchange", "import", path)
    assert_no_crash(result)
    if result.exit_code == 2:
        assert partner_state(db) == before, result.stderr
        return 2
    assert "mported" in result.stderr, result.stderr
    decl = tmp_path / "after.csv"
    decl.write_text(declaration_after(data), encoding="utf-8", errors="surrogatepass")
    assert_no_crash(ipr("check", decl, "--with-partner-recordations", "--no-save", "--format", "json"))
    return 0


EXCHANGED = {0: 0, 2: 0}


def _signed_package(**changes) -> bytes:
    """A package signed with the trusted key, ``raw`` members spliced in as they stand."""
    from ipr_cli import exchange
    from ipr_cli.exchange import keys

    raw = changes.pop("raw", {})
    package = {"schema_version": 1, "package_id": "FR-KR-20261203-000000000001", "from": EXCHANGE_SENDER,
               "to": EXCHANGE_RECEIVER, "created": "2026-12-03T10:00:00+00:00", "since": None,
               "ipr_version": "0.9.0", "outcomes": [dict(OUTCOME)], "recordations": [], **changes}
    members = {k: _member(v) for k, v in package.items()} | raw
    key = keys._ed25519().Ed25519PrivateKey.from_private_bytes(exchange_key())
    members["signature"] = exchange.canonical({
        "algorithm": "Ed25519", "key_id": exchange.key_id(key.public_key().public_bytes_raw()),
        "value": base64.b64encode(key.sign(_join(members))).decode()})
    return _join(members) + b"\n"


@pytest.mark.parametrize("data, says", [
    # Found by the exchange strategies above; each was exit 4 ("a bug") or a wrong count.
    (_signed_package(raw={"zz": b"9" * 4301}), "number too long"),
    (_signed_package(raw={"zz": b"[" * 100_000 + b"]" * 100_000}), "nested too deeply"),
    (_signed_package(ipr_version="0.9\ud800"), "lone surrogate"),
    (_signed_package(outcomes=[dict(OUTCOME), dict(OUTCOME, mark="ZORVEX")]), "outcomes[1].outcome_id 'FR-1' already given in outcomes[0]"),
    (_signed_package(recordations=[dict(PARTNER_RECORDATION), dict(PARTNER_RECORDATION, mark="ADIDAS")]),
     "recordations[1].recordation_id 'FR-TM-1' already given in recordations[0]"),
], ids=["4301-digit number", "deep nesting", "lone surrogate", "outcome id twice", "recordation id twice"])
def test_hostile_exchange_package_is_refused_with_a_message(ipr, receiving, db_path, tmp_path, data, says):
    """A package validly signed by a trusted partner, holding what no ipr writes: refused
    (exit 2), the message saying why, nothing stored.  (Before: exit 4 for the first
    three; the duplicated ids were imported, counted twice and audited as two additions.)"""
    path = tmp_path / "package.json"
    path.write_bytes(data)
    before = partner_state(db_path)
    result = ipr("exchange", "import", path)
    assert result.exit_code == 2, result.stderr
    assert says in result.stderr and "Nothing was imported" in result.stderr, result.stderr
    assert partner_state(db_path) == before


@settings(SETTINGS, max_examples=FUZZ or 30)
@given(data=exchange_packages())
@example(data=_signed_package(outcomes=[dict(OUTCOME, description="\x1b]52;c;aGk=\x07 NIKE" * 100, mark="N I K E",
                                             exporter="Shenzhen Huaxing Trading CO., LTD" * 100, quantity="9" * 5000)],
                              recordations=[dict(PARTNER_RECORDATION, mark="NIKE", aliases="N1KE;NIKEE")]))
def test_hostile_exchange_packages_are_imported_whole_or_refused(ipr, receiving, db_path, tmp_path, data):
    EXCHANGED[import_hostile_package(ipr, db_path, tmp_path, data)] += 1


def test_exchange_packages_met_both_outcomes():
    """Runs after the property test above: hostile content validly signed got in, and some was refused."""
    if sum(EXCHANGED.values()):
        assert EXCHANGED[0] and EXCHANGED[2], EXCHANGED


@pytest.mark.parametrize("field, value", [
    ("valid_from", " "), ("valid_from", " 2026-01-01 "), ("min_unit_value", " "), ("min_unit_value", " 12.50 "),
    ("hs_scope", " 6403 ; 6404 "), ("aliases", " N1KE ; NIKEE "),
])
def test_partner_recordations_are_stored_as_validated(ipr, receiving, db_path, tmp_path, field, value):
    """A partner's recordation passes the rules once trimmed (a date of one space is no
    date): it is stored as validated, so every later check can use it.  (Found by the
    long hostile run: stored untrimmed, every `check --with-partner-recordations` then
    exited 4 on `' '` as a date or a number.)"""
    data = _signed_package(recordations=[dict(PARTNER_RECORDATION, **{field: value})])
    (tmp_path / "package.json").write_bytes(data)
    assert ipr("exchange", "import", tmp_path / "package.json").exit_code == 0
    decl = tmp_path / "after.csv"
    decl.write_text(declaration_after(data), encoding="utf-8")
    result = ipr("check", decl, "--with-partner-recordations", "--no-save", "--format", "json")
    assert result.exit_code in (0, 1), result.stderr


def test_a_partner_recordation_spoilt_in_the_store_is_named_not_a_crash(ipr, receiving, db_path, tmp_path):
    """A partner recordation changed outside ipr (or stored raw by an older ipr) is refused
    with exit 3 naming the partner, the recordation and the field, not exit 4."""
    import sqlite3

    data = _signed_package(recordations=[dict(PARTNER_RECORDATION)])
    (tmp_path / "package.json").write_bytes(data)
    assert ipr("exchange", "import", tmp_path / "package.json").exit_code == 0
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE partner_recordations SET record = json_set(record, '$.valid_until', '2026-02-30')")
    conn.close()
    decl = tmp_path / "after.csv"
    decl.write_text(declaration_after(data), encoding="utf-8")
    result = ipr("check", decl, "--with-partner-recordations", "--no-save")
    assert result.exit_code == 3, result.stderr
    assert "partner FR" in result.stderr and "'FR-TM-1'" in result.stderr and "valid_until" in result.stderr


def test_an_oversized_exchange_package_is_refused_before_it_is_read(ipr, receiving, db_path, tmp_path):
    """A package is read whole: one past 100 MiB is refused (exit 2) naming its size and
    the limit, nothing stored.  (Before, any size was read and parsed whole, at about ten
    bytes of memory a byte: 295 MiB for 29 MB; the long run once made a 550 MB package.)"""
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:  # sparse: no disk used
        f.truncate(100 * 1024 * 1024 + 1)
    before = partner_state(db_path)
    result = ipr("exchange", "import", path)
    assert result.exit_code == 2, result.stderr
    assert "100.0 MiB; a package may be at most 100 MiB" in result.stderr, result.stderr
    assert "Nothing was imported" in result.stderr and "--since" in result.stderr
    assert partner_state(db_path) == before
