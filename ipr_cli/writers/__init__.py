"""Output writers: what ``ipr`` prints, in the formats people and jobs ask for.

Public API (everything else in this package is private)::

    FORMATS        formats of ``ipr check``: table, json, jsonl, csv, html
    LIST_FORMATS   formats of listing and ``show`` commands: table, json, jsonl, csv
    check_format(fmt, allowed) -> str   the format in lower case, else UsageError
    check_writer(fmt, stream, *, meta, color=None, verbose=False) -> CheckWriter
        .write(hit, line)      each hit, in file/row/score order
        .close(summary)        totals and summary; flushes, leaves the stream open
    write_rows(rows, fmt, stream, *, columns, title=None, color=None) -> int   a listing
    write_record(record, fmt, stream, title=None, *, color=None)            one record
    atomic_output(path)    context manager: a stream that replaces ``path`` on success
                           (a device, FIFO or standard output is written into instead)
    protect_from_output(path, what) / protect_store_from_output(path) / clear_protected()
                           paths ``atomic_output`` refuses (exit 2): the store, inputs
    guard_stdout()         a full disk on standard output becomes OutputError (exit 3)
    neutralise_cell(s) / unneutralise_cell(s)   spreadsheet formula safety for CSV
    TerminalConsole    a Rich console on which a closed pipe raises BrokenPipeError
    MessageConsole     the stderr console: control characters in messages made visible

Machine formats (json, jsonl, csv) hold data only; the human formats (table, html)
add the run summary.  No writer ever interprets data: Rich markup, HTML and formulas
in a declaration are shown as text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

from ipr_cli.errors import UsageError
from ipr_cli.outputs import FORMATS, LIST_FORMATS
from ipr_cli.writers._atomic import (
    atomic_output,
    clear_protected,
    guard_stdout,
    protect_from_output,
    protect_store_from_output,
)
from ipr_cli.writers._check import HIT_FIELDS, CheckWriter, CsvWriter, JsonLinesWriter, JsonWriter
from ipr_cli.writers._html import HtmlWriter
from ipr_cli.writers._rich import MessageConsole, TableWriter, TerminalConsole, print_record, print_rows
from ipr_cli.writers._text import csv_cell, dumps, neutralise_cell, unneutralise_cell

__all__ = [
    "FORMATS",
    "HIT_FIELDS",
    "LIST_FORMATS",
    "CheckWriter",
    "MessageConsole",
    "TerminalConsole",
    "atomic_output",
    "clear_protected",
    "guard_stdout",
    "protect_from_output",
    "protect_store_from_output",
    "check_format",
    "check_writer",
    "neutralise_cell",
    "unneutralise_cell",
    "write_record",
    "write_rows",
]


_CHECK_WRITERS: dict[str, type[CheckWriter]] = {
    "table": TableWriter,
    "json": JsonWriter,
    "jsonl": JsonLinesWriter,
    "csv": CsvWriter,
    "html": HtmlWriter,
}


def check_format(fmt: str, allowed: tuple[str, ...]) -> str:
    """``fmt`` in lower case when it is one of ``allowed``; else UsageError (exit 2).
    The one check of a format name (the CLI's ``output_options`` calls it)."""
    name = (fmt or "").lower()
    if name not in allowed:
        raise UsageError(f"Unknown format {name!r}; choose one of: {', '.join(allowed)}.")
    return name


def check_writer(
    fmt: str, stream: TextIO, *, meta: dict[str, Any], color: bool | None = None, verbose: bool = False
) -> CheckWriter:
    """The writer of ``ipr check`` results in ``fmt`` (one of FORMATS) to ``stream``.

    ``meta`` holds schema_version, ipr_version, run_id, as_of and files; ``color``
    (table only) forces styling on or off, None means "when ``stream`` is a terminal";
    ``verbose`` (table) adds the holder and lists every skipped row.
    Raises UsageError for an unknown format.
    """
    cls = _CHECK_WRITERS[check_format(fmt, FORMATS)]
    return cls(stream, meta, color=color, verbose=verbose)


def write_rows(
    rows: Iterable[dict[str, Any]],
    fmt: str,
    stream: TextIO,
    *,
    columns: list[str],
    title: str | None = None,
    color: bool | None = None,
) -> int:
    """Write a listing: ``columns`` of each row, in that order.  Returns the row count.

    json is an array written row by row (the rows are never gathered in memory); jsonl
    is one object per line; csv has a header and neutralised cells; table is Rich
    (``color`` as in :func:`check_writer`; it needs all rows to size its columns).
    """
    name = check_format(fmt, LIST_FORMATS)
    columns = list(columns)
    count = 0
    if name == "table":
        counted: list[int] = []

        def tally() -> Iterable[dict[str, Any]]:
            for row in rows:
                counted.append(1)
                yield row

        print_rows(tally(), stream, columns, title, color)
        stream.flush()
        return len(counted)
    if name == "csv":
        writer = csv.writer(stream)  # default dialect: see CsvWriter
        writer.writerow([neutralise_cell(c) for c in columns])
        for row in rows:
            writer.writerow([csv_cell(row.get(c)) for c in columns])
            count += 1
    elif name == "jsonl":
        for row in rows:
            stream.write(dumps({c: row.get(c) for c in columns}) + "\n")
            count += 1
    else:  # json: the same text as json.dumps(list, indent=2), one row at a time
        for row in rows:
            stream.write("[\n  " if count == 0 else ",\n  ")
            stream.write(dumps({c: row.get(c) for c in columns}, indent=2).replace("\n", "\n  "))
            count += 1
        stream.write("[]\n" if count == 0 else "\n]\n")
    stream.flush()
    return count


def write_record(
    record: dict[str, Any], fmt: str, stream: TextIO, title: str | None = None, *, color: bool | None = None
) -> None:
    """Write one record (``show`` commands): a key/value table, or one JSON object; jsonl
    and csv give the same as ``write_rows`` with this one row."""
    name = check_format(fmt, LIST_FORMATS)
    if name == "table":
        print_record(record, stream, title, color)
    elif name == "json":
        stream.write(dumps(record, indent=2) + "\n")
    else:
        write_rows([record], name, stream, columns=list(record), title=title)
    stream.flush()
