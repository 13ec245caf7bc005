"""``ipr check``: screen declaration files against the recordations in the store."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import uuid
from typing import List, Optional

import typer

from .. import __version__
from .common import BOM_HELP, check_format, err_console, open_store, write_bom


def check(
    files: List[str] = typer.Argument(..., help="Declaration files: CSV, JSON Lines, JSON or XLSX ('-' = stdin)."),
    fmt: Optional[str] = typer.Option(
        None, "--format", "-f", help="table, json, jsonl, csv or html (default: $IPR_FORMAT, else table)."
    ),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the result here (atomically) instead of stdout."),
    fail_on: str = typer.Option("none", "--fail-on", help="Exit 1 when a flag at or above this verdict is found: hit, review or none."),
    min_score: int = typer.Option(0, "--min-score", min=0, max=100, help="Leave out flags scoring below this (0-100)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", metavar="DATE", help="Judge validity on this date when a line has none (default: today)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only data and errors: no progress, no summary."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list lines withheld by the allow list."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Force the files' text encoding (e.g. cp949)."),
    columns: Optional[str] = typer.Option(None, "--columns", metavar="MAP", help="Map columns: description='Goods Desc',hs_code=Tariff."),
    strict: bool = typer.Option(False, "--strict", help="A malformed row stops the run (exit 2) instead of being skipped."),
    no_save: bool = typer.Option(False, "--no-save", help="Do not record the run and its hits in the store."),
    bom: Optional[bool] = typer.Option(None, "--bom/--no-bom", help=BOM_HELP),
    header_row: Optional[int] = typer.Option(
        None, "--header-row", min=1, metavar="N",
        help="XLSX: the sheet row holding the column names (default: found among the first rows)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", "-j", min=1, metavar="N",
        help="Processes searching large batches (default: one per core); the result is the same with any N."),
) -> None:
    """Screen declaration lines for recorded marks, however disguised, and explain each flag.

    \b
    Examples:
      ipr check declarations.csv
      ipr check day/*.csv --format jsonl --output hits.jsonl --fail-on hit --quiet
    """
    from ..errors import UsageError
    from ..readers import parse_columns_option
    from ..screening import Summary, default_cache_dir, screen_files, worst_verdict
    from ..store import now
    from ..writers import FORMATS, atomic_output, check_writer

    fmt = check_format(fmt or os.environ.get("IPR_FORMAT") or "table", FORMATS)
    fail_on = fail_on.lower()
    if fail_on not in ("hit", "review", "none"):
        raise UsageError(f"--fail-on takes hit, review or none, not {fail_on!r}.")
    try:
        as_of_date = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        raise UsageError(f"--as-of {as_of!r} is not an ISO date (YYYY-MM-DD).") from None
    column_map = parse_columns_option(columns) if columns else None
    if files.count("-") > 1:
        raise UsageError("Standard input ('-') can be named only once.")

    with open_store() as store:
        recordations = store.recordations()
        context = store.context()
        revision = store.revision()
    if not recordations:
        err_console().print("[yellow]Warning:[/] the store holds no recordations; nothing can be flagged.")

    run_id = dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    started_at = now()
    summary = Summary()
    meta = {
        "schema_version": 1,
        "ipr_version": __version__,
        "run_id": run_id,
        "as_of": as_of_date.isoformat(),
        "files": list(files),
    }
    to_terminal = output in (None, "-") and sys.stdout.isatty()
    # The bar shares the screen with data only for the table, which it steps aside for.
    show_progress = not quiet and sys.stderr.isatty() and (fmt == "table" or not to_terminal)
    saved: list = []
    # Saved hits are named in the output (run_id, hit_id) before the run is saved.
    plan_store = None if no_save else open_store()
    planner = plan_store.hit_planner() if plan_store is not None else None
    with _progress(show_progress) as progress:
        with atomic_output(output) as out:
            color = None if output in (None, "-") else False
            write_bom(out, fmt, bom, output)
            writer = check_writer(fmt, out, meta=meta, color=color, verbose=verbose)
            if progress is not None and to_terminal and hasattr(writer, "around_output"):
                writer.around_output = progress.paused
            for line, hits in screen_files(
                files, recordations, as_of=as_of_date, context=context, min_score=min_score,
                encoding=encoding, columns=column_map, strict=strict, summary=summary, progress=progress,
                workers=workers, cache_dir=default_cache_dir(), header_row=header_row,
            ):
                for hit in hits:
                    if planner is not None:
                        writer.write(hit, line, {"run_id": run_id, "hit_id": planner.assign(hit, line)})
                        saved.append((hit, line))
                    else:
                        writer.write(hit, line)
            if progress is not None:
                progress.finish()  # off the screen before the last rows and the summary
            for warning in summary.warnings:  # before the table's end and its summary
                if not quiet:
                    err_console().print("Warning: " + warning + ".", markup=False, highlight=False)
            writer.close(_summary_dict(summary, verbose))
            if not no_save:
                # Saved before the result file is renamed into place: a result file always
                # names a run the store holds, and a store failure (exit 3) leaves no file.
                with open_store() as store:
                    store.save_run(
                        {
                            "run_id": run_id,
                            "started_at": started_at,
                            "finished_at": now(),
                            "as_of": as_of_date.isoformat(),
                            "files": [vars(f) for f in summary.files],
                            "options": {"format": fmt, "min_score": min_score, "fail_on": fail_on, "strict": strict,
                                        "encoding": encoding, "columns": columns},
                            "recordations_revision": revision,
                            "lines_read": summary.lines_read,
                            "lines_flagged": summary.lines_flagged,
                            "hits": summary.by_verdict["hit"],
                            "reviews": summary.by_verdict["review"],
                            "suppressed": summary.suppressed,
                            "skipped": summary.skipped,
                            "duration_s": round(summary.duration_s, 3),
                        },
                        saved,
                        planner,
                    )
                plan_store.close()
                if planner.renumbered:
                    err_console().print(
                        "[yellow]Warning:[/] another run saved hits meanwhile: some hit ids in this output "
                        f"differ from the store; `ipr hits list --run {run_id}` shows the stored ones.")
    if not quiet and (fmt != "table" or output not in (None, "-")):
        _talk(summary, run_id, no_save)
    worst = worst_verdict(summary)
    if fail_on != "none" and worst is not None and worst.rank >= (2 if fail_on == "hit" else 1):
        raise typer.Exit(1)


def _summary_dict(summary, verbose: bool) -> dict:
    data = summary.as_dict()
    if verbose:
        data["suppressed_hits"] = [h.to_dict() for h in summary.suppressed_hits]
    return data


def _talk(summary, run_id: str, no_save: bool) -> None:
    """A one-line summary on stderr for machine formats (the table prints its own)."""
    v = summary.by_verdict
    parts = [
        f"{summary.lines_read} lines read",
        f"{summary.lines_flagged} flagged ({v['hit']} hit, {v['review']} review)",
    ]
    if summary.suppressed:
        parts.append(f"{summary.suppressed} suppressed by the allow list")
    if summary.skipped:
        parts.append(f"{summary.skipped} rows skipped")
    saved = "" if no_save else f"; run {run_id}"
    err_console().print(", ".join(parts) + saved + ".", highlight=False, markup=False)


class _progress:
    """A Rich progress bar on stderr (only on a terminal) fed with bytes read."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
            console=err_console(), transient=True, redirect_stdout=False, redirect_stderr=False,
        )
        self.bar.start()
        self.tasks: dict[str, int] = {}
        self.running = True
        return self

    @contextlib.contextmanager
    def paused(self):
        """Take the bar off the screen while table rows are written, then bring it back."""
        if not self.running:
            yield
            return
        self.bar.stop()
        try:
            yield
        finally:
            self.bar.start()

    def finish(self) -> None:
        """Remove the bar for good: the output's end and the summary follow."""
        if self.running:
            self.running = False
            self.bar.stop()

    def __call__(self, path: str, done: int, total: int | None) -> None:
        if path not in self.tasks:
            self.tasks[path] = self.bar.add_task(os.path.basename(path) or path, total=total)
        self.bar.update(self.tasks[path], completed=done, total=total)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.finish()
