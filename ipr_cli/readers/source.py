"""Byte sources: opening a file, standard input or a byte range, and choosing the text encoding."""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import stat
import sys
from dataclasses import dataclass
from typing import IO, Any

from ..errors import InputError, UsageError
from .base import _DETECT_BYTES, _SAMPLE_BYTES, _STDIN, _display


class _Source(io.RawIOBase):
    """A read-once byte stream: an already-read ``prefix``, then the rest; counts bytes.

    ``drop_nul``: leave out NUL bytes (padding some exports carry), for an encoding
    in which a NUL byte is always the NUL character (any but UTF-16 and UTF-32).
    """

    def __init__(self, f: IO[bytes], prefix: bytes, owned: bool, drop_nul: bool = False) -> None:
        super().__init__()
        self._f = f
        self._prefix = memoryview(prefix)
        self._owned = owned
        self.drops_nul = drop_nul
        self.count = 0
        self.digest = hashlib.sha256()  # of every byte read: the file's, once at_end
        self.at_end = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while True:
            if self._prefix:
                n = min(len(b), len(self._prefix))
                b[:n] = self._prefix[:n]
                self._prefix = self._prefix[n:]
            else:
                n = self._f.readinto(b) or 0
                self.at_end = not n
            self.count += n
            if n:
                self.digest.update(b[:n])
            if not self.drops_nul or not n:
                return n
            block = bytes(b[:n])
            if b"\x00" not in block:
                return n
            block = block.replace(b"\x00", b"")
            if block:  # (a block of nothing but NULs is read past: 0 would mean the end)
                b[:len(block)] = block
                return len(block)

    def close(self) -> None:
        if self._owned and not self._f.closed:
            self._f.close()
        super().close()


@dataclass
class _Opened:
    path: str
    f: IO[bytes]
    owned: bool
    sample: bytes
    size: int | None  # bytes in the file, None for a pipe or stdin


def _open(path: str) -> _Opened:
    """Open ``path`` (or stdin) and read its leading sample; every OS error → InputError."""
    shown = _display(path)
    if path == _STDIN:
        f: IO[bytes] = sys.stdin.buffer
        owned = False
        size = None
    else:
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed by the reader
        except FileNotFoundError:
            raise InputError(f"{shown}: no such file", hint="check the path") from None
        except IsADirectoryError:
            raise InputError(f"{shown}: is a directory, not a file") from None
        except PermissionError:
            raise InputError(f"{shown}: cannot be read (permission denied)") from None
        except OSError as exc:
            raise InputError(f"{shown}: cannot be opened ({exc.strerror or exc})") from None
        owned = True
        try:
            st = os.fstat(f.fileno())
            if stat.S_ISDIR(st.st_mode):
                f.close()
                raise InputError(f"{shown}: is a directory, not a file")
            size = st.st_size if stat.S_ISREG(st.st_mode) else None
        except OSError:
            size = None
    try:
        sample = _read_upto(f, _SAMPLE_BYTES)
    except OSError as exc:
        if owned:
            f.close()
        if isinstance(exc, IsADirectoryError):
            raise InputError(f"{shown}: is a directory, not a file") from None
        raise InputError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    return _Opened(path, f, owned, sample, size)


def _open_range(path: str, part: tuple[int, int, int]) -> _Opened:
    """A CSV file's header bytes and one byte range of it, as one small file."""
    header_end, start, end = part
    try:
        with open(path, "rb") as f:
            head = f.read(header_end)
            f.seek(start)
            body = f.read(end - start)
    except OSError as exc:
        raise InputError(f"{_display(path)}: cannot be read ({exc.strerror or exc})") from None
    data = head + body
    f = io.BytesIO(data)
    f.seek(min(len(data), _SAMPLE_BYTES))  # (the sample is read first, as _open reads it)
    return _Opened(path, f, True, data[:_SAMPLE_BYTES], len(data))


def _read_upto(f: IO[bytes], n: int) -> bytes:
    parts = []
    while n > 0:
        chunk = f.read(n)
        if not chunk:
            break
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ENCODING_UPGRADES = {
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
}
_PREFERRED = {"cp1252": 4, "cp949": 3, "euc_kr": 3, "cp932": 2, "shift_jis": 2, "gb18030": 1}
_CONTROL_BYTES = frozenset(set(range(0x00, 0x09)) | set(range(0x0E, 0x1B)) | set(range(0x1C, 0x20)))


def _looks_binary(sample: bytes) -> bool:
    head = sample[:8192]
    if not head:
        return False
    controls = sum(1 for b in head if b in _CONTROL_BYTES)
    return controls * 20 > len(head)  # more than 5 % control bytes


def _choose_encoding(op: _Opened, forced: str | None) -> str:
    """The text encoding of the file (see the module docstring)."""
    shown = _display(op.path)
    if forced:
        try:
            name = codecs.lookup(forced).name
            io.TextIOWrapper(io.BytesIO(b""), encoding=name)  # rejects bytes→bytes codecs
        except LookupError:
            raise UsageError(f"--encoding: unknown text encoding {forced!r}") from None
        if name == "utf-8" and op.sample.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        return name
    for bom, name in _BOMS:
        if op.sample.startswith(bom):
            return name
    sample = op.sample
    if _looks_binary(sample):
        raise _binary(shown)
    whole = op.size is not None and len(sample) >= op.size
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        import charset_normalizer

        matches = list(charset_normalizer.from_bytes(sample[:_DETECT_BYTES]))
    except Exception:  # noqa: BLE001 - a detector failure means "unknown", not a crash
        matches = []
    if not matches:
        raise _binary(shown)
    # charset-normalizer's own first pick may be a near-tie (cp1250 over cp1252 on
    # French text): among the least chaotic, take the most coherent, then the most
    # common legacy encoding.
    least = min(m.chaos for m in matches)
    best = max(
        (m for m in matches if m.chaos <= least + 0.01),
        key=lambda m: (round(m.coherence, 3), _PREFERRED.get(_codec_name(m.encoding), 0)),
    )
    name = _codec_name(best.encoding)
    return _ENCODING_UPGRADES.get(name, name)


def _codec_name(name: str) -> str:
    try:
        return codecs.lookup(name).name.replace("-", "_")
    except LookupError:
        return name


def _binary(shown: str) -> InputError:
    return InputError(
        f"{shown}: not a text, JSON or XLSX file (it looks binary)",
        hint="give a CSV, JSON, JSON Lines or XLSX file, or --encoding if it is text",
    )


# --------------------------------------------------------------------------- row sources
