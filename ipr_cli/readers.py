"""Declaration and recordation files → rows: CSV, JSON Lines, JSON array, XLSX, Parquet.

Public API::

    DeclarationReader(path, encoding=None, columns=None, strict=False, part=None, row_offset=0)
        iterate once → DeclarationLine; .problems, .lines_read, .lines_skipped,
        .bytes_read, .bytes_total (None for stdin), .headers, .format, .encoding;
        close() or use as a context manager when not iterating to the end
    RowProblem(file, row, field, message, skipped=True)
    read_records(path, encoding=None) → Iterator[(row, {canonical_field: str})]
    parse_columns_option("description=Goods Desc,hs_code=Tariff") → dict

How a file is read
------------------
* ``path`` ``"-"`` is standard input.  The first bytes decide the format: a ZIP
  header is XLSX, ``[`` a JSON array, ``{`` JSON Lines, anything else CSV; the
  extensions ``.csv .tsv .txt``, ``.jsonl .ndjson`` and ``.xlsx .xlsm`` force theirs.
* Text encoding: a BOM wins (UTF-8/16/32); else UTF-8 if the leading sample
  decodes; else charset-normalizer's guess on that sample (EUC-KR is read as its
  superset cp949, GB2312/GBK as GB18030, Shift-JIS as cp932); ``encoding=`` forces.
  A byte sequence that does not decode never raises: its row is reported as a
  problem and skipped.  NUL characters are removed.
* CSV: delimiter sniffed among ``, ; TAB |`` on the header line (Excel's ``sep=;``
  first line is honoured); ``\\r\\n``, ``\\n`` and ``\\r`` line ends all work;
  fields up to 8 Mi characters (a longer one makes its row malformed; the rows after
  it keep their numbers).  The header is the first non-blank row.
* XLSX: first sheet, read-only; the header is the first non-empty row; a date cell
  becomes an ISO date and an integral number loses its ``.0``.
* JSON array: streamed element by element, so a large array is not loaded whole.
* Parquet (a file, or a directory read as one dataset): see parquet_io.py.
* Row numbers are 1-based data rows (the header is not counted; blank rows are
  counted but yield nothing), so ``row`` N is the Nth record after the header.

Bad input
---------
Everything wrong with the file as a whole (missing, directory, unreadable, empty,
binary, no ``description`` column, broken JSON array) raises ``InputError``
naming the file.  A malformed row (ragged CSV row, broken JSON line, not an
object, undecodable bytes) is recorded in ``problems`` and skipped, or with
``strict=True`` raises ``InputError`` naming file, row and field.  A bad ``date``,
``quantity`` or ``value`` does not drop the line: the line is yielded with that
field empty and a problem with ``skipped=False`` is recorded (``strict`` raises);
so is a number outside ``NUMBER_MIN``..``NUMBER_MAX`` in magnitude, or negative.  A
description or brand longer than ``MATCH_CHARS`` is cut (``…`` marks the cut) and
reported the same way.  ``problems`` keeps the first ``PROBLEMS_KEPT`` problems;
``problem_count`` and ``problem_rows`` count them all.
"""

from __future__ import annotations

import codecs
import collections
import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import operator
import os
import re
import stat
import sys
import tempfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Iterator

from .errors import InputError, UsageError
from .models import RECORDATION_FIELDS, DeclarationLine

__all__ = [
    "DECLARATION_FIELDS",
    "DeclarationReader",
    "RowProblem",
    "parse_columns_option",
    "read_records",
]

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

DECLARATION_FIELDS: tuple[str, ...] = (
    "declaration_id",
    "item_no",
    "date",
    "importer",
    "origin",
    "hs_code",
    "description",
    "brand",
    "quantity",
    "value",
    "currency",
    "exporter",
    "transport_document",
    "container",
    "port_of_loading",
)

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


# --------------------------------------------------------------------------- value parsing

_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_PLAIN_NUM = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_COMMA_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DOT_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009'_]")


def _parse_date(text: str) -> dt.date:
    """ISO ``YYYY-MM-DD`` (also ``/`` or ``.``, a time part ignored) or ``YYYYMMDD``."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # the common case, fast
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    m = _ISO_DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if not m:
        raise ValueError(f"{text[:40]!r} is not a date (use YYYY-MM-DD)")
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a valid date") from None


_NONZERO_DIGITS = "123456789"
# Ends a description cut to MATCH_CHARS.
CUT_MARK = " …"
_EXCEL_SERIAL = re.compile(r"[1-9]\d{4}(?:\.0+)?")


def _excel_serial_date(text: str) -> dt.date | None:
    """A spreadsheet date stored as a plain day number (a cell without a date format):
    ``46328`` is 2026-11-02.  Only five-digit numbers (1927 to 2173) are read so."""
    if not _EXCEL_SERIAL.fullmatch(text):
        return None
    return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(text)))


def _plain_number(text: str) -> bool:
    """True for ASCII digits with at most one point (``744.57``, ``12``): most numbers,
    told apart without a regular expression, each a ``Decimal`` as it is written."""
    return len(text) <= 40 and text.isascii() and text.replace(".", "", 1).isdigit()


def _parse_decimal(text: str) -> Decimal:
    """A finite decimal; thousands separators accepted where unambiguous.

    ``1,234.50`` and ``1.234,50`` are both 1234.50; ``1,234`` is 1234 (comma
    grouping); ``12,5`` is 12.5 (decimal comma: not three digits after the comma).
    """
    if _plain_number(text):  # the common case, fast
        return Decimal(text)
    s = _SPACES.sub("", text)
    if len(s) > 40:
        raise ValueError(f"{text[:40]!r}… is not a number")
    if _PLAIN_NUM.fullmatch(s):
        pass
    elif _COMMA_THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    elif _DOT_THOUSANDS.fullmatch(s):
        s = s.replace(".", "").replace(",", ".")
    elif _DECIMAL_COMMA.fullmatch(s):
        s = s.replace(",", ".")
    else:
        raise ValueError(f"{text[:40]!r} is not a number")
    try:
        return Decimal(s)
    except InvalidOperation:  # pragma: no cover - the patterns above admit only numbers
        raise ValueError(f"{text[:40]!r} is not a number") from None


def _json_scalar(value: Any) -> str:
    """A JSON value as the string a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, list):
        return ";".join(_json_scalar(v) for v in value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _decimal_text(d: Decimal) -> str:
    if not d.is_finite():
        return str(d)
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and -60 < exp < 60:
        whole = d.to_integral_value()
        return format(whole if d == whole else d, "f")
    return str(d)


def _float_text(x: float) -> str:
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return _decimal_text(Decimal(repr(x)))


def _cell_text(value: Any) -> str:
    """An XLSX cell value as text: dates ISO, integral numbers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    return str(value)


# --------------------------------------------------------------------------- byte sources


class _Source(io.RawIOBase):
    """A read-once byte stream: an already-read ``prefix``, then the rest; counts bytes.

    ``drop_nul``: leave out NUL bytes (padding some exports carry), for an encoding
    in which a NUL byte is always the NUL character (any but UTF-16 and UTF-32).
    """

    def __init__(self, f: IO[bytes], prefix: bytes, owned: bool, drop_nul: bool = False) -> None:
        super().__init__()
        self._f = f
        self._prefix = memoryview(prefix)
        self._owned = owned
        self.drops_nul = drop_nul
        self.count = 0
        self.digest = hashlib.sha256()  # of every byte read: the file's, once at_end
        self.at_end = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while True:
            if self._prefix:
                n = min(len(b), len(self._prefix))
                b[:n] = self._prefix[:n]
                self._prefix = self._prefix[n:]
            else:
                n = self._f.readinto(b) or 0
                self.at_end = not n
            self.count += n
            if n:
                self.digest.update(b[:n])
            if not self.drops_nul or not n:
                return n
            block = bytes(b[:n])
            if b"\x00" not in block:
                return n
            block = block.replace(b"\x00", b"")
            if block:  # (a block of nothing but NULs is read past: 0 would mean the end)
                b[:len(block)] = block
                return len(block)

    def close(self) -> None:
        if self._owned and not self._f.closed:
            self._f.close()
        super().close()


@dataclass
class _Opened:
    path: str
    f: IO[bytes]
    owned: bool
    sample: bytes
    size: int | None  # bytes in the file, None for a pipe or stdin


def _open(path: str) -> _Opened:
    """Open ``path`` (or stdin) and read its leading sample; every OS error → InputError."""
    shown = _display(path)
    if path == _STDIN:
        f: IO[bytes] = sys.stdin.buffer
        owned = False
        size = None
    else:
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed by the reader
        except FileNotFoundError:
            raise InputError(f"{shown}: no such file", hint="check the path") from None
        except IsADirectoryError:
            raise InputError(f"{shown}: is a directory, not a file") from None
        except PermissionError:
            raise InputError(f"{shown}: cannot be read (permission denied)") from None
        except OSError as exc:
            raise InputError(f"{shown}: cannot be opened ({exc.strerror or exc})") from None
        owned = True
        try:
            st = os.fstat(f.fileno())
            if stat.S_ISDIR(st.st_mode):
                f.close()
                raise InputError(f"{shown}: is a directory, not a file")
            size = st.st_size if stat.S_ISREG(st.st_mode) else None
        except OSError:
            size = None
    try:
        sample = _read_upto(f, _SAMPLE_BYTES)
    except OSError as exc:
        if owned:
            f.close()
        if isinstance(exc, IsADirectoryError):
            raise InputError(f"{shown}: is a directory, not a file") from None
        raise InputError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    return _Opened(path, f, owned, sample, size)


def _open_range(path: str, part: tuple[int, int, int]) -> _Opened:
    """A CSV file's header bytes and one byte range of it, as one small file."""
    header_end, start, end = part
    try:
        with open(path, "rb") as f:
            head = f.read(header_end)
            f.seek(start)
            body = f.read(end - start)
    except OSError as exc:
        raise InputError(f"{_display(path)}: cannot be read ({exc.strerror or exc})") from None
    data = head + body
    f = io.BytesIO(data)
    f.seek(min(len(data), _SAMPLE_BYTES))  # (the sample is read first, as _open reads it)
    return _Opened(path, f, True, data[:_SAMPLE_BYTES], len(data))


def _read_upto(f: IO[bytes], n: int) -> bytes:
    parts = []
    while n > 0:
        chunk = f.read(n)
        if not chunk:
            break
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ENCODING_UPGRADES = {
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
}
_PREFERRED = {"cp1252": 4, "cp949": 3, "euc_kr": 3, "cp932": 2, "shift_jis": 2, "gb18030": 1}
_CONTROL_BYTES = frozenset(set(range(0x00, 0x09)) | set(range(0x0E, 0x1B)) | set(range(0x1C, 0x20)))


def _looks_binary(sample: bytes) -> bool:
    head = sample[:8192]
    if not head:
        return False
    controls = sum(1 for b in head if b in _CONTROL_BYTES)
    return controls * 20 > len(head)  # more than 5 % control bytes


def _choose_encoding(op: _Opened, forced: str | None) -> str:
    """The text encoding of the file (see the module docstring)."""
    shown = _display(op.path)
    if forced:
        try:
            name = codecs.lookup(forced).name
            io.TextIOWrapper(io.BytesIO(b""), encoding=name)  # rejects bytes→bytes codecs
        except LookupError:
            raise UsageError(f"--encoding: unknown text encoding {forced!r}") from None
        if name == "utf-8" and op.sample.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        return name
    for bom, name in _BOMS:
        if op.sample.startswith(bom):
            return name
    sample = op.sample
    if _looks_binary(sample):
        raise _binary(shown)
    whole = op.size is not None and len(sample) >= op.size
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        import charset_normalizer

        matches = list(charset_normalizer.from_bytes(sample[:_DETECT_BYTES]))
    except Exception:  # noqa: BLE001 - a detector failure means "unknown", not a crash
        matches = []
    if not matches:
        raise _binary(shown)
    # charset-normalizer's own first pick may be a near-tie (cp1250 over cp1252 on
    # French text): among the least chaotic, take the most coherent, then the most
    # common legacy encoding.
    least = min(m.chaos for m in matches)
    best = max(
        (m for m in matches if m.chaos <= least + 0.01),
        key=lambda m: (round(m.coherence, 3), _PREFERRED.get(_codec_name(m.encoding), 0)),
    )
    name = _codec_name(best.encoding)
    return _ENCODING_UPGRADES.get(name, name)


def _codec_name(name: str) -> str:
    try:
        return codecs.lookup(name).name.replace("-", "_")
    except LookupError:
        return name


def _binary(shown: str) -> InputError:
    return InputError(
        f"{shown}: not a text, JSON or XLSX file (it looks binary)",
        hint="give a CSV, JSON, JSON Lines or XLSX file, or --encoding if it is text",
    )


# --------------------------------------------------------------------------- row sources
#
# A row source yields (row, cells) where cells is a list (aligned with headers) or a
# dict (JSON), or (row, RowProblem) for a malformed row.


class _Problem(Exception):
    """Internal: a malformed row, caught by the reader."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class _Format:
    name: str
    headers: list[str]
    keyed: bool  # rows are dicts (JSON) rather than lists aligned with headers
    encoding: str | None = None

    def __init__(self, op: _Opened) -> None:
        self.op = op
        self.shown = _display(op.path)
        self.stream: _Source | None = None

    @property
    def bytes_read(self) -> int:
        return self.stream.count if self.stream else 0

    def rows(self) -> Iterator[tuple[int, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        text = getattr(self, "_text", None)
        try:
            if text is not None:
                text.close()
            elif self.stream is not None:
                self.stream.close()
        except (OSError, ValueError):
            pass
        if self.op.owned:
            self.op.f.close()


def _text_stream(op: _Opened, encoding: str, newline: str | None,
                 drop_nul: bool = False) -> tuple[_Source, io.TextIOWrapper]:
    """A text stream over the file; ``drop_nul``: without NUL bytes where they can only
    be NUL characters (the caller strips them from the text otherwise)."""
    nul_is_byte = not codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    raw = _Source(op.f, op.sample, op.owned, drop_nul=drop_nul and nul_is_byte)
    text = io.TextIOWrapper(io.BufferedReader(raw, 64 * 1024), encoding=encoding,
                            errors=_ERRORS, newline=newline)
    return raw, text


class _CsvFormat(_Format):
    keyed = False
    name = "csv"

    def __init__(self, op: _Opened, encoding: str) -> None:
        super().__init__(op)
        self.encoding = encoding
        self.stream, self._text = _text_stream(op, encoding, newline="", drop_nul=True)
        csv.field_size_limit(_FIELD_LIMIT)
        lines: Iterator[str] = self._text if self.stream.drops_nul else _strip_nul(self._text)
        first = self._peek_first_line(lines)
        delimiter = None
        if first is not None:
            m = re.fullmatch(r"\s*sep=(.)\s*", first)
            if m:  # Excel's "sep=;" line: it names the delimiter and is not the header
                delimiter = m[1]
                first = None
            else:
                delimiter = _sniff_delimiter(first)
        pending = [first] if first is not None else []
        self._lines = itertools.chain(pending, lines)
        # The last line handed to csv, kept by a C-level filter that drops nothing (the
        # append returns None): a Python generator here costs a tenth of the reading time.
        self._last = collections.deque(maxlen=1)
        self._reader = csv.reader(itertools.filterfalse(self._last.append, self._lines), delimiter=delimiter or ",",
                                  quotechar='"', doublequote=True, strict=False)
        self.headers = self._read_header()

    def _skip_rest_of_record(self, lines_in_record: int) -> None:
        """After csv gave up on a field longer than the limit, skip what is left of its
        record (the rest of a quoted field may span many lines), so that the rows after
        it are read from their first line and keep their numbers.  csv has dropped the
        rest of the last line it was given; a record goes on past a line only inside
        quotes, and each quote character (``""`` counts twice) toggles that."""
        quoted = lines_in_record > 1  # the record went on past a line: it was inside quotes
        if self._last and self._last[0].count('"') % 2:
            quoted = not quoted
        while quoted:
            line = next(self._lines, None)
            if line is None:
                return
            if line.count('"') % 2:
                quoted = False

    def _peek_first_line(self, lines: Iterator[str]) -> str | None:
        for line in lines:
            if line.strip():
                return line
        return None

    def _read_header(self) -> list[str]:
        while True:
            try:
                row = next(self._reader)
            except StopIteration:
                return []
            except csv.Error as exc:
                raise InputError(f"{self.shown}: the header row cannot be read ({exc})") from None
            except OSError as exc:
                raise InputError(f"{self.shown}: read failed ({exc})") from None
            if any(cell.strip() for cell in row):
                return [cell.strip() for cell in row]

    def rows(self) -> Iterator[tuple[int, Any]]:
        width = len(self.headers)
        row = 0
        reader = self._reader
        start = reader.line_num  # lines read before the record being read
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row += 1
                if "field limit" in str(exc):
                    self._skip_rest_of_record(reader.line_num - start)
                    yield row, _Problem("", f"a field longer than {_FIELD_LIMIT:,} characters (the limit)")
                else:
                    yield row, _Problem("", f"malformed CSV row ({exc})")
                start = reader.line_num
                continue
            except OSError as exc:
                raise InputError(f"{self.shown}: read failed after row {row} ({exc})") from None
            start = reader.line_num
            row += 1
            if len(cells) != width:
                if not cells or not any(c.strip() for c in cells):
                    continue
                if len(cells) < width or any(c.strip() for c in cells[width:]):
                    yield row, _Problem(
                        "", f"has {len(cells)} fields where the header has {width}")
                    continue
                cells = cells[:width]
            yield row, cells


def _strip_nul(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        yield line.replace("\x00", "") if "\x00" in line else line


def _sniff_delimiter(line: str) -> str:
    """The candidate delimiter occurring most often outside quotes in the header line."""
    counts = dict.fromkeys(",;\t|", 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda c: counts[c])  # max keeps the first on ties
    return best if counts[best] else ","


class _JsonLinesFormat(_Format):
    keyed = True
    name = "jsonl"

    def __init__(self, op: _Opened, encoding: str) -> None:
        super().__init__(op)
        self.encoding = encoding
        self.stream, self._text = _text_stream(op, encoding, newline=None)
        self._decoder = json.JSONDecoder(parse_float=Decimal)
        self._pending: list[tuple[int, Any]] = []
        self._row = 0
        self.headers = []
        # Headers come from the first good object; read ahead to find it.
        self._gen = self._iter()
        for item in self._gen:
            self._pending.append(item)
            if isinstance(item[1], dict):
                self.headers = list(item[1])
                break

    def _iter(self) -> Iterator[tuple[int, Any]]:
        while True:
            try:
                line = self._text.readline()
            except OSError as exc:
                raise InputError(f"{self.shown}: read failed after row {self._row} ({exc})") from None
            if not line:
                return
            self._row += 1
            line = line.replace("\x00", "").strip()
            if not line:
                continue
            if _BAD_CHAR in line:
                yield self._row, _Problem("", "undecodable bytes (not valid in this encoding)")
                continue
            try:
                obj = self._decoder.decode(line)
            except (ValueError, RecursionError) as exc:
                yield self._row, _Problem("", f"not valid JSON ({_json_why(exc)})")
                continue
            if not isinstance(obj, dict):
                yield self._row, _Problem("", "not a JSON object")
                continue
            yield self._row, obj

    def rows(self) -> Iterator[tuple[int, Any]]:
        pending, self._pending = self._pending, []
        yield from pending
        yield from self._gen


def _json_why(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)[:200]


class _JsonArrayFormat(_Format):
    """A JSON array read element by element with ``raw_decode`` over a growing buffer."""

    keyed = True
    name = "json"

    def __init__(self, op: _Opened, encoding: str) -> None:
        super().__init__(op)
        self.encoding = encoding
        self.stream, self._text = _text_stream(op, encoding, newline="")
        self._decoder = json.JSONDecoder(parse_float=Decimal)
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._row = 0
        self._started = False
        self._done = False
        self._pending: list[tuple[int, Any]] = []
        self.headers = []
        self._gen = self._iter()
        for item in self._gen:
            self._pending.append(item)
            if isinstance(item[1], dict):
                self.headers = list(item[1])
                break

    def _more(self, at_least: int = _CHUNK_CHARS) -> bool:
        if self._eof:
            return False
        try:
            chunk = self._text.read(max(at_least, _CHUNK_CHARS))
        except OSError as exc:
            raise InputError(f"{self.shown}: read failed after row {self._row} ({exc})") from None
        if not chunk:
            self._eof = True
            return False
        if "\x00" in chunk:
            chunk = chunk.replace("\x00", "")
        self._buf = self._buf[self._pos:] + chunk
        self._pos = 0
        return True

    def _skip_ws(self) -> str:
        """The next non-blank character (not consumed), or "" at end of input."""
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in " \t\r\n\ufeff":
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._more():
                return ""

    def _broken(self, why: str) -> InputError:
        return InputError(
            f"{self.shown}: broken JSON array at row {self._row + 1}: {why}",
            hint="fix the file; nothing after this point can be read",
        )

    def _iter(self) -> Iterator[tuple[int, Any]]:
        if self._done:
            return
        if not self._started:
            self._started = True
            if self._skip_ws() != "[":
                raise self._broken("it does not start with '['")
            self._pos += 1
            if self._skip_ws() == "]":
                self._done = True
                return
        while True:
            if self._skip_ws() == "":
                raise self._broken("the file ends before the closing ']'")
            obj, problem = self._decode_one()
            self._row += 1
            if problem is not None:
                yield self._row, problem
            elif not isinstance(obj, dict):
                yield self._row, _Problem("", "not a JSON object")
            else:
                yield self._row, obj
            sep = self._skip_ws()
            if sep == ",":
                self._pos += 1
            elif sep == "]":
                self._pos += 1
                self._done = True
                if self._skip_ws() != "":
                    raise self._broken("there is more data after the closing ']'")
                return
            elif sep == "":
                raise self._broken("the file ends before the closing ']'")
            else:
                raise self._broken(f"expected ',' or ']' but found {sep!r}")

    def _decode_one(self) -> tuple[Any, _Problem | None]:
        while True:
            try:
                obj, end = self._decoder.raw_decode(self._buf, self._pos)
            except (ValueError, RecursionError) as exc:
                # Maybe the element continues past the buffer: read more (doubling, so a
                # huge element costs linear time) and retry; at the end it is broken.
                if self._more(len(self._buf)):
                    continue
                raise self._broken(f"not valid JSON ({_json_why(exc)})") from None
            if end >= len(self._buf) and self._more(len(self._buf)):
                continue  # a number at the buffer's end may go on: decode again
            text = self._buf[self._pos:end]
            self._pos = end
            if _BAD_CHAR in text:
                return None, _Problem("", "undecodable bytes (not valid in this encoding)")
            return obj, None

    def rows(self) -> Iterator[tuple[int, Any]]:
        pending, self._pending = self._pending, []
        yield from pending
        yield from self._gen


HEADER_SCAN_ROWS = 20  # an XLSX header may sit under title rows: look this far for it
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


class _XlsxFormat(_Format):
    """The first sheet.  The header is the row given by ``header_row`` (1-based, as the
    spreadsheet numbers it), else the first of the first rows that ``is_header`` accepts
    (title rows above it are skipped), else the first non-empty row.  A merged cell's
    value fills every cell of the merge (a declaration id merged over its items)."""

    keyed = False
    name = "xlsx"

    def __init__(self, op: _Opened, header_row: int | None = None, is_header: Any = None) -> None:
        super().__init__(op)
        self._estimate: int | None = None
        self._done = False
        self._buffered: list[tuple[int, tuple]] = []
        try:
            import openpyxl

            if op.path == _STDIN or op.size is None:
                spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
                spool.write(op.sample)
                while chunk := op.f.read(1024 * 1024):
                    spool.write(chunk)
                spool.seek(0)
                self._spool = spool
                target: Any = spool
            else:
                op.f.seek(0)  # the open file, not its name: openpyxl refuses names not ending in .xlsx
                target = op.f
            _check_xlsx_limits(target, self.shown)
            target.seek(0)
            self._wb = openpyxl.load_workbook(target, read_only=True, data_only=True,
                                              keep_links=False)
            ws = self._wb.worksheets[0]
            try:
                self._estimate = ws.max_row if ws.max_row and ws.max_row > 1 else None
            except Exception:  # noqa: BLE001 - only a progress estimate
                self._estimate = None
            self._merges = self._merged_cells(ws)
            ws.reset_dimensions()  # the stored dimensions may lie; read every row
            self._rows = enumerate(ws.iter_rows(values_only=True), start=1)
            self._header_at = 0
            self.headers = []
            self._find_header(header_row, is_header)
        except InputError:
            self.close()
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on bad files
            self.close()
            raise InputError(f"{self.shown}: not a readable XLSX file ({type(exc).__name__}: {exc})"[:500],
                             hint="open it in a spreadsheet and save it again as .xlsx or .csv") from None
        if not self.headers:
            self.close()
            if header_row:
                raise InputError(f"{self.shown}: row {header_row} of the first sheet is empty",
                                 hint="--header-row names the spreadsheet row that holds the column names")
            raise InputError(f"{self.shown}: the first sheet is empty")

    def _merged_cells(self, ws: Any) -> dict[int, list[tuple[int, int, int, int]]]:
        """Sheet row → merges that cover cells of it below or right of their top-left cell,
        as (first column, last column, top row, left column), 1-based."""
        out: dict[int, list[tuple[int, int, int, int]]] = {}
        try:
            source = ws._get_source()  # the sheet's XML; mergeCells follow the cell data
        except Exception:  # noqa: BLE001 - no merges known: cells read as stored
            return out
        tail = b""
        with source:
            while chunk := source.read(1 << 20):
                data = tail + chunk
                for m in _MERGE_REF.finditer(data):
                    c1, r1 = _column_number(m[1]), int(m[2])
                    c2, r2 = (_column_number(m[3]), int(m[4])) if m[3] else (c1, r1)
                    if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000:
                        continue  # a whole-sheet merge is layout, not data
                    for r in range(r1, r2 + 1):
                        out.setdefault(r, []).append((c1, c2, r1, c1))
                tail = data[-200:]
        # A merge seen in two chunks (across the tail) is listed twice: harmless.
        return out

    def _next(self) -> tuple[int, tuple] | None:
        if self._buffered:
            return self._buffered.pop(0)
        for index, values in self._rows:
            return index, self._fill(index, values)
        return None

    def _fill(self, index: int, values: tuple) -> tuple:
        merges = self._merges.get(index)
        if merges:
            self._tops = getattr(self, "_tops", {})
            cells = list(values)
            for c1, c2, top, left in merges:
                if index == top:
                    self._tops[(top, left)] = cells[left - 1] if left <= len(cells) else None
                    continue
                value = self._tops.get((top, left))
                if len(cells) < c2:
                    cells.extend([None] * (c2 - len(cells)))
                for c in range(c1, c2 + 1):
                    if cells[c - 1] in (None, ""):
                        cells[c - 1] = value
            return tuple(cells)
        return values

    def _find_header(self, header_row: int | None, is_header: Any) -> None:
        seen: list[tuple[int, list[str]]] = []
        while True:
            item = self._next()
            if item is None:
                break
            index, values = item
            cells = [_cell_text(v).strip() for v in values]
            while cells and not cells[-1]:
                cells.pop()
            if header_row:
                if index == header_row:
                    self.headers, self._header_at = cells, index
                    return
                continue
            if not any(cells):
                continue
            seen.append((index, cells))
            if is_header is None or is_header(cells):
                self.headers, self._header_at = cells, index
                # Rows read past a title row are data again after this header.
                return
            if len(seen) >= HEADER_SCAN_ROWS:
                break
        if seen and not header_row:
            # No row looks like a header: the first non-empty one is named in the error.
            index, cells = seen[0]
            self.headers, self._header_at = cells, index
            rest = [(i, c) for i, c in seen[1:]]
            self._pending_rows = rest

    @property
    def bytes_read(self) -> int:
        return 0

    def rows(self) -> Iterator[tuple[int, Any]]:
        width = len(self.headers)
        row = 0
        pending = getattr(self, "_pending_rows", [])
        try:
            while True:
                if pending:
                    index, texts = pending.pop(0)
                    values: Any = texts
                else:
                    item = self._next()
                    if item is None:
                        break
                    index, values = item
                # Row numbers count sheet rows below the header (blank ones too).
                row = index - self._header_at
                self.row_at = index
                if self.row_at > XLSX_MAX_ROWS:  # (gaps between rows count: openpyxl fills them in)
                    raise InputError(f"{self.shown}: more than {XLSX_MAX_ROWS:,} rows, the most a sheet holds",
                                     hint="split the file, or save it as CSV")
                cells = [_cell_text(v) for v in values[:width]]
                if len(cells) < width:
                    cells.extend([""] * (width - len(cells)))
                if not any(c.strip() for c in cells):
                    continue
                yield row, cells
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on bad files
            raise InputError(f"{self.shown}: XLSX file broken after row {row} ({type(exc).__name__})") from None
        self._done = True

    def close(self) -> None:
        wb = getattr(self, "_wb", None)
        if wb is not None:
            try:
                wb.close()
            except Exception:  # noqa: BLE001
                pass
        spool = getattr(self, "_spool", None)
        if spool is not None:
            spool.close()
        if self.op.owned:
            self.op.f.close()


# XLSX limits, checked on the ZIP archive before openpyxl reads it, so that memory stays
# bounded (a 787 KB file of one 512 MB cell once took 12 GiB; a 3 MB shared-strings bomb
# 2.75 GiB; 17 M empty rows 1.7 GiB).  The sizes are those the archive declares: zipfile
# never unpacks more than a member declares.  Excel's own limits are 1,048,576 rows,
# 16,384 columns and 32,767 characters a cell.
XLSX_MAX_MEMBER = 512 * 1024 * 1024    # bytes one member (a sheet) unpacks to
XLSX_MAX_TOTAL = 1024 * 1024 * 1024    # bytes all members unpack to
XLSX_MAX_MEMBERS = 10_000
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_CELLS_PER_ROW = 16_384
XLSX_MAX_STRINGS = 2_000_000           # shared strings (openpyxl keeps them all in memory)
XLSX_MAX_TEXT_BYTES = 256 * 1024       # of one cell's text as stored (32,767 characters, escaped)
_XLSX_LONG_TEXT = re.compile(b"[^<]{%d}" % XLSX_MAX_TEXT_BYTES)


def _check_xlsx_limits(target: Any, shown: str) -> None:
    """Refuse (``InputError``) an XLSX archive past the limits above, reading it once in
    1 MiB blocks: member sizes, then in every member the rows, the cells of a row, the
    shared strings and the longest text between two tags."""
    import zipfile
    import zlib

    hint = "split the file, or save it as CSV"
    try:
        with zipfile.ZipFile(target) as archive:
            members = archive.infolist()
            if len(members) > XLSX_MAX_MEMBERS:
                raise InputError(f"{shown}: an XLSX archive of {len(members):,} parts (the limit is "
                                 f"{XLSX_MAX_MEMBERS:,})", hint=hint)
            total = 0
            for info in members:
                total += info.file_size
                if info.file_size > XLSX_MAX_MEMBER:
                    raise InputError(f"{shown}: XLSX part {info.filename[:80]!r} unpacks to {info.file_size:,} bytes "
                                     f"(the limit is {XLSX_MAX_MEMBER:,})", hint=hint)
            if total > XLSX_MAX_TOTAL:
                raise InputError(f"{shown}: the XLSX archive unpacks to {total:,} bytes (the limit is "
                                 f"{XLSX_MAX_TOTAL:,})", hint=hint)
            for info in members:
                if not info.is_dir():
                    with archive.open(info) as member:
                        _scan_xlsx_member(member, shown, info.filename[:80])
    except InputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError,
            RuntimeError, OSError, zlib.error) as exc:
        raise InputError(f"{shown}: not a readable XLSX file ({type(exc).__name__}: {exc})"[:500],
                         hint="open it in a spreadsheet and save it again as .xlsx or .csv") from None


def _scan_xlsx_member(member: IO[bytes], shown: str, name: str) -> None:
    rows = strings = cells = run = 0
    tail = b""
    while True:
        block = member.read(1 << 20)
        if not block:
            return
        # The text run going on from the block before, and the longest inside this one.
        first = block.find(b"<")
        run = run + len(block) if first < 0 else run + first
        if run >= XLSX_MAX_TEXT_BYTES or _XLSX_LONG_TEXT.search(block):
            raise InputError(f"{shown}: a cell (in {name}) holds more than {XLSX_MAX_TEXT_BYTES:,} bytes of "
                             f"text; a cell holds at most 32,767 characters", hint="save the file as CSV")
        if first >= 0:
            run = len(block) - block.rfind(b"<") - 1
        joined = tail + block  # a tag cut by the block boundary is counted once, in the next block
        parts = joined.split(b"<row")
        rows += len(parts) - 1
        strings += joined.count(b"<si>") + joined.count(b"<si ")
        for k, part in enumerate(parts):
            cells = (cells if k == 0 else 0) + part.count(b"<c ") + part.count(b"<c>") + part.count(b"<c/")
            if cells > XLSX_MAX_CELLS_PER_ROW:
                raise InputError(f"{shown}: a row (in {name}) of more than {XLSX_MAX_CELLS_PER_ROW:,} cells",
                                 hint="save the file as CSV")
        if rows > XLSX_MAX_ROWS:
            raise InputError(f"{shown}: more than {XLSX_MAX_ROWS:,} rows, the most a sheet holds", hint="split "
                             "the file, or save it as CSV")
        if strings > XLSX_MAX_STRINGS:
            raise InputError(f"{shown}: more than {XLSX_MAX_STRINGS:,} distinct texts (shared strings)",
                             hint="split the file, or save it as CSV")
        tail = block[-4:]
        # (Counts in ``tail`` were made with this block: take them out of the next.)
        rows -= tail.count(b"<row")
        strings -= tail.count(b"<si>") + tail.count(b"<si ")
        cells -= tail.count(b"<c ") + tail.count(b"<c>") + tail.count(b"<c/")


_XLSX_EXT = (".xlsx", ".xlsm")
_JSONL_EXT = (".jsonl", ".ndjson")
_CSV_EXT = (".csv", ".tsv", ".txt", ".tab")


def _open_format(path: str, encoding: str | None, part: Any = None, header_row: int | None = None,
                 is_header: Any = None) -> _Format:
    """Open ``path`` and pick its format; raises InputError for an unusable file.

    ``part`` (see partitions.py): a list of Parquet row groups, or a ``(header_end,
    start, end)`` byte range of a CSV file read as the header then those bytes.
    ``header_row`` and ``is_header`` place the header of an XLSX sheet."""
    from . import parquet_io

    if parquet_io.is_parquet(path):
        return parquet_io.ParquetFormat(path, groups=part)  # type: ignore[return-value]
    op = _open_range(path, part) if part is not None else _open(path)
    try:
        return _detect(op, encoding, header_row, is_header)
    except BaseException:
        if op.owned:
            op.f.close()
        raise


def _detect(op: _Opened, encoding: str | None, header_row: int | None = None, is_header: Any = None) -> _Format:
    shown = _display(op.path)
    ext = os.path.splitext(op.path)[1].lower() if op.path != _STDIN else ""
    sample = op.sample
    if sample.startswith(b"PK\x03\x04") or ext in _XLSX_EXT:
        if not sample.startswith(b"PK"):
            raise InputError(f"{shown}: not a valid XLSX file (no ZIP header)")
        return _XlsxFormat(op, header_row, is_header)
    if header_row:
        raise UsageError(f"--header-row applies to XLSX files; {shown} is not one",
                         hint="a CSV or JSON file's header is its first non-blank row")
    if sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(f"{shown}: an old Excel .xls file; these are not supported",
                         hint="save it as .xlsx or .csv")
    enc = _choose_encoding(op, encoding)
    head = sample[:_DETECT_BYTES].decode(enc, errors="replace")
    stripped = head.lstrip("\ufeff \t\r\n\x00")
    if not stripped and len(sample) < _SAMPLE_BYTES:
        what = "the file is empty" if sample else "the file is empty (0 bytes)"
        raise InputError(f"{shown}: {what}", hint="give a file with a header row")
    if ext in _JSONL_EXT:
        return _JsonLinesFormat(op, enc)
    if ext not in _CSV_EXT:
        if stripped.startswith("["):
            return _JsonArrayFormat(op, enc)
        if stripped.startswith("{"):
            return _JsonLinesFormat(op, enc)
    return _CsvFormat(op, enc)


# --------------------------------------------------------------------------- declarations


def _resolve_columns(shown: str, headers: list[str], columns: dict[str, str] | None) -> dict[str, int]:
    """Map canonical field → index in ``headers`` (synonyms, then ``--columns``)."""
    found: dict[str, tuple[int, int]] = {}  # field → (rank, index)
    for index, header in enumerate(headers):
        hit = _HEADER_INDEX.get(_compact(header))
        if hit is None:
            continue
        field, rank = hit
        if field not in found or rank < found[field][0]:
            found[field] = (rank, index)
    result = {field: index for field, (_, index) in found.items()}
    for field, wanted in (columns or {}).items():
        index = _find_header(headers, wanted)
        if index is None:
            raise InputError(
                f"{shown}: no column {wanted!r} (given for {field} in --columns); "
                f"found {_header_list(headers)}",
                hint="check the header row and the --columns option",
            )
        # A column claimed by --columns is no longer its synonym's field.
        for other, i in list(result.items()):
            if i == index and other != field:
                del result[other]
        result[field] = index
    if "description" not in result:
        raise InputError(
            f"{shown}: no description column; found {_header_list(headers)}",
            hint="name the goods description column with --columns description=HEADER",
        )
    return result


# What screening loses without a field: named in the warning about a look-alike column.
_FIELD_ROLE = {
    "currency": "the price rule (unit value below the genuine minimum) is off",
    "value": "the price rule (unit value below the genuine minimum) is off",
    "quantity": "the price rule (unit value below the genuine minimum) is off",
    "origin": "the origin rule (origin outside the authorized origins) is off",
    "importer": "authorized importers and the allow and deny lists cannot apply",
    "hs_code": "the HS scope of recordations cannot be checked",
    "date": "validity is judged on --as-of (default: today) instead of each line's date",
    "brand": "the declared brand is not screened",
    "declaration_id": "hits cannot be told apart by declaration id across files",
    "item_no": "hits cannot be told apart by item across files",
}


def _looks_like(header: str) -> str | None:
    """The field an unrecognised header probably means (``Curr`` → currency), or None."""
    key = _compact(header)
    if len(key) < 3:
        return None
    best: tuple[float, str] | None = None
    from rapidfuzz import fuzz

    for name, (field, _rank) in _HEADER_INDEX.items():
        if not name.isascii() or len(name) < 3:
            continue
        if name.startswith(key) or (key.startswith(name) and len(name) >= 4):
            score = 100.0
        else:
            score = fuzz.ratio(key, name)
        if score >= 85 and (best is None or score > best[0]):
            best = (score, field)
    return best[1] if best else None


def _column_warnings(shown: str, headers: list[str], index: dict[str, int]) -> list[str]:
    """One warning per unrecognised column that looks like a field the file lacks."""
    used = set(index.values())
    out = []
    for i, header in enumerate(headers):
        if i in used or not header.strip():
            continue
        field = _looks_like(header)
        if field is None or field in index or field == "description":
            continue
        role = _FIELD_ROLE.get(field, f"the {field} field is left empty")
        out.append(f"{shown}: column {_printable(header)[:60]!r} is not recognised but looks like {field}; "
                   f"without a {field} column {role}. To use it, give --columns {field}={_printable(header)[:60]!r}")
    return out


def _find_header(headers: list[str], wanted: str) -> int | None:
    for index, header in enumerate(headers):
        if header == wanted.strip():
            return index
    key = _compact(wanted)
    for index, header in enumerate(headers):
        if _compact(header) == key:
            return index
    return None


def _header_list(headers: list[str]) -> str:
    if not headers:
        return "no header row"
    shown = [_printable(h)[:60] for h in headers[:40]]
    more = f" and {len(headers) - 40} more" if len(headers) > 40 else ""
    return "headers " + ", ".join(repr(h) for h in shown) + more


# The fields of a declaration line after file and row.
_LINE_FIELDS = DeclarationLine._fields[2:]
_new_tuple = tuple.__new__  # (a named tuple's own constructor is Python code)


class DeclarationReader:
    """Stream the declaration lines of one file (see the module docstring).

    Opening checks the file and its columns and raises ``InputError`` when it is
    unusable; iterating yields ``DeclarationLine`` one at a time.  The reader can
    be iterated once; use it as a context manager (or iterate to the end) to close it.
    """

    def __init__(
        self,
        path: str,
        encoding: str | None = None,
        columns: dict[str, str] | None = None,
        strict: bool = False,
        part: Any = None,
        row_offset: int = 0,
        header_row: int | None = None,
    ) -> None:
        path = os.fspath(path)
        self.file = path
        self.strict = strict
        self.problems: list[RowProblem] = []  # the first PROBLEMS_KEPT
        self.problem_count = 0  # all of them
        self.problem_rows = 0  # rows with at least one
        self.warnings: list[str] = []
        self._skipped = 0
        self._problem_row = -1
        self.lines_read = 0
        self._columns = dict(columns or {})
        # part, row_offset: one partition of the file (see partitions.py), its rows
        # numbered as in the whole file.
        self._row_offset = row_offset
        self._format = _open_format(path, encoding, part, header_row, self._is_header)
        self.bytes_total: int | None = self._format.op.size
        try:
            self.headers = list(self._format.headers)
            if self._format.keyed and not self.headers:
                self._index: dict[str, int] = {}  # no object at all: zero lines
            else:
                self._index = _resolve_columns(_display(path), self.headers, self._columns)
                self.warnings = _column_warnings(_display(path), self.headers, self._index)
            if hasattr(self._format, "use_columns"):
                self._format.use_columns(list(self._index.values()))
        except BaseException:
            self._format.close()
            raise
        self._key_cache: dict[str, tuple[str, int] | None] = {}
        self._dates: dict[str, dt.date] = {}
        self._numbers: dict[str, Decimal] = {}
        self._started = False

    def _is_header(self, cells: list[str]) -> bool:
        """True for a row that names the description column (a title row does not)."""
        wanted = self._columns.get("description")
        for cell in cells:
            if wanted is not None:
                if cell == wanted.strip() or _compact(cell) == _compact(wanted):
                    return True
            elif (hit := _HEADER_INDEX.get(_compact(cell))) is not None and hit[0] == "description":
                return True
        return False

    @property
    def format(self) -> str:
        """``csv``, ``jsonl``, ``json``, ``xlsx`` or ``parquet``."""
        return self._format.name

    @property
    def encoding(self) -> str | None:
        """The text encoding used (``None`` for XLSX)."""
        return self._format.encoding

    def sha256(self) -> str:
        """The SHA-256 of the file ("" for standard input): of the bytes read when the
        whole file was read through, else read again for it."""
        if self.file == "-":
            return ""
        if hasattr(self._format, "sha256"):
            return self._format.sha256()
        stream = self._format.stream
        if stream is not None and stream.at_end:
            return stream.digest.hexdigest()
        if not os.path.isfile(self.file):
            return ""  # a pipe cannot be read again
        digest = hashlib.sha256()
        with open(self.file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    # -- progress
    @property
    def bytes_read(self) -> int:
        if isinstance(self._format, _XlsxFormat):
            fmt = self._format
            if not self.bytes_total:
                return 0
            if fmt._done:
                return self.bytes_total
            if fmt._estimate:
                done = min(getattr(fmt, "row_at", 0) / fmt._estimate, 1.0)
                return int(self.bytes_total * done)
            return 0
        return self._format.bytes_read

    @property
    def lines_skipped(self) -> int:
        return self._skipped

    # -- lifecycle
    def close(self) -> None:
        self._format.close()

    def __enter__(self) -> DeclarationReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[DeclarationLine]:
        if self._started:
            raise RuntimeError("a DeclarationReader can be iterated only once")
        self._started = True
        return self._lines()

    # -- reading
    def _problem(self, row: int, field: str, message: str, skipped: bool = True, malformed: bool = True) -> None:
        problem = RowProblem(self.file, row, field, message, skipped)
        if self.strict and malformed:
            raise InputError(str(problem), hint="fix the row, or run without --strict to skip it")
        self.problem_count += 1
        if row != self._problem_row:  # (a row's problems come one after another)
            self._problem_row = row
            self.problem_rows += 1
        if skipped:
            self._skipped += 1
        if len(self.problems) < PROBLEMS_KEPT:
            self.problems.append(problem)

    def _lines(self) -> Iterator[DeclarationLine]:
        fmt = self._format
        pairs = list(self._index.items())
        # The cells of each field in _LINE_FIELDS order in one C call; a field the file
        # lacks reads the empty cell appended after the row's last.
        width = len(self.headers)
        pick = operator.itemgetter(*(self._index.get(name, width) for name in _LINE_FIELDS))
        undecodable_before = _undecodable_count
        keyed = fmt.keyed
        make_line = self._make_line
        strip = str.strip
        offset = self._row_offset
        try:
            for row, cells in fmt.rows():
                row += offset
                if cells.__class__ is _Problem:
                    self._problem(row, cells.field, cells.message)
                    continue
                if keyed:
                    fields = self._fields_from_dict(cells)
                    values = None if fields is None else [fields.get(name, "") for name in _LINE_FIELDS]
                elif _undecodable_count != undecodable_before and any(_BAD_CHAR in cells[i] for _, i in pairs):
                    values = None
                else:
                    cells.append("")
                    values = map(strip, pick(cells))
                if values is None:
                    self._problem(row, "", _NOT_UNICODE if keyed else "undecodable bytes (not valid in this encoding)")
                    continue
                line = make_line(row, *values)
                if not line.description:
                    # Nothing to screen: a totals, subtotal or note row.  Skipped and
                    # counted (also with --strict: the row is not malformed).
                    self._problem(row, "description", "no description; row skipped", malformed=False)
                    continue
                self.lines_read += 1
                yield line
        finally:
            fmt.close()

    def _fields_from_dict(self, obj: dict[str, Any]) -> dict[str, str] | None:
        out: dict[str, str] = {}
        ranks: dict[str, int] = {}
        for key, value in obj.items():
            if key in self._key_cache:
                hit = self._key_cache[key]
            else:
                hit = self._field_for_key(key)
                if len(self._key_cache) < 10_000:
                    self._key_cache[key] = hit
            if hit is None:
                continue
            field, rank = hit
            if field in ranks and ranks[field] <= rank:
                continue
            text = _json_scalar(value)
            if _SURROGATE.search(text):
                return None
            out[field] = text.strip()
            ranks[field] = rank
        return out

    def _field_for_key(self, key: str) -> tuple[str, int] | None:
        """The field a JSON key fills and its rank (``--columns`` first, then synonyms)."""
        compact = _compact(key)
        for field, wanted in self._columns.items():
            if key == wanted.strip():
                return field, -2
            if compact == _compact(wanted):
                return field, -1
        return _HEADER_INDEX.get(compact)

    def _make_line(self, row: int, description: str, declaration_id: str, item_no: str, date_text: str,
                   importer: str, origin: str, hs_code: str, brand: str, quantity_text: str,
                   value_text: str, currency: str, exporter: str = "", transport_document: str = "",
                   container: str = "", port_of_loading: str = "") -> DeclarationLine:
        """A line from its stripped field texts (in ``_LINE_FIELDS`` order)."""
        date = quantity = value = None
        if len(description) > MATCH_CHARS:
            description = self._cut(row, "description", description)
        if len(brand) > MATCH_CHARS:
            brand = self._cut(row, "brand", brand)
        if date_text:
            date = self._dates.get(date_text)  # a batch holds a few distinct dates
            if date is None:
                try:
                    date = _excel_serial_date(date_text) if self._format.name == "xlsx" else None
                    date = date or _parse_date(date_text)
                    if len(self._dates) < 1000:
                        self._dates[date_text] = date
                except ValueError as exc:
                    self._problem(row, "date", f"{exc}; the line is kept without a date", skipped=False)
        numbers = self._numbers  # a batch repeats its quantities
        if quantity_text:
            quantity = numbers.get(quantity_text) or self._number(row, "quantity", quantity_text)
        if value_text:  # mostly distinct: _parse_decimal's common case (1 to 1e15) read here, without two calls
            value = (Decimal(value_text) if len(value_text) < 16 and value_text[0] in _NONZERO_DIGITS
                     and _plain_number(value_text) else self._number(row, "value", value_text))
        return _new_tuple(DeclarationLine, (self.file, row, description, declaration_id, item_no, date, importer,
                                            origin.upper(), hs_code, brand, quantity, value, currency.upper(),
                                            exporter, transport_document, container.upper(), port_of_loading))

    def _cut(self, row: int, field: str, text: str) -> str:
        """``text`` cut to ``MATCH_CHARS`` at a word boundary, ``…`` marking the cut; reported."""
        cut = text[:MATCH_CHARS]
        space = cut.rfind(" ", MATCH_CHARS - 100)
        if space > 0:  # not inside a word: a word's first letters could read as another mark
            cut = cut[:space]
        self._problem(row, field, f"{len(text):,} characters long; only the first {len(cut):,} were screened "
                                  f"(the limit is {MATCH_CHARS:,})", skipped=False)
        return cut + CUT_MARK

    def _number(self, row: int, field: str, text: str) -> Decimal | None:
        try:
            number = _parse_decimal(text)
            if number and not NUMBER_MIN <= number <= NUMBER_MAX:
                raise ValueError(f"{text[:40]!r} is out of range (a {field} is at least {NUMBER_MIN} "
                                 f"and at most {NUMBER_MAX:,}, and not negative)")
        except ValueError as exc:
            self._problem(row, field, f"{exc}; the line is kept without a {field}", skipped=False)
            return None
        if len(self._numbers) < 4096:
            self._numbers[text] = number
        return number


# --------------------------------------------------------------------------- recordations


def _record_key(header: str) -> str:
    """A recordation column's key: the canonical field, else a snake-case form."""
    compact = _compact(header)
    if compact in _RECORD_INDEX:
        return _RECORD_INDEX[compact]
    return re.sub(r"[\s_\-]+", "_", header.strip().casefold()).strip("_")


def read_records(path: str, encoding: str | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a recordation import file as ``(row, {field: text})``.

    Keys are the canonical ``RECORDATION_FIELDS`` (every one present, ``""`` when
    missing); unknown columns are kept under a snake-case key for the caller to
    report.  Values are strings as they stand (not stripped: the caller validates);
    JSON lists are joined with ``;``, JSON numbers lose a ``.0``.  CSV cells that
    ``ipr recordation export`` neutralised against spreadsheet formulas (``'=…``)
    are restored, so an export imports back unchanged.
    The file is opened and checked now; any malformed row raises ``InputError``
    naming file and row when it is reached (an import is all-or-nothing).
    """
    path = os.fspath(path)
    fmt = _open_format(path, encoding)
    shown = _display(path)
    keys: list[str] = []
    if not fmt.keyed:
        keys = [_record_key(h) for h in fmt.headers]
        seen: dict[str, str] = {}
        for header, key in zip(fmt.headers, keys):
            if key and key in seen:
                fmt.close()
                raise InputError(f"{shown}: columns {seen[key]!r} and {header!r} both mean {key}")
            seen[key] = header
        _check_record_columns(fmt, shown, keys, fmt.headers)
    return _records(fmt, shown, keys)


_RECORD_REQUIRED = ("recordation_id", "mark", "holder", "valid_until")


def _check_record_columns(fmt: _Format, shown: str, keys: list[str], names: list[str], *, none_only: bool = False) -> None:
    """A file without the required recordation columns is not a recordation file: say
    so once, rather than once for every row."""
    missing = [k for k in _RECORD_REQUIRED if k not in keys]
    # Plainly another kind of file: no recordation_id column (a CSV, XLSX), or none of
    # the required keys (a JSON record).  A file missing only some is told row by row.
    if not missing or "recordation_id" not in missing or (none_only and len(missing) < len(_RECORD_REQUIRED)):
        return
    fmt.close()
    looks = " (it looks like a declaration file)" if "description" in {
        f for f, _ in (_HEADER_INDEX.get(_compact(n), ("", 0)) for n in names)} else ""
    raise InputError(
        f"{shown} is not a recordation file{looks}: its header has no {', '.join(missing)} column"
        f"{'s' if len(missing) > 1 else ''} (found {_header_list(names)[8:] if names else 'no header row'}); "
        "nothing was imported",
        hint="a recordation file has the columns recordation_id, mark, holder and valid_until (see "
        "`ipr recordation export` for the full format); declaration files are screened with `ipr check`",
    )


def _records(fmt: _Format, shown: str, keys: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    restore = None
    first = True
    if fmt.name == "csv":
        from .cells import unneutralise_cell as restore
    try:
        for row, cells in fmt.rows():
            if isinstance(cells, _Problem):
                raise InputError(f"{shown}, row {row}: {cells.message}")
            out = dict.fromkeys(RECORDATION_FIELDS, "")
            if fmt.keyed:
                items = [(_record_key(k), _json_scalar(v)) for k, v in cells.items()]
                if first:  # the first record stands for the file's columns
                    first = False
                    _check_record_columns(fmt, shown, [k for k, _ in items], list(cells), none_only=True)
                named = [k for k, _ in items if k]
                if len(named) != len(set(named)):
                    dup = next(k for k in named if named.count(k) > 1)
                    raise InputError(f"{shown}, row {row}: two keys both mean {dup}")
            else:
                items = list(zip(keys, cells))
            for key, text in items:
                if not key:
                    if text.strip():
                        raise InputError(f"{shown}, row {row}: a value with no column name")
                    continue
                if _SURROGATE.search(text) or _SURROGATE.search(key):
                    why = "undecodable bytes (not valid in this encoding)" if _BAD_CHAR in text else _NOT_UNICODE
                    raise InputError(
                        f"{shown}, row {row}, field {_SURROGATE.sub(chr(0xFFFD), key)}: {why}",
                        hint="save the file as UTF-8 and import it again")
                out[key] = restore(text) if restore else text
            yield row, out
    finally:
        fmt.close()
