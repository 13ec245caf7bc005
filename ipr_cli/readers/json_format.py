"""JSON Lines and JSON array rows (the array streamed element by element)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Iterator

from ..errors import InputError
from .base import _BAD_CHAR, _CHUNK_CHARS
from .formats import _Format, _Problem, _text_stream
from .source import _Opened


class _JsonLinesFormat(_Format):
    keyed = True
    name = "jsonl"

    def __init__(self, op: _Opened, encoding: str) -> None:
        super().__init__(op)
        self.encoding = encoding
        self.stream, self._text = _text_stream(op, encoding, newline=None)
        self._decoder = json.JSONDecoder(parse_float=Decimal)
        self._pending: list[tuple[int, Any]] = []
        self._row = 0
        self.headers = []
        # Headers come from the first good object; read ahead to find it.
        self._gen = self._iter()
        for item in self._gen:
            self._pending.append(item)
            if isinstance(item[1], dict):
                self.headers = list(item[1])
                break

    def _iter(self) -> Iterator[tuple[int, Any]]:
        while True:
            try:
                line = self._text.readline()
            except OSError as exc:
                raise InputError(f"{self.shown}: read failed after row {self._row} ({exc})") from None
            if not line:
                return
            self._row += 1
            line = line.replace("\x00", "").strip()
            if not line:
                continue
            if _BAD_CHAR in line:
                yield self._row, _Problem("", "undecodable bytes (not valid in this encoding)")
                continue
            try:
                obj = self._decoder.decode(line)
            except (ValueError, RecursionError) as exc:
                yield self._row, _Problem("", f"not valid JSON ({_json_why(exc)})")
                continue
            if not isinstance(obj, dict):
                yield self._row, _Problem("", "not a JSON object")
                continue
            yield self._row, obj

    def rows(self) -> Iterator[tuple[int, Any]]:
        pending, self._pending = self._pending, []
        yield from pending
        yield from self._gen


def _json_why(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)[:200]


class _JsonArrayFormat(_Format):
    """A JSON array read element by element with ``raw_decode`` over a growing buffer."""

    keyed = True
    name = "json"

    def __init__(self, op: _Opened, encoding: str) -> None:
        super().__init__(op)
        self.encoding = encoding
        self.stream, self._text = _text_stream(op, encoding, newline="")
        self._decoder = json.JSONDecoder(parse_float=Decimal)
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._row = 0
        self._started = False
        self._done = False
        self._pending: list[tuple[int, Any]] = []
        self.headers = []
        self._gen = self._iter()
        for item in self._gen:
            self._pending.append(item)
            if isinstance(item[1], dict):
                self.headers = list(item[1])
                break

    def _more(self, at_least: int = _CHUNK_CHARS) -> bool:
        if self._eof:
            return False
        try:
            chunk = self._text.read(max(at_least, _CHUNK_CHARS))
        except OSError as exc:
            raise InputError(f"{self.shown}: read failed after row {self._row} ({exc})") from None
        if not chunk:
            self._eof = True
            return False
        if "\x00" in chunk:
            chunk = chunk.replace("\x00", "")
        self._buf = self._buf[self._pos:] + chunk
        self._pos = 0
        return True

    def _skip_ws(self) -> str:
        """The next non-blank character (not consumed), or "" at end of input."""
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in " \t\r\n\ufeff":
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._more():
                return ""

    def _broken(self, why: str) -> InputError:
        return InputError(
            f"{self.shown}: broken JSON array at row {self._row + 1}: {why}",
            hint="fix the file; nothing after this point can be read",
        )

    def _iter(self) -> Iterator[tuple[int, Any]]:
        if self._done:
            return
        if not self._started:
            self._started = True
            if self._skip_ws() != "[":
                raise self._broken("it does not start with '['")
            self._pos += 1
            if self._skip_ws() == "]":
                self._done = True
                return
        while True:
            if self._skip_ws() == "":
                raise self._broken("the file ends before the closing ']'")
            obj, problem = self._decode_one()
            self._row += 1
            if problem is not None:
                yield self._row, problem
            elif not isinstance(obj, dict):
                yield self._row, _Problem("", "not a JSON object")
            else:
                yield self._row, obj
            sep = self._skip_ws()
            if sep == ",":
                self._pos += 1
            elif sep == "]":
                self._pos += 1
                self._done = True
                if self._skip_ws() != "":
                    raise self._broken("there is more data after the closing ']'")
                return
            elif sep == "":
                raise self._broken("the file ends before the closing ']'")
            else:
                raise self._broken(f"expected ',' or ']' but found {sep!r}")

    def _decode_one(self) -> tuple[Any, _Problem | None]:
        while True:
            try:
                obj, end = self._decoder.raw_decode(self._buf, self._pos)
            except (ValueError, RecursionError) as exc:
                # Maybe the element continues past the buffer: read more (doubling, so a
                # huge element costs linear time) and retry; at the end it is broken.
                if self._more(len(self._buf)):
                    continue
                raise self._broken(f"not valid JSON ({_json_why(exc)})") from None
            if end >= len(self._buf) and self._more(len(self._buf)):
                continue  # a number at the buffer's end may go on: decode again
            text = self._buf[self._pos:end]
            self._pos = end
            if _BAD_CHAR in text:
                return None, _Problem("", "undecodable bytes (not valid in this encoding)")
            return obj, None

    def rows(self) -> Iterator[tuple[int, Any]]:
        pending, self._pending = self._pending, []
        yield from pending
        yield from self._gen

