"""Cut declaration inputs into partitions that can be screened apart (on a cluster).

A partition is read with ``DeclarationReader(path, part=..., row_offset=...)`` and
yields exactly the lines, row numbers and row problems that reading the whole input
would yield for it, so the partitions' results joined in order are the whole run's.

* Parquet: runs of consecutive row groups of about ``PART_ROWS`` rows.
* CSV: byte ranges of about ``PART_BYTES`` cut at line ends; each is read as the
  header followed by its bytes.  A cut is safe only where a line end ends a record,
  so a file is kept whole when any of its lines holds an odd number of quotes (a
  quoted line break, or a stray quote the CSV reader would read past), when it has
  lone carriage returns (old Mac line ends), or when its encoding is UTF-16/32.
* Anything else (JSON, JSON Lines, XLSX) is one partition.
"""

from __future__ import annotations

import codecs
import mmap
import os
import re
from dataclasses import dataclass
from typing import Any

PART_ROWS = 50_000
PART_BYTES = 8 << 20
_ODD_QUOTES = re.compile(rb'^[^"\n]*"(?:[^"\n]*"[^"\n]*")*[^"\n]*$', re.M)
_LONE_CR = re.compile(rb"\r(?!\n)")
_SEP_LINE = re.compile(rb"\s*sep=.\s*")


@dataclass(frozen=True)
class Part:
    """One partition: ``path`` as given, its input's position ``file_index``, what to
    read (``part`` for the reader, None for all of it) and the rows before it."""

    path: str
    file_index: int
    part: Any
    row_offset: int
    size: int  # bytes, for progress
    source: str = ""  # the absolute path the workers read (they may run elsewhere)

    def __post_init__(self) -> None:
        if not self.source:
            object.__setattr__(self, "source", os.path.abspath(self.path))


def plan(paths: list[str], encodings: list[str | None], formats: list[str], sizes: list[int | None],
         part_rows: int | None = None, part_bytes: int | None = None) -> list[Part]:
    """The partitions of every input, in input and row order.  Sizes default to
    ``$IPR_PARTITION_ROWS`` and ``$IPR_PARTITION_BYTES``, else PART_ROWS and PART_BYTES."""
    part_rows = part_rows or _env_int("IPR_PARTITION_ROWS") or PART_ROWS
    part_bytes = part_bytes or _env_int("IPR_PARTITION_BYTES") or PART_BYTES
    parts: list[Part] = []
    for index, (path, encoding, fmt, size) in enumerate(zip(paths, encodings, formats, sizes)):
        if fmt == "parquet":
            parts.extend(_parquet_parts(path, index, part_rows))
        elif fmt == "csv" and size and size > part_bytes and _splittable(encoding):
            parts.extend(_csv_parts(path, index, size, part_bytes))
        else:
            parts.append(Part(path, index, None, 0, size or 0))
    return parts


def _env_int(name: str) -> int | None:
    from .errors import UsageError

    text = os.environ.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"${name} must be a positive whole number, not {text!r}.")
    return int(text)


def _parquet_parts(path: str, index: int, part_rows: int) -> list[Part]:
    from .parquet_io import ParquetDataset

    dataset = ParquetDataset(path)
    total = dataset.rows_total or 1
    parts: list[Part] = []
    run: list[int] = []
    rows = 0
    for g, (_f, _group, count, _before) in enumerate(dataset.groups):
        run.append(g)
        rows += count
        if rows >= part_rows:
            parts.append(Part(path, index, run, 0, dataset.size * rows // total))
            run, rows = [], 0
    if run or not parts:
        parts.append(Part(path, index, run, 0, dataset.size * rows // total))
    return parts


def _splittable(encoding: str | None) -> bool:
    if not encoding:
        return False
    name = codecs.lookup(encoding).name
    # In these encodings a byte 0x0A or 0x22 is always "\n" or '"' (no trail byte of a
    # multi-byte character is below 0x40), so lines can be cut as bytes.
    return not name.startswith(("utf-16", "utf-32", "utf-7"))


def _csv_parts(path: str, index: int, size: int, part_bytes: int) -> list[Part]:
    whole = [Part(path, index, None, 0, size)]
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        header_end = _header_end(mm)
        if header_end is None or header_end >= size:
            return whole
        parts: list[Part] = []
        start, rows = header_end, 0
        while start < size:
            cut = mm.find(b"\n", min(start + part_bytes, size) - 1)
            end = size if cut < 0 else cut + 1
            chunk = mm[start:end]
            if (b'"' in chunk and _ODD_QUOTES.search(chunk)) or (b"\r" in chunk and _LONE_CR.search(chunk)):
                return whole
            parts.append(Part(path, index, (header_end, start, end), rows, end - start))
            rows += chunk.count(b"\n")
            start = end
    return parts


def _header_end(mm) -> int | None:
    """The byte after the header line (the first non-blank line that is not ``sep=``)."""
    pos = 0
    size = len(mm)
    first = True
    while pos < size:
        cut = mm.find(b"\n", pos)
        end = size if cut < 0 else cut + 1
        line = mm[pos:end].lstrip(codecs.BOM_UTF8).replace(b"\x00", b"")
        if line.strip():
            if first and _SEP_LINE.fullmatch(line):
                first = False
                pos = end
                continue
            first = False
            if b'"' in line and _ODD_QUOTES.search(line.rstrip(b"\r\n")):
                return None  # a header cell with a line break: keep the file whole
            return end
        pos = end
    return None
