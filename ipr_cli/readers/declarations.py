"""``DeclarationReader``: the declaration lines of one file, with their problems."""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import os
from decimal import Decimal
from typing import Any, Iterator

from ..errors import InputError
from ..models import DeclarationLine
from . import base as _base
from .base import (
    MATCH_CHARS,
    NUMBER_MAX,
    NUMBER_MIN,
    PROBLEMS_KEPT,
    RowProblem,
    _BAD_CHAR,
    _HEADER_INDEX,
    _NOT_UNICODE,
    _SURROGATE,
    _compact,
    _display,
)
from .columns import _column_warnings, _resolve_columns
from .detect import _open_format
from .formats import _Problem
from .values import (
    CUT_MARK,
    _NONZERO_DIGITS,
    _excel_serial_date,
    _json_scalar,
    _parse_date,
    _parse_decimal,
    _plain_number,
)
from .xlsx_format import _XlsxFormat


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
        undecodable_before = _base._undecodable_count
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
                elif _base._undecodable_count != undecodable_before and any(_BAD_CHAR in cells[i] for _, i in pairs):
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
