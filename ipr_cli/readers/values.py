"""Cell values: dates, numbers and the text of a JSON or spreadsheet cell."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any



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

