"""The ``check`` table, streamed: rows are laid out in fixed columns and written in
chunks as hits arrive, so a result of 100,000 flags prints in seconds and in bounded
memory (a Rich ``Table`` measures every cell of every row first: minutes and
gigabytes at that size).

It looks like the Rich table it replaces (SIMPLE_HEAD box, a blank line between rows,
the match highlighted, or bracketed »« without styling) and uses the console only for
its width and colour system.  Cell text goes through ``printable`` first, so data can
neither move the cursor nor inject styles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.style import Style

from ipr_cli.models import DeclarationLine, Hit, Verdict
from ipr_cli.writers._text import find_span, printable, window

CHUNK_ROWS = 500  # rows laid out and written at a time
_DIM = Style(dim=True)
_BOLD = Style(bold=True)
_VERDICT = {Verdict.HIT.value: Style(bold=True, color="red"), Verdict.REVIEW.value: Style(bold=True, color="yellow")}

# A piece of a cell line: (text, style or None).
Piece = tuple[str, "Style | None"]


def _wrap(text: str, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of ``text`` into lines of at most ``width`` cells, as (start, end)
    offsets into ``text``; a word longer than a line is folded.  Spaces at a break are
    dropped."""
    width = max(width, 1)
    n = len(text)
    if text.isascii() or cell_len(text) == n:  # one cell a character: wrap by length
        if n <= width:
            return [(0, n)]
        return _wrap_lines(text, width, _break_by_length)
    return _wrap_lines(text, width, _break_by_cells)


def _wrap_lines(text: str, width: int, find_break) -> list[tuple[int, int]]:
    """The lines of ``text``: each from its first non-space to the break ``find_break``
    gives (None: the rest of the text fits), trailing spaces dropped."""
    n = len(text)
    lines = []
    start = 0
    while start < n:
        while start < n and text[start] == " ":
            start += 1
        if start >= n:
            break
        end = find_break(text, start, width)
        if end is None:
            lines.append((start, n))
            break
        stop = end
        while stop > start and text[stop - 1] == " ":
            stop -= 1
        lines.append((start, stop))
        start = end
    return lines or [(0, 0)]


def _break_by_length(text: str, start: int, width: int) -> int | None:
    if len(text) - start <= width:
        return None
    cut = text.rfind(" ", start, start + width + 1)
    return cut if cut > start else start + width  # no space: fold the word


def _break_by_cells(text: str, start: int, width: int) -> int | None:
    n = len(text)
    used, i, last_break = 0, start, -1
    while i < n:
        w = cell_len(text[i])
        if used + w > width:
            break
        used += w
        i += 1
        if text[i - 1] == " ":
            last_break = i
    if i >= n:
        return None
    return i if text[i] == " " else last_break if last_break > start else max(i, start + 1)


def _cells(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


# A laid-out cell line: (width in cells, pieces).
Line = tuple[int, list[Piece]]


def _styled_lines(text: str, width: int, spans: Iterable[tuple[int, int, Style]] = (),
                  base: Style | None = None, indent: int = 0, first: str = "") -> list[Line]:
    """``text`` wrapped to ``width`` with styles on character ranges.  ``first`` (e.g. a
    bullet) starts the first line and ``indent`` spaces the others (a hanging indent)."""
    spans = list(spans)
    out: list[Line] = []
    for k, (a, b) in enumerate(_wrap(text, width - indent)):
        lead = (first if k == 0 else " " * indent) if indent else ""
        pieces: list[Piece] = [(lead, base)] if lead else []
        if not spans:
            pieces.append((text[a:b], base))
        else:
            cuts = {a, b}
            for s, e, _ in spans:
                if a < s < b:
                    cuts.add(s)
                if a < e < b:
                    cuts.add(e)
            points = sorted(cuts)
            for x, y in zip(points, points[1:]):
                style = base
                for s, e, st in spans:
                    if s <= x and y <= e:
                        style = st if style is None else style + st
                pieces.append((text[x:y], style))
        out.append((_cells(lead) + _cells(text[a:b]), pieces))
    return out


class StreamedTable:
    """Fixed-width columns written to ``console.file`` a chunk at a time.

    ``around_output`` (optional) is a context manager factory wrapped around each
    write, e.g. to take a progress bar off the screen meanwhile.
    """

    def __init__(self, console: Console, *, plain: bool, verbose: bool, short: dict[str, str],
                 around_output: Callable[[], Any] | None = None) -> None:
        self.console = console
        self.plain = plain
        self.verbose = verbose
        self.short = short
        self.around_output = around_output
        self.rows: list[list[list[str]]] = []
        self._cache: dict[tuple, list[str]] = {}
        self.count = 0
        self.started = False
        width = console.width
        self.wide = width >= 120
        line_w, mark_w, score_w = 22, 24, 6
        if width < 100:
            line_w, mark_w = 20, 18
        # Column gaps: one space either side of each inner border (pad_edge off: none outside).
        if self.wide:
            rest = max(20, width - line_w - mark_w - score_w - 2 * 4 - 2)
            desc_w = rest // 2
            self.widths = [line_w, mark_w, score_w, desc_w, rest - desc_w]
            self.headings = ["Line", "Mark", "Score", "Description", "Reasons"]
        else:
            rest = max(16, width - line_w - mark_w - score_w - 2 * 3 - 2)
            self.widths = [line_w, mark_w, score_w, rest]
            self.headings = ["Line", "Mark", "Score", "Description · reasons"]
        self.total_width = sum(self.widths) + 2 * (len(self.widths) - 1) + 2
        self._blanks = [" " * w for w in self.widths]
        color = console.color_system
        self._color_system = getattr(console, "_color_system", None) if color else None
        self._no_color = console.no_color

    # -- rendering ---------------------------------------------------------------------

    def _render(self, pieces: list[Piece]) -> str:
        if self._color_system is None:
            return "".join(t for t, _ in pieces)
        out = []
        for text, style in pieces:
            if style is None or not text:
                out.append(text)
            else:
                if self._no_color:
                    style = style.without_color
                out.append(style.render(text, color_system=self._color_system))
        return "".join(out)

    def _text_cell(self, value: str, width: int, style: Style | None = None) -> list[Line]:
        return _styled_lines(printable(value), width, base=style)

    def _highlighted(self, text: str, matched: str, span, width: int, limit: int = 120) -> list[Line]:
        before, match, after = window(text, find_span(text, matched, span), limit)
        before, match, after = printable(before), printable(match), printable(after)
        if match and self.plain:
            return _styled_lines(before + "»" + match + "«" + after, width)
        full = before + match + after
        spans = [(len(before), len(before) + len(match), Style(bold=True, underline=True, color="black",
                                                                 bgcolor="yellow"))] if match else []
        return _styled_lines(full, width, spans)

    def _match_cell(self, hit: Hit, line: DeclarationLine, width: int) -> list[Line]:
        description = line.description or ""
        if hit.field == "description" or not isinstance(getattr(line, hit.field, None), str):
            return self._highlighted(description, hit.matched_text, hit.span if hit.field == "description" else None,
                                     width)
        lines = self._highlighted(description, "", None, width)
        label = f"{hit.field}: "
        other = self._highlighted(getattr(line, hit.field), hit.matched_text, hit.span, width - len(label))
        lines.append((len(label) + other[0][0], [(label, _DIM), *other[0][1]]))
        lines.extend([(len(label) + w, [(" " * len(label), None), *rest]) for w, rest in other[1:]])
        return lines

    def _padded(self, lines: list[Line], width: int) -> list[str]:
        """Cell lines rendered (styles as escape codes) and padded to the column width."""
        render = self._render
        return [render(pieces) + " " * (width - used) for used, pieces in lines]

    def _cached(self, key: tuple, make: Callable[[], list[str]]) -> list[str]:
        # Marks, reasons and descriptions come back line after line: laid out once each.
        lines = self._cache.get(key)
        if lines is None:
            lines = make()
            if len(self._cache) >= 50_000:  # bounded: start again rather than grow
                self._cache.clear()
            self._cache[key] = lines
        return lines

    def add(self, hit: Hit, line: DeclarationLine) -> None:
        w = self.widths
        where = self._text_cell(f"{self.short.get(hit.file, hit.file)}:{hit.row}", w[0])
        ident = " / ".join(v for v in (hit.declaration_id, hit.item_no) if v)
        if ident:
            where += self._text_cell(ident, w[0], _DIM)
        mark = self._cached(
            ("mark", hit.mark, hit.recordation_id, hit.holder if self.verbose else ""),
            lambda: self._padded(
                self._text_cell(hit.mark, w[1]) + self._text_cell(hit.recordation_id, w[1], _DIM)
                + (self._text_cell(hit.holder, w[1], _DIM) if self.verbose and hit.holder else []), w[1]))
        verdict = hit.verdict.value if isinstance(hit.verdict, Verdict) else str(hit.verdict)
        score = self._cached(("score", hit.score, verdict), lambda: self._padded(
            [(w[2], [(str(hit.score).rjust(w[2]), None)]), (w[2], [(verdict.rjust(w[2]), _VERDICT.get(verdict))])],
            w[2]))
        other = getattr(line, hit.field, None) if hit.field != "description" else None
        text = self._cached(("text", line.description, hit.field, other if isinstance(other, str) else None,
                             hit.matched_text, hit.span), lambda: self._padded(self._match_cell(hit, line, w[3]), w[3]))
        reasons_w = w[4] if self.wide else w[3]
        reasons: list[str] = []
        for reason in hit.reasons:
            reasons += self._cached(("reason", reason, reasons_w), lambda: self._padded(
                _styled_lines(printable(str(reason)), reasons_w, indent=2, first="• "), reasons_w))
        if self.wide:
            cells = [self._padded(where, w[0]), mark, score, text, reasons]
        else:
            cells = [self._padded(where, w[0]), mark, score, text + reasons]
        self.rows.append(cells)
        self.count += 1
        if len(self.rows) >= CHUNK_ROWS:
            self.flush()

    def _row_text(self, cells: list[list[str]]) -> str:
        height = max(len(c) for c in cells)
        blanks = self._blanks
        out = []
        for k in range(height):
            text = " " + "  ".join(cell[k] if k < len(cell) else blanks[i] for i, cell in enumerate(cells))
            out.append(text.rstrip() if self.plain else text + " ")
        return "\n".join(out)

    def _header(self, title: str) -> str:
        pad = max(0, (self.total_width - cell_len(title)) // 2)
        lines = [" " * pad + self._render([(title, _BOLD)]), ""]
        heads = [[(h, _BOLD)] for h in self.headings]
        lines.append(" " + "  ".join(self._render(h) + " " * (self.widths[i] - cell_len(h[0][0]))
                                     for i, h in enumerate(heads)) + " ")
        lines.append(" " + "─" * (self.total_width - 2) + " ")
        if self.plain:
            lines = [x.rstrip() for x in lines]
        return "\n".join(lines) + "\n"

    def flush(self, *, title: str | None = None) -> None:
        """Write the rows laid out so far (with the title and header the first time)."""
        if not self.rows and self.started:
            return
        parts = []
        if not self.started:
            parts.append(self._header(title or "Flagged lines"))
            self.started = True
        for cells in self.rows:
            parts.append(self._row_text(cells) + "\n\n")
        self.rows = []
        data = "".join(parts)
        if self.around_output is not None:
            with self.around_output():
                self._write(data)
        else:
            self._write(data)

    def _write(self, data: str) -> None:
        stream = self.console.file
        stream.write(data)
        stream.flush()
