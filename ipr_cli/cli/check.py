"""``ipr check``: screen declaration files against the recordations in the store."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import os
import sys
from typing import List, Optional

import typer

from ..outputs import FORMATS
from .common import BOM_HELP, err_console, open_store, write_bom
from .options import FORMAT, OUTPUT, output_options


@output_options(FORMATS + ("parquet",), env="IPR_FORMAT", output=True,
                help="table, json, jsonl, csv, html or parquet (with --output) (default: $IPR_FORMAT, else table).",
                output_help="Write the result here (atomically) instead of stdout.")
def check(
    files: List[str] = typer.Argument(..., help="Declaration files: CSV, JSON Lines, JSON, XLSX or Parquet (a file or a directory) ('-' = stdin)."),
    fmt: str = FORMAT,
    output: Optional[str] = OUTPUT,
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
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", metavar="ADDRESS", envvar="IPR_SCHEDULER", show_envvar=False,
        help="Screen on a Dask cluster: tcp://HOST:PORT of a `dask scheduler`, or local for --workers "
             "local processes (default: $IPR_SCHEDULER). Needs pip install \"ipr-cli[dask]\"."),
    changed_since: Optional[str] = typer.Option(
        None, "--recordations-changed-since", metavar="DATE",
        help="Screen only against recordations added or changed since DATE (ISO date or date-time, UTC)."),
    with_partner_recordations: bool = typer.Option(
        False, "--with-partner-recordations",
        help="Also screen against recordations received from partner administrations (hits name the partner)."),
) -> None:
    """Screen declaration lines for recorded marks, however disguised, and explain each flag.

    \b
    Examples:
      ipr check declarations.csv
      ipr check day/*.csv --format jsonl --output hits.jsonl --fail-on hit --quiet
      ipr check archive/2025/ --scheduler tcp://10.0.0.5:8786 --recordations-changed-since 2026-11-01 \\
          --format parquet --output rescreen.parquet
      ipr check declarations.csv --with-partner-recordations
    """
    fail_on, as_of_date, since, column_map = _checked_options(files, fmt, output, fail_on, as_of, changed_since,
                                                               columns)
    from ..outputs import protect_from_output
    from ..screening import Run, worst_verdict

    for name in files:
        protect_from_output(name, "an input file of this run")
    options = {"format": fmt, "min_score": min_score, "fail_on": fail_on, "strict": strict, "encoding": encoding,
               "columns": columns, "scheduler": scheduler, "recordations_changed_since": since,
               "with_partner_recordations": with_partner_recordations}
    threshold = {"hit": 2, "review": 1}.get(fail_on)
    found = _Found()
    with open_store() as store:  # once: the register, the hit ids named in the output, the run saved
        if not no_save:
            # Before the first line is screened: a busy store fails now (exit 3), not
            # after the hits went out on standard output with the run unsaved.
            store.check_writable()
        register = _Register.load(store, with_partner_recordations, since)
        run = Run(as_of_date, list(files), options, register.revision)
        planner = None if no_save else store.hit_planner()
        screen = functools.partial(
            _screened, files, register, run, scheduler=scheduler, min_score=min_score, encoding=encoding,
            columns=column_map, strict=strict, workers=workers, header_row=header_row)
        try:
            _run(screen, run, store, planner, found, fmt=fmt, output=output, bom=bom, verbose=verbose,
                 quiet=quiet, save=not no_save)
        except BrokenPipeError:
            # The reader went away (`ipr check ... | head`): end quietly, with the exit code
            # --fail-on asks for from what was found until then.  The run is not saved.
            from .common import silence_stdout

            silence_stdout()
            raise typer.Exit(1 if threshold is not None and found.worst >= threshold else 0) from None
    if not quiet and (fmt != "table" or output not in (None, "-")):
        _talk(run.summary, run.run_id, no_save)
    worst = worst_verdict(run.summary)
    if threshold is not None and worst is not None and worst.rank >= threshold:
        raise typer.Exit(1)


def _checked_options(files, fmt, output, fail_on, as_of, changed_since, columns):
    """The options that need more than Typer's checks: ``(fail_on, as_of, since, column map)``."""
    from ..errors import UsageError
    from ..readers import parse_columns_option

    if fmt == "parquet" and output in (None, "-"):
        raise UsageError("--format parquet needs --output PATH (Parquet is not written to a terminal or pipe).",
                         hint="e.g. --format parquet --output hits.parquet")
    since = _since(changed_since) if changed_since else None
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
    return fail_on, as_of_date, since, column_map


class _Found:
    """The worst verdict written so far (its rank), for --fail-on when the output breaks off."""

    worst = 0


@dataclasses.dataclass
class _Register:
    """What the store gives a run: the recordations screened against (and, with
    --recordations-changed-since, the whole register and the ids changed), the context,
    the partners' intelligence and the index cache."""

    recordations: list
    context: object
    revision: int
    intelligence: object
    cache: object
    since: Optional[str] = None
    whole: Optional[list] = None
    changed: Optional[set] = None

    @classmethod
    def load(cls, store, with_partner_recordations: bool, since: Optional[str]) -> "_Register":
        from ..exchange import PartnerIntelligence, partner_recordations
        from ..screening import default_cache_dir

        recordations = store.recordations()
        context = store.context()
        revision = store.revision()
        # Partner intelligence (exchange): seizures strengthen hits; partner recordations only on request.
        extra = partner_recordations(store) if with_partner_recordations else []
        recordations = recordations + extra if extra else recordations
        intelligence = PartnerIntelligence.load(store, extra)
        cache = _index_cache(store, len(recordations), default_cache_dir())
        register = cls(recordations, context, revision, intelligence, cache, since)
        if since is not None:
            register.changed = store.recordation_ids_changed_since(since)
            register.whole = recordations
            register.recordations = [r for r in recordations if r.recordation_id in register.changed]
        register.warn()
        return register

    def warn(self) -> None:
        if self.since is not None and not self.recordations:
            err_console().print(
                f"[yellow]Warning:[/] no recordation was added or changed since {self.since}; nothing can be flagged.")
        elif not self.recordations:
            err_console().print("[yellow]Warning:[/] the store holds no recordations; nothing can be flagged.")
        _warn_overlong(self.recordations)


def _screened(files, register: _Register, run, progress, *, scheduler, **options):
    """``(line, hits)`` of every flagged line: screened here or on a cluster, confirmed
    against the whole register after --recordations-changed-since, partner intelligence applied."""
    from ..screening import screen_files

    hook = full = None
    if register.since is not None:
        from ..matching import Matcher
        from ..rescreen import RegisterLimits

        full = Matcher(register.whole, context=register.context, cache_dir=register.cache)
        hook = RegisterLimits(full.index)
    common = dict(as_of=run.as_of, context=register.context, summary=run.summary, progress=progress,
                  matcher_hook=hook, **options)
    if scheduler:
        from ..cluster import screen_on_cluster

        screened = screen_on_cluster(files, register.recordations, address=scheduler, **common)
    else:
        screened = screen_files(files, register.recordations, cache_dir=register.cache, **common)
    if register.since is not None:
        from ..rescreen import confirmed

        screened = confirmed(screened, full, register.changed, as_of=run.as_of, min_score=options["min_score"],
                             summary=run.summary)
    if register.intelligence is not None:
        screened = register.intelligence.refined(screened)
    return screened


def _run(screen, run, store, planner, found: _Found, *, fmt, output, bom, verbose, quiet, save) -> None:
    """Screen, write every hit as it comes, then the summary; save the run before the
    result file is put in place."""
    from ..writers import check_writer

    to_terminal = output in (None, "-") and sys.stdout.isatty()
    # The bar shares the screen with data only for the table, which it steps aside for.
    show_progress = not quiet and sys.stderr.isatty() and (fmt == "table" or not to_terminal)
    saved: list = []
    with _progress(show_progress) as progress:
        screened = screen(progress)
        with _output(fmt, output) as out:
            if fmt == "parquet":
                writer = out
            else:
                write_bom(out, fmt, bom, output)
                color = None if output in (None, "-") else False
                writer = check_writer(fmt, out, meta=run.meta(), color=color, verbose=verbose)
            if progress is not None and to_terminal and hasattr(writer, "around_output"):
                writer.around_output = progress.paused
            for line, hits in screened:
                for hit in hits:
                    found.worst = max(found.worst, hit.verdict.rank)
                    if planner is not None:
                        writer.write(hit, line, {"run_id": run.run_id, "hit_id": planner.assign(hit, line)})
                        saved.append((hit, line))
                    else:
                        writer.write(hit, line)
            if progress is not None:
                progress.finish()  # off the screen before the last rows and the summary
            for warning in run.summary.warnings:  # before the table's end and its summary
                if not quiet:
                    err_console().print("Warning: " + warning + ".", markup=False, highlight=False)
            writer.close(_summary_dict(run.summary, verbose))
            if save:
                # Saved before the result file is renamed into place: a result file always
                # names a run the store holds, and a store failure (exit 3) leaves no file.
                _save(store, run, saved, planner)


def _save(store, run, saved: list, planner) -> None:
    store.save_run(run.record(), saved, planner)
    if planner.renumbered:
        err_console().print(
            "[yellow]Warning:[/] another run saved hits meanwhile: some hit ids in this output "
            f"differ from the store; `ipr hits list --run {run.run_id}` shows the stored ones.")


def _index_cache(store, count: int, path: str):
    """Where the index of a large register may be kept, with the store's secret sealing
    it; None (and a warning) when the directory is not the user's own or is writable by
    others: the index is then built in memory."""
    from pathlib import Path

    from ..matching.index import CACHE_MIN_RECORDATIONS, IndexCache, cache_dir_problem

    if count < CACHE_MIN_RECORDATIONS:
        return None
    problem = cache_dir_problem(path)
    if problem:
        err_console().print(f"Warning: the index cache is not used: {problem}; the index is built in memory.",
                            markup=False, highlight=False)
        return None
    key = store.index_cache_key()
    return IndexCache(Path(path), key) if key else None


def _warn_overlong(recordations) -> None:
    """Marks or aliases over the length limit (stored before it existed) are not screened: say so."""
    from ..models import MARK_MAX_CHARS

    long = [r.recordation_id for r in recordations
            if len(r.mark) > MARK_MAX_CHARS or any(len(a) > MARK_MAX_CHARS for a in r.aliases)]
    if long:
        ids = ", ".join(long[:5]) + (f" and {len(long) - 5} more" if len(long) > 5 else "")
        err_console().print(
            f"Warning: {len(long)} recordation(s) have a mark or alias longer than {MARK_MAX_CHARS} characters, "
            f"which is not screened: {ids}. Shorten it with `ipr recordation update`.",
            markup=False, highlight=False)


def _output(fmt: str, output: Optional[str]):
    """The result's destination: a text stream, or for Parquet a hit writer; either
    replaces ``output`` only when the run succeeds."""
    from ..writers import atomic_output

    if fmt == "parquet":
        from ..parquet_io import atomic_parquet_writer

        return atomic_parquet_writer(output)
    return atomic_output(output)


def _since(text: str) -> str:
    """``--recordations-changed-since`` as the store's UTC time stamp form."""
    from ..errors import UsageError

    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--recordations-changed-since {text!r} is not an ISO date or date-time "
                         "(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS).") from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when.isoformat(timespec="seconds")


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
