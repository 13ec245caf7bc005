"""CSV (and TSV) rows: delimiter sniffing, field limits, ragged rows."""

from __future__ import annotations

import collections
import csv
import itertools
import re
from typing import Any, Iterator

from ..errors import InputError
from .base import _FIELD_LIMIT
from .formats import _Format, _Problem, _text_stream
from .source import _Opened


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

