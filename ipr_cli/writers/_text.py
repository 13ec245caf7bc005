"""Small pure helpers shared by the writers: cell values, spreadsheet safety,
display sanitising, JSON encoding and locating the matched text."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
from decimal import Decimal
from enum import Enum
from typing import Any

from ..cells import neutralise_cell, unneutralise_cell  # noqa: F401 (the writers' API)
from ipr_cli.display import printable  # noqa: F401 - the one escaping helper, re-exported for the writers

# How much of a description is shown around the match (the rest is elided with "…"),
# one figure per purpose: a table row on a terminal, a report page listing every hit of
# a run, the page of ``ipr check --format html``.
TABLE_DESCRIPTION_CHARS = 120
REPORT_DESCRIPTION_CHARS = 300
PAGE_DESCRIPTION_CHARS = 600

_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters that JSON allows raw but that line splitters (str.splitlines, JavaScript)
# treat as line breaks, and lone surrogates that UTF-8 cannot encode.
_JSON_UNSAFE = re.compile("[\x85\u2028\u2029\ud800-\udfff]")


def cell_text(value: Any) -> str:
    """A value as the text of one table or CSV cell (lists joined by ``"; "``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return cell_text(value.value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return "; ".join(cell_text(v) for v in items)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=json_default)
    return str(value)


def display_text(value: Any, *, keep_newlines: bool = False) -> str:
    """A value as text to show: ``cell_text``, control characters made visible
    (line breaks kept with ``keep_newlines``)."""
    return printable(cell_text(value), keep_newlines=keep_newlines)


def esc(value: Any, *, keep_newlines: bool = False) -> str:
    """A value as HTML: shown text (``display_text``), escaped for element content and
    quoted attributes.  Every value on an HTML page goes through this."""
    return html.escape(display_text(value, keep_newlines=keep_newlines), quote=True)


def csv_cell(value: Any) -> str | int | float:
    """A CSV cell: numbers stay numbers (they cannot be formulas), text is neutralised."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return neutralise_cell(scrub_surrogates(cell_text(value)))


def scrub_surrogates(text: str) -> str:
    """Replace lone surrogates (undecodable input kept by ``surrogateescape``) by U+FFFD,
    so that writing the text as UTF-8 cannot fail."""
    if _SURROGATE.search(text):
        return _SURROGATE.sub("\ufffd", text)
    return text


def json_default(value: Any) -> Any:
    """``json.dumps(default=...)`` for the types the store and models hand over."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")  # a string: exact, unlike a float
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def _escape_json_unsafe(match: re.Match[str]) -> str:
    return "\\u%04x" % ord(match.group())


_ONE_LINE = json.JSONEncoder(ensure_ascii=False, default=json_default)  # made once: a run writes many


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON text, UTF-8 friendly (``ensure_ascii=False``), safe to split on lines."""
    if indent is None:
        text = _ONE_LINE.encode(value)
    else:
        text = json.dumps(value, ensure_ascii=False, indent=indent, default=json_default)
    if text.isascii():  # a flag of the string, read at once: most output is ASCII
        return text
    return _JSON_UNSAFE.sub(_escape_json_unsafe, text)


# --- display --------------------------------------------------------------------------


def find_span(text: str, matched: str, span: tuple[int, int] | None) -> tuple[int, int] | None:
    """Where the matched text stands in ``text``: the given span when it fits, else the
    first (case-insensitive) occurrence of ``matched``, else None."""
    n = len(text)
    if span is not None:
        try:
            start, end = int(span[0]), int(span[1])
        except (TypeError, ValueError, IndexError):
            start, end = -1, -1
        valid = 0 <= start < end <= n
        if valid and (not matched or text[start:end] == matched):
            return start, end
    else:
        valid = False
    if matched:
        index = text.find(matched)
        if index >= 0:
            return index, index + len(matched)
        found = re.search(re.escape(matched), text, re.IGNORECASE)
        if found and found.end() > found.start():
            return found.start(), found.end()
    if valid:
        return start, end
    return None


def window(text: str, span: tuple[int, int] | None, limit: int) -> tuple[str, str, str]:
    """``(before, match, after)`` of ``text`` cut to about ``limit`` characters around the
    span, with ``…`` where text was left out."""
    if span is None:
        if len(text) <= limit:
            return text, "", ""
        return text[:limit] + "…", "", ""
    start, end = span
    if len(text) <= limit:
        return text[:start], text[start:end], text[end:]
    match = text[start:end]
    if len(match) >= limit:
        return "", match[:limit] + "…", ""
    room = limit - len(match)
    left = min(start, room // 2)
    right = min(len(text) - end, room - left)
    left = min(start, room - right)
    before = text[start - left : start]
    after = text[end : end + right]
    if start - left > 0:
        before = "…" + before
    if end + right < len(text):
        after = after + "…"
    return before, match, after


def problem_text(problem: Any) -> str:
    """One skipped-row problem — ``(file, row, field, message)`` or a dict — as a line."""
    if isinstance(problem, dict):
        file, row = problem.get("file", ""), problem.get("row")
        field, message = problem.get("field", ""), problem.get("message", "")
    elif isinstance(problem, (tuple, list)) and len(problem) == 4:
        file, row, field, message = problem
    else:
        return cell_text(problem)
    where = cell_text(file)
    if row not in (None, ""):
        where = f"{where}:{row}" if where else f"row {row}"
    if field:
        where = f"{where} {field}" if where else str(field)
    return f"{where}: {message}" if where else cell_text(message)


def verdict_counts(summary: dict[str, Any]) -> dict[str, Any]:
    """``summary["by_verdict"]`` keyed by verdict name, whether given ``Verdict`` or str keys."""
    counts = summary.get("by_verdict") or {}
    return {cell_text(key): value for key, value in counts.items()}


def suppressed_text(item: Any) -> str:
    """A hit kept quiet by the allow list (a hit dict or Hit) as one line."""
    data = item.to_dict() if hasattr(item, "to_dict") else item
    if not isinstance(data, dict):
        return cell_text(data)
    return (
        f"{cell_text(data.get('file'))}:{cell_text(data.get('row'))} {cell_text(data.get('mark'))}"
        f" ({cell_text(data.get('recordation_id'))}) \"{cell_text(data.get('matched_text'))}\""
    )


def short_names(meta: dict[str, Any]) -> dict[str, str]:
    """File path → file name, when the names tell the run's files apart.  Full paths
    are listed once in the run's header; each row then needs only the name."""
    files = [cell_text(f) for f in meta.get("files") or []]
    names = [os.path.basename(f) or f for f in files]
    return dict(zip(files, names)) if len(set(names)) == len(names) else {}
