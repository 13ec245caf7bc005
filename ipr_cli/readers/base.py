"""Shared parts of the readers: limits, canonical fields and their header synonyms, row problems, ``--columns``."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from decimal import Decimal

from ..errors import UsageError
from ..models import DECLARATION_FIELDS, RECORDATION_FIELDS


# Leading bytes used to pick format and encoding.
_SAMPLE_BYTES = 256 * 1024
# How much of the sample charset-normalizer looks at (it is slow on large inputs).
_DETECT_BYTES = 64 * 1024
# A CSV field longer than this is a malformed row (skipped and reported): the csv
# module holds a field being read as 4 bytes a character.
_FIELD_LIMIT = 8 * 1024 * 1024
# Only this much of a description (or brand) is screened: matching work grows with the
# text, and no customs description is near this long (e-commerce listings run to a
# few hundred characters).  A longer one is cut at a word boundary, marked with "…",
# and reported; screening one line then takes well under a second against 10,000 marks
# (tests/robustness/test_limits.py).
MATCH_CHARS = 2000
# Declared quantities and values are read within this range (in magnitude); outside it
# (-1e30, 1e-31, a typo of twenty digits) the field is treated as missing and reported.
NUMBER_MAX = Decimal(10) ** 15
NUMBER_MIN = Decimal(10) ** -6
# Malformed rows are counted; only the first this many are kept as examples (a file of
# millions of ragged rows must not be held in memory).
PROBLEMS_KEPT = 100
_CHUNK_CHARS = 64 * 1024
_STDIN = "-"

# Every undecodable byte sequence becomes this lone surrogate, which no codec
# produces from valid input, so a row holding it is known to be damaged.
_BAD_CHAR = "\udcff"
_ERRORS = "ipr-cli-undecodable"


# How many undecodable sequences were met so far (by any reader): rows are only
# searched for _BAD_CHAR once this has moved, which keeps clean files fast.
_undecodable_count = 0


def _mark_undecodable(exc: UnicodeError) -> tuple[str, int]:
    global _undecodable_count
    if isinstance(exc, UnicodeDecodeError):
        _undecodable_count += 1
        return _BAD_CHAR, exc.end
    raise exc


codecs.register_error(_ERRORS, _mark_undecodable)

# The fields of a declaration line: one definition, in models.

# Header synonyms, matched after _compact(); the canonical name itself is implied.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "description": (
        "goods description", "desc", "description of goods", "item description",
        "product", "goods", "product description", "commercial description",
        "goods desc", "품명", "거래품명", "品名", "商品名",
    ),
    "hs_code": (
        "commodity code", "hs", "tariff code", "hs code", "cn code", "hts",
        "hts code", "hscode", "tariff", "tariff number", "hsk", "세번", "세번부호",
    ),
    "declaration_id": (
        "declaration no", "declaration number", "decl id", "decl no", "entry number",
        "entry no", "mrn", "신고번호",
    ),
    "item_no": ("item", "line no", "item number", "item no", "line number", "line", "란번호"),
    "importer": ("importer id", "consignee", "importer name", "importer no", "수입자"),
    "origin": ("country of origin", "origin country", "coo", "origin code", "원산지"),
    "brand": ("brand name", "trademark", "상표"),
    "value": ("customs value", "total value", "invoice value", "amount", "과세가격", "금액"),
    "quantity": ("qty", "pieces", "수량"),
    "currency": ("ccy", "currency code", "통화"),
    "date": ("acceptance date", "declaration date", "신고일자", "수리일자"),
    "exporter": ("consignor", "exporter name", "exporter id", "shipper", "seller", "supplier", "수출자", "发货人"),
    "transport_document": (
        "transport doc", "bill of lading", "bl", "b/l", "bl no", "bl number", "hbl", "mbl",
        "awb", "air waybill", "airway bill", "waybill", "cmr", "선하증권번호", "운송장번호",
    ),
    "container": ("container no", "container number", "container id", "cntr", "cntr no", "컨테이너번호"),
    "port_of_loading": ("pol", "loading port", "port of departure", "place of loading", "port loading", "적재항"),
}


def _compact(name: str) -> str:
    """Header key for matching: case-folded, only letters and digits kept."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


# compact header → (canonical field, rank); lower rank wins when two columns map
# to the same field (the canonical name beats a synonym, an earlier synonym a later one).
_HEADER_INDEX: dict[str, tuple[str, int]] = {}
for _field in DECLARATION_FIELDS:
    _HEADER_INDEX[_compact(_field)] = (_field, 0)
for _field, _names in _SYNONYMS.items():
    for _rank, _name in enumerate(_names, start=1):
        _HEADER_INDEX.setdefault(_compact(_name), (_field, _rank))

_RECORD_INDEX = {_compact(f): f for f in RECORDATION_FIELDS}


@dataclass(frozen=True)
class RowProblem:
    """A malformed row or field; ``skipped`` tells whether its line was dropped."""

    file: str
    row: int
    field: str
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        where = f"{_display(self.file)}, row {self.row}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


def _display(path: str) -> str:
    return "standard input" if path == _STDIN else path


# A JSON escape such as "\ud800" decodes to a lone surrogate (as undecodable bytes give
# _BAD_CHAR): no valid text holds one, and it can be neither stored nor printed as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_UNICODE = "undecodable bytes or a lone \\ud800-\\udfff escape (not valid Unicode)"


def _printable(text: str) -> str:
    return text.replace(_BAD_CHAR, "\ufffd")


# --------------------------------------------------------------------------- options


def parse_columns_option(text: str) -> dict[str, str]:
    """Parse ``--columns``: ``field=Header,...`` → ``{canonical field: header}``."""
    valid = ", ".join(DECLARATION_FIELDS)
    out: dict[str, str] = {}
    if not text or not text.strip():
        raise UsageError("--columns is empty", hint=f"give field=Header pairs; fields: {valid}")
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, header = part.partition("=")
        name, header = name.strip(), header.strip()
        if not sep or not name or not header:
            raise UsageError(
                f"--columns: {part.strip()!r} is not of the form field=Header",
                hint="e.g. --columns 'description=Goods Desc,hs_code=Tariff'",
            )
        canonical = {_compact(f): f for f in DECLARATION_FIELDS}.get(_compact(name))
        if canonical is None:
            raise UsageError(f"--columns: unknown field {name!r}", hint=f"fields: {valid}")
        if canonical in out:
            raise UsageError(f"--columns: field {canonical} is given twice")
        out[canonical] = header
    if not out:
        raise UsageError("--columns is empty", hint=f"give field=Header pairs; fields: {valid}")
    return out

