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

Modules
-------
``base`` limits, canonical fields, header synonyms, ``RowProblem``; ``values`` dates
and numbers; ``source`` opening bytes and choosing the encoding; ``formats`` the
row-source protocol; ``csv_format``, ``json_format`` (lines and array),
``xlsx_format`` one per format (Parquet: ``ipr_cli.parquet_io``); ``detect`` which
format a file is; ``columns`` headers → fields; ``declarations`` and ``records`` the
two readers.  Nothing here imports a writer.
"""

from __future__ import annotations

from .base import (
    _FIELD_LIMIT,
    DECLARATION_FIELDS,
    MATCH_CHARS,
    NUMBER_MAX,
    NUMBER_MIN,
    PROBLEMS_KEPT,
    RowProblem,
    parse_columns_option,
)
from .declarations import DeclarationReader
from .records import read_records
from .values import CUT_MARK, _cell_text, _parse_date, _parse_decimal
from .xlsx_format import (
    HEADER_SCAN_ROWS,
    XLSX_MAX_CELLS_PER_ROW,
    XLSX_MAX_MEMBER,
    XLSX_MAX_MEMBERS,
    XLSX_MAX_ROWS,
    XLSX_MAX_STRINGS,
    XLSX_MAX_TEXT_BYTES,
    XLSX_MAX_TOTAL,
)

__all__ = [
    "CUT_MARK",
    "DECLARATION_FIELDS",
    "HEADER_SCAN_ROWS",
    "MATCH_CHARS",
    "NUMBER_MAX",
    "NUMBER_MIN",
    "PROBLEMS_KEPT",
    "XLSX_MAX_CELLS_PER_ROW",
    "XLSX_MAX_MEMBER",
    "XLSX_MAX_MEMBERS",
    "XLSX_MAX_ROWS",
    "XLSX_MAX_STRINGS",
    "XLSX_MAX_TEXT_BYTES",
    "XLSX_MAX_TOTAL",
    "DeclarationReader",
    "RowProblem",
    "parse_columns_option",
    "read_records",
]
