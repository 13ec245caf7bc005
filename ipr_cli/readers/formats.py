"""The row-source protocol every format implements, and the text stream of a file."""

from __future__ import annotations

import codecs
import io
from typing import Any, Iterator

from .base import _ERRORS, _display
from .source import _Opened, _Source


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


