"""Which format a file is: its extension, else its first bytes."""

from __future__ import annotations

import os
from typing import Any

from ..errors import InputError, UsageError
from .base import _DETECT_BYTES, _SAMPLE_BYTES, _STDIN, _display
from .csv_format import _CsvFormat
from .formats import _Format
from .json_format import _JsonArrayFormat, _JsonLinesFormat
from .source import _Opened, _choose_encoding, _open, _open_range
from .xlsx_format import _XlsxFormat


_XLSX_EXT = (".xlsx", ".xlsm")
_JSONL_EXT = (".jsonl", ".ndjson")
_CSV_EXT = (".csv", ".tsv", ".txt", ".tab")


def _open_format(path: str, encoding: str | None, part: Any = None, header_row: int | None = None,
                 is_header: Any = None) -> _Format:
    """Open ``path`` and pick its format; raises InputError for an unusable file.

    ``part`` (see partitions.py): a list of Parquet row groups, or a ``(header_end,
    start, end)`` byte range of a CSV file read as the header then those bytes.
    ``header_row`` and ``is_header`` place the header of an XLSX sheet."""
    from .. import parquet_io

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

