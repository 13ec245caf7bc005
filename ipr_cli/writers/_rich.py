"""Rich rendering for people: the ``check`` table and summary, listings, records.

Data is only ever put into ``rich.text.Text`` (never into markup strings), so
``[bold]`` or ``[link=…]`` in a description shows as typed; control characters are
made visible first (see ``printable``), so data cannot move the cursor either.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, TextIO

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.cells import cell_len
from rich.text import Text

from ipr_cli.models import DeclarationLine, Hit, Verdict
from ipr_cli.writers._check import CheckWriter
from ipr_cli.writers._text import (
    TABLE_DESCRIPTION_CHARS,
    cell_text,
    find_span,
    printable,
    problem_text,
    short_names,
    suppressed_text,
    verdict_counts,
    window,
)

VERDICT_STYLE = {Verdict.HIT.value: "bold red", Verdict.REVIEW.value: "bold yellow"}
# Bold and underline survive NO_COLOR, so the match stays visible without colour.
MATCH_STYLE = Style(bold=True, underline=True, color="black", bgcolor="yellow")
# Without any styling (a file, a pipe) the match is bracketed instead.
PLAIN_MARKS = ("»", "«")
PROBLEMS_SHOWN = 5
WIDE = 120  # from this width on, reasons get a column of their own


class TerminalConsole(Console):
    """A Rich console for ipr's output: a closed pipe is a ``BrokenPipeError`` for the
    CLI to end on quietly (Rich itself would exit 1, which means ``--fail-on``)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


class MessageConsole(TerminalConsole):
    """The console of messages on stderr: every text printed has its control characters
    made visible (``printable``), whoever built the message."""

    def print(self, *objects: Any, **kwargs: Any) -> None:  # type: ignore[override]
        super().print(*(_printable_object(o) for o in objects), **kwargs)

    def on_broken_pipe(self) -> None:
        self.quiet = True  # no one reads the messages any more: the exit code still tells


def _printable_object(obj: Any) -> Any:
    if isinstance(obj, str):
        return printable(obj, keep_newlines=True)
    if isinstance(obj, Text) and not obj.plain.isprintable():
        shown = printable(obj.plain, keep_newlines=True)
        if shown != obj.plain:  # (its spans would no longer fit: keep the base style)
            return Text(shown, style=obj.style)
    return obj


def make_console(stream: TextIO, color: bool | None) -> Console:
    """A console writing to ``stream``.

    ``color=None``: styled only when ``stream`` is a terminal, without colour when
    ``NO_COLOR`` is set; ``True`` forces styling, ``False`` forbids any escape code.
    A stream that is not a terminal gets a fixed width (``COLUMNS`` or 80), so that a
    file does not depend on the size of the terminal it was written from.
    """
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    width = None
    if not tty:
        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() and int(columns) >= 40 else 80
    options: dict[str, Any] = dict(
        file=stream, width=width, markup=False, emoji=False, highlight=False, soft_wrap=False
    )
    if color is None:
        options["force_terminal"] = tty
    elif color:
        options.update(force_terminal=True, no_color=False)
    else:
        options.update(force_terminal=False, color_system=None, no_color=True)
    return TerminalConsole(**options)


def _plain(console: Console) -> bool:
    return console.color_system is None


def safe(value: Any) -> Text:
    """A cell's value as literal, printable text."""
    return Text(printable(cell_text(value)))


def highlighted(text: str, matched: str, span: tuple[int, int] | None, *, plain: bool,
                limit: int | None = TABLE_DESCRIPTION_CHARS, keep_newlines: bool = False) -> Text:
    """``text`` cut around the match (``limit`` None: whole), the match highlighted (or
    bracketed when plain)."""
    before, match, after = window(text, find_span(text, matched, span), len(text) if limit is None else limit)
    out = Text(printable(before, keep_newlines=keep_newlines))
    if match:
        if plain:
            out.append(PLAIN_MARKS[0] + printable(match, keep_newlines=keep_newlines) + PLAIN_MARKS[1])
        else:
            out.append(printable(match, keep_newlines=keep_newlines), style=MATCH_STYLE)
    out.append(printable(after, keep_newlines=keep_newlines))
    return out


def bullets(items: Iterable[str]) -> Table:
    """A bulleted list whose wrapped lines hang under the text, not under the bullet."""
    grid = Table.grid()
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for item in items:
        grid.add_row("• ", Text(printable(cell_text(item))))
    return grid


def _match_cell(hit: Hit, line: DeclarationLine, plain: bool) -> Text:
    description = line.description or ""
    if hit.field == "description" or not isinstance(getattr(line, hit.field, None), str):
        return highlighted(description, hit.matched_text, hit.span if hit.field == "description" else None, plain=plain)
    other = getattr(line, hit.field)
    cell = highlighted(description, "", None, plain=plain)
    cell.append("\n")
    cell.append(f"{hit.field}: ", style="dim")
    cell.append_text(highlighted(other, hit.matched_text, hit.span, plain=plain))
    return cell


class TableWriter(CheckWriter):
    """The hits in fixed columns, streamed a chunk at a time (see ``_table``), then a
    one-screen summary panel.  ``around_output`` (settable) wraps each write."""

    def __init__(self, stream: TextIO, meta: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(stream, meta, **kwargs)
        from ipr_cli.writers._table import StreamedTable

        self.console = make_console(stream, self.color)
        self.table = StreamedTable(self.console, plain=_plain(self.console), verbose=self.verbose,
                                   short=short_names(meta))

    @property
    def around_output(self):
        return self.table.around_output

    @around_output.setter
    def around_output(self, value) -> None:
        self.table.around_output = value

    def _write(self, hit: Hit, line: DeclarationLine) -> None:
        self.table.add(hit, line)

    def close(self, summary: dict[str, Any]) -> None:
        table = self.table
        if table.count:
            # A result that fits one chunk gets its count in the title, as before.
            table.flush(title=f"Flagged lines ({table.count:,})" if not table.started else None)
        else:
            self.console.print(Text("No lines flagged."))
        self.console.print(summary_panel(self.meta, summary, verbose=self.verbose))
        super().close(summary)


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else cell_text(value)


def summary_panel(meta: dict[str, Any], summary: dict[str, Any], *, verbose: bool = False) -> Panel:
    """Counts of the run: lines read, flagged, by verdict, suppressed, skipped rows."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("Lines read", _count(summary.get("lines_read", 0)))
    grid.add_row("Lines flagged", _count(summary.get("lines_flagged", 0)))
    by_verdict = verdict_counts(summary)
    verdicts = Text()
    for name in (Verdict.HIT.value, Verdict.REVIEW.value):
        if verdicts:
            verdicts.append("  ")
        verdicts.append(f"{name} ", style=VERDICT_STYLE[name])
        verdicts.append(_count(by_verdict.get(name, 0)))
    grid.add_row("By verdict", verdicts)
    grid.add_row("Suppressed", _count(summary.get("suppressed", 0)))
    if verbose:  # the CLI hands these over with --verbose: what the allow list kept quiet
        for item in summary.get("suppressed_hits") or []:
            grid.add_row("", Text(printable(suppressed_text(item)), style="dim"))
    grid.add_row("Skipped rows", _count(summary.get("skipped", 0)))
    _add_problems(grid, summary, verbose)
    files = meta.get("files") or []
    if files:
        grid.add_row("Files", safe(", ".join(cell_text(f) for f in files)))
    if summary.get("duration_s") is not None:
        grid.add_row("Time", f"{summary['duration_s']:.1f} s")
    title = Text("Summary", style="bold")
    subtitle = _subtitle(meta)
    # Wide enough for the subtitle (run id and date), which a narrow grid would cut.
    width = max(grid_width(grid), subtitle.cell_len + 6 if subtitle else 0) if subtitle else None
    return Panel(
        grid, title=title, subtitle=subtitle or None, title_align="left", subtitle_align="left",
        expand=width is not None, width=width,
    )


def _add_problems(grid: Table, summary: dict[str, Any], verbose: bool) -> None:
    """The skipped rows' problems under their count: the first few, or all with --verbose."""
    problems = list(summary.get("problems") or [])
    shown = problems if verbose else problems[:PROBLEMS_SHOWN]
    for problem in shown:
        grid.add_row("", Text(printable(problem_text(problem)), style="dim"))
    total = max(summary.get("problems_total") or 0, len(problems))
    if total > len(shown):
        grid.add_row("", Text(f"… and {total - len(shown):,} more"
                              + (" (--verbose lists the first few)" if len(problems) > len(shown) else ""),
                              style="dim"))


def _subtitle(meta: dict[str, Any]) -> Text:
    """``run ID · as of DATE``, what the run has of them."""
    return Text(printable(" · ".join(
        part for part in (
            f"run {cell_text(meta['run_id'])}" if meta.get("run_id") else "",
            f"as of {cell_text(meta['as_of'])}" if meta.get("as_of") else "",
        ) if part
    )))


def grid_width(grid) -> int:
    """The width the summary grid needs, borders included."""
    from rich.console import Console
    from rich.measure import Measurement

    console = Console(width=200)
    return Measurement.get(console, console.options, grid).maximum + 4


def _width(text: Text) -> int:
    """The widest line of ``text``."""
    return max(line.cell_len for line in text.split()) if "\n" in text.plain else text.cell_len


def _fit_between_words(widest: list[int], least: list[int], width: int) -> list[int]:
    """Column widths for ``width``: each column its longest word, then the room left
    to the columns that need least to be whole (short values stay on one line)."""
    widths = list(least)
    room = width - (sum(widths) + 3 * len(widths) - 1)
    for i in sorted(range(len(widths)), key=lambda i: widest[i] - least[i]):
        extra = min(room, widest[i] - widths[i])
        if extra > 0:
            widths[i] += extra
            room -= extra
    return widths


def _longest_word(text: Text) -> int:
    return max((cell_len(word) for word in text.plain.split()), default=0)


def _lines(items: Iterable[Any]) -> Text:
    return Text("\n").join(safe(item) for item in items)


SHORT_CELL = 24  # cells up to this wide are never wrapped in listings


def print_rows(
    rows: Iterable[dict[str, Any]], stream: TextIO, columns: list[str], title: str | None, color: bool | None = None
) -> None:
    """A listing as a Rich table."""
    console = make_console(stream, color)
    table = Table(title=Text(printable(title)) if title else None, box=box.SIMPLE_HEAD, pad_edge=False)
    # A list value is shown one item a line.
    cells = [[_lines(v) if isinstance(v := row.get(name), (list, tuple)) else safe(v) for name in columns]
             for row in rows]
    headings = [Text(name.replace("_", " ")) for name in columns]
    fixed, whole, widest = _column_widths(cells, headings, console.width)
    for i, heading in enumerate(headings):
        # "recordation id" can wrap between words; "recordation_id" could only be cut.
        if fixed is not None:  # each column at least its longest word: words stay whole
            table.add_column(heading, overflow="fold", width=fixed[i])
        elif i in whole:
            table.add_column(heading, overflow="fold", width=widest[i])
        else:
            table.add_column(heading, overflow="fold")
    for cell in cells:
        table.add_row(*cell)
    if cells:
        console.print(table)
    else:
        console.print(Text(f"No {title.lower()}." if title else "Nothing to show."))


def _column_widths(cells: list[list[Text]], headings: list[Text], width: int):
    """``(fixed widths or None, columns kept whole, widest cell of each column)``."""
    count = len(headings)
    widest = [max([_width(cell[i]) for cell in cells] + [headings[i].cell_len]) for i in range(count)]
    # Keep the narrowest columns (ids, numbers, dates, verdicts) whole, as long as they
    # leave room for the others; longer text folds.
    budget = int((width - 3 * count) * 0.6)
    longest_word = [max([_longest_word(cell[i]) for cell in cells] + [_longest_word(headings[i])])
                    for i in range(count)]
    # The box takes one space at either edge and three between columns.
    words_fit = sum(longest_word) + 3 * count - 1 <= width
    whole: set[int] = set()
    natural = sum(widest) + 3 * count - 1
    for i in sorted(range(count), key=lambda i: widest[i]):
        if natural > width and words_fit:
            break  # every column may have to wrap: between words, each at least its longest word
        if widest[i] > SHORT_CELL or widest[i] > budget:
            break
        whole.add(i)
        budget -= widest[i]
    fixed = _fit_between_words(widest, longest_word, width) if natural > width and words_fit else None
    return fixed, whole, widest


def print_record(record: dict[str, Any], stream: TextIO, title: str | None, color: bool | None = None) -> None:
    """One record as a two-column key/value view."""
    console = make_console(stream, color)
    table = Table(title=Text(printable(title)) if title else None, box=box.SIMPLE, show_header=False, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in record.items():
        table.add_row(Text(printable(str(key))), safe(value))
    console.print(table)
