"""XLSX rows: the first sheet, read-only, within size limits checked before unpacking."""

from __future__ import annotations

import re
import tempfile
from typing import IO, Any, Iterator

from ..errors import InputError
from .base import _STDIN
from .formats import _Format
from .source import _Opened
from .values import _cell_text


HEADER_SCAN_ROWS = 20  # an XLSX header may sit under title rows: look this far for it
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


class _XlsxFormat(_Format):
    """The first sheet.  The header is the row given by ``header_row`` (1-based, as the
    spreadsheet numbers it), else the first of the first rows that ``is_header`` accepts
    (title rows above it are skipped), else the first non-empty row.  A merged cell's
    value fills every cell of the merge (a declaration id merged over its items)."""

    keyed = False
    name = "xlsx"

    def __init__(self, op: _Opened, header_row: int | None = None, is_header: Any = None) -> None:
        super().__init__(op)
        self._estimate: int | None = None
        self._done = False
        self._buffered: list[tuple[int, tuple]] = []
        try:
            import openpyxl

            if op.path == _STDIN or op.size is None:
                spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
                spool.write(op.sample)
                while chunk := op.f.read(1024 * 1024):
                    spool.write(chunk)
                spool.seek(0)
                self._spool = spool
                target: Any = spool
            else:
                op.f.seek(0)  # the open file, not its name: openpyxl refuses names not ending in .xlsx
                target = op.f
            _check_xlsx_limits(target, self.shown)
            target.seek(0)
            self._wb = openpyxl.load_workbook(target, read_only=True, data_only=True,
                                              keep_links=False)
            ws = self._wb.worksheets[0]
            try:
                self._estimate = ws.max_row if ws.max_row and ws.max_row > 1 else None
            except Exception:  # noqa: BLE001 - only a progress estimate
                self._estimate = None
            self._merges = self._merged_cells(ws)
            ws.reset_dimensions()  # the stored dimensions may lie; read every row
            self._rows = enumerate(ws.iter_rows(values_only=True), start=1)
            self._header_at = 0
            self.headers = []
            self._find_header(header_row, is_header)
        except InputError:
            self.close()
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on bad files
            self.close()
            raise InputError(f"{self.shown}: not a readable XLSX file ({type(exc).__name__}: {exc})"[:500],
                             hint="open it in a spreadsheet and save it again as .xlsx or .csv") from None
        if not self.headers:
            self.close()
            if header_row:
                raise InputError(f"{self.shown}: row {header_row} of the first sheet is empty",
                                 hint="--header-row names the spreadsheet row that holds the column names")
            raise InputError(f"{self.shown}: the first sheet is empty")

    def _merged_cells(self, ws: Any) -> dict[int, list[tuple[int, int, int, int]]]:
        """Sheet row → merges that cover cells of it below or right of their top-left cell,
        as (first column, last column, top row, left column), 1-based."""
        out: dict[int, list[tuple[int, int, int, int]]] = {}
        try:
            source = ws._get_source()  # the sheet's XML; mergeCells follow the cell data
        except Exception:  # noqa: BLE001 - no merges known: cells read as stored
            return out
        tail = b""
        with source:
            while chunk := source.read(1 << 20):
                data = tail + chunk
                for m in _MERGE_REF.finditer(data):
                    c1, r1 = _column_number(m[1]), int(m[2])
                    c2, r2 = (_column_number(m[3]), int(m[4])) if m[3] else (c1, r1)
                    if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000:
                        continue  # a whole-sheet merge is layout, not data
                    for r in range(r1, r2 + 1):
                        out.setdefault(r, []).append((c1, c2, r1, c1))
                tail = data[-200:]
        # A merge seen in two chunks (across the tail) is listed twice: harmless.
        return out

    def _next(self) -> tuple[int, tuple] | None:
        if self._buffered:
            return self._buffered.pop(0)
        for index, values in self._rows:
            return index, self._fill(index, values)
        return None

    def _fill(self, index: int, values: tuple) -> tuple:
        merges = self._merges.get(index)
        if merges:
            self._tops = getattr(self, "_tops", {})
            cells = list(values)
            for c1, c2, top, left in merges:
                if index == top:
                    self._tops[(top, left)] = cells[left - 1] if left <= len(cells) else None
                    continue
                value = self._tops.get((top, left))
                if len(cells) < c2:
                    cells.extend([None] * (c2 - len(cells)))
                for c in range(c1, c2 + 1):
                    if cells[c - 1] in (None, ""):
                        cells[c - 1] = value
            return tuple(cells)
        return values

    def _find_header(self, header_row: int | None, is_header: Any) -> None:
        seen: list[tuple[int, list[str]]] = []
        while True:
            item = self._next()
            if item is None:
                break
            index, values = item
            cells = [_cell_text(v).strip() for v in values]
            while cells and not cells[-1]:
                cells.pop()
            if header_row:
                if index == header_row:
                    self.headers, self._header_at = cells, index
                    return
                continue
            if not any(cells):
                continue
            seen.append((index, cells))
            if is_header is None or is_header(cells):
                self.headers, self._header_at = cells, index
                # Rows read past a title row are data again after this header.
                return
            if len(seen) >= HEADER_SCAN_ROWS:
                break
        if seen and not header_row:
            # No row looks like a header: the first non-empty one is named in the error.
            index, cells = seen[0]
            self.headers, self._header_at = cells, index
            rest = [(i, c) for i, c in seen[1:]]
            self._pending_rows = rest

    @property
    def bytes_read(self) -> int:
        return 0

    def rows(self) -> Iterator[tuple[int, Any]]:
        width = len(self.headers)
        row = 0
        pending = getattr(self, "_pending_rows", [])
        try:
            while True:
                if pending:
                    index, texts = pending.pop(0)
                    values: Any = texts
                else:
                    item = self._next()
                    if item is None:
                        break
                    index, values = item
                # Row numbers count sheet rows below the header (blank ones too).
                row = index - self._header_at
                self.row_at = index
                if self.row_at > XLSX_MAX_ROWS:  # (gaps between rows count: openpyxl fills them in)
                    raise InputError(f"{self.shown}: more than {XLSX_MAX_ROWS:,} rows, the most a sheet holds",
                                     hint="split the file, or save it as CSV")
                cells = [_cell_text(v) for v in values[:width]]
                if len(cells) < width:
                    cells.extend([""] * (width - len(cells)))
                if not any(c.strip() for c in cells):
                    continue
                yield row, cells
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on bad files
            raise InputError(f"{self.shown}: XLSX file broken after row {row} ({type(exc).__name__})") from None
        self._done = True

    def close(self) -> None:
        wb = getattr(self, "_wb", None)
        if wb is not None:
            try:
                wb.close()
            except Exception:  # noqa: BLE001
                pass
        spool = getattr(self, "_spool", None)
        if spool is not None:
            spool.close()
        if self.op.owned:
            self.op.f.close()


# XLSX limits, checked on the ZIP archive before openpyxl reads it, so that memory stays
# bounded (a 787 KB file of one 512 MB cell once took 12 GiB; a 3 MB shared-strings bomb
# 2.75 GiB; 17 M empty rows 1.7 GiB).  The sizes are those the archive declares: zipfile
# never unpacks more than a member declares.  Excel's own limits are 1,048,576 rows,
# 16,384 columns and 32,767 characters a cell.
XLSX_MAX_MEMBER = 512 * 1024 * 1024    # bytes one member (a sheet) unpacks to
XLSX_MAX_TOTAL = 1024 * 1024 * 1024    # bytes all members unpack to
XLSX_MAX_MEMBERS = 10_000
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_CELLS_PER_ROW = 16_384
XLSX_MAX_STRINGS = 2_000_000           # shared strings (openpyxl keeps them all in memory)
XLSX_MAX_TEXT_BYTES = 256 * 1024       # of one cell's text as stored (32,767 characters, escaped)
_XLSX_LONG_TEXT = re.compile(b"[^<]{%d}" % XLSX_MAX_TEXT_BYTES)


def _check_xlsx_limits(target: Any, shown: str) -> None:
    """Refuse (``InputError``) an XLSX archive past the limits above, reading it once in
    1 MiB blocks: member sizes, then in every member the rows, the cells of a row, the
    shared strings and the longest text between two tags."""
    import zipfile
    import zlib

    hint = "split the file, or save it as CSV"
    try:
        with zipfile.ZipFile(target) as archive:
            members = archive.infolist()
            if len(members) > XLSX_MAX_MEMBERS:
                raise InputError(f"{shown}: an XLSX archive of {len(members):,} parts (the limit is "
                                 f"{XLSX_MAX_MEMBERS:,})", hint=hint)
            total = 0
            for info in members:
                total += info.file_size
                if info.file_size > XLSX_MAX_MEMBER:
                    raise InputError(f"{shown}: XLSX part {info.filename[:80]!r} unpacks to {info.file_size:,} bytes "
                                     f"(the limit is {XLSX_MAX_MEMBER:,})", hint=hint)
            if total > XLSX_MAX_TOTAL:
                raise InputError(f"{shown}: the XLSX archive unpacks to {total:,} bytes (the limit is "
                                 f"{XLSX_MAX_TOTAL:,})", hint=hint)
            for info in members:
                if not info.is_dir():
                    with archive.open(info) as member:
                        _scan_xlsx_member(member, shown, info.filename[:80])
    except InputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError,
            RuntimeError, OSError, zlib.error) as exc:
        raise InputError(f"{shown}: not a readable XLSX file ({type(exc).__name__}: {exc})"[:500],
                         hint="open it in a spreadsheet and save it again as .xlsx or .csv") from None


def _scan_xlsx_member(member: IO[bytes], shown: str, name: str) -> None:
    rows = strings = cells = run = 0
    tail = b""
    while True:
        block = member.read(1 << 20)
        if not block:
            return
        # The text run going on from the block before, and the longest inside this one.
        first = block.find(b"<")
        run = run + len(block) if first < 0 else run + first
        if run >= XLSX_MAX_TEXT_BYTES or _XLSX_LONG_TEXT.search(block):
            raise InputError(f"{shown}: a cell (in {name}) holds more than {XLSX_MAX_TEXT_BYTES:,} bytes of "
                             f"text; a cell holds at most 32,767 characters", hint="save the file as CSV")
        if first >= 0:
            run = len(block) - block.rfind(b"<") - 1
        joined = tail + block  # a tag cut by the block boundary is counted once, in the next block
        parts = joined.split(b"<row")
        rows += len(parts) - 1
        strings += joined.count(b"<si>") + joined.count(b"<si ")
        for k, part in enumerate(parts):
            cells = (cells if k == 0 else 0) + part.count(b"<c ") + part.count(b"<c>") + part.count(b"<c/")
            if cells > XLSX_MAX_CELLS_PER_ROW:
                raise InputError(f"{shown}: a row (in {name}) of more than {XLSX_MAX_CELLS_PER_ROW:,} cells",
                                 hint="save the file as CSV")
        if rows > XLSX_MAX_ROWS:
            raise InputError(f"{shown}: more than {XLSX_MAX_ROWS:,} rows, the most a sheet holds", hint="split "
                             "the file, or save it as CSV")
        if strings > XLSX_MAX_STRINGS:
            raise InputError(f"{shown}: more than {XLSX_MAX_STRINGS:,} distinct texts (shared strings)",
                             hint="split the file, or save it as CSV")
        tail = block[-4:]
        # (Counts in ``tail`` were made with this block: take them out of the next.)
        rows -= tail.count(b"<row")
        strings -= tail.count(b"<si>") + tail.count(b"<si ")
        cells -= tail.count(b"<c ") + tail.count(b"<c>") + tail.count(b"<c/")

