"""``read_records``: the rows of a recordation import file."""

from __future__ import annotations

import os
import re
from typing import Iterator

from ..errors import InputError
from ..models import RECORDATION_FIELDS
from .base import _BAD_CHAR, _HEADER_INDEX, _NOT_UNICODE, _RECORD_INDEX, _SURROGATE, _compact, _display
from .columns import _header_list
from .detect import _open_format
from .formats import _Format, _Problem
from .values import _json_scalar


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
        from ..cells import unneutralise_cell as restore
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
