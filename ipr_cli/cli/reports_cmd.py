"""``ipr report``, ``ipr stats`` and ``ipr recordation lint``: what a run and the register
add up to.  Thin: parse options, call ``ipr_cli.casework``, write."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from ..outputs import LIST_FORMATS
from .common import BOM_HELP, err_console, open_store, write_bom
from .options import FORMAT, OUTPUT, output_options


def _say(message: str) -> None:
    err_console().print(message, markup=False, highlight=False)


@output_options(("html", "csv", "json"), output=True)
def report(
    run: str = typer.Argument(..., help="Run id (a unique prefix will do, or 'latest')."),
    fmt: str = FORMAT,
    output: Optional[str] = OUTPUT,
    bom: Optional[bool] = typer.Option(None, "--bom/--no-bom", help=BOM_HELP),
) -> None:
    """Report one run: totals, flags by holder, recordation, origin and verdict, and every hit.

    HTML is one self-contained page with a chart of flags per holder, fit to print;
    CSV is one row per hit; JSON holds everything.

    Example: ipr report latest --format html --output report.html
    """
    from ..casework import report_data
    from ..writers.report import render_html, write_csv, write_json
    from ..writers import atomic_output

    if fmt == "html" and output in (None, "-") and sys.stdout.isatty():
        from ..errors import UsageError

        raise UsageError(
            "The HTML report is a web page, not terminal text; give a file to write it to.",
            hint="e.g. ipr report latest --output report.html (or pipe it: ipr report latest > report.html).",
        )
    with open_store() as store:
        data = report_data(store, run)
    with atomic_output(output) as out:
        if fmt == "html":
            out.write(render_html(data))
        elif fmt == "csv":
            write_bom(out, fmt, bom, output)
            write_csv(data, out)
        else:
            write_json(data, out)


@output_options(LIST_FORMATS)
def stats(
    run: Optional[str] = typer.Option(None, "--run", help="Only this run."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Lines dated on or after DATE."),
    until: Optional[str] = typer.Option(None, "--until", metavar="DATE", help="Lines dated on or before DATE."),
    fmt: str = FORMAT,
) -> None:
    """Per recordation: hits flagged, open, held, released, false positives and the FP rate.

    The false-positive rate is false positives over decided hits.

    Example: ipr stats --since 2026-01-01 --format csv
    """
    from ..casework import stats as compute
    from ..writers import write_rows

    from .casework import _filter

    flt = _filter(run, None, None, None, None, since, until)
    with open_store() as store:
        rows = compute(store, flt)
    if fmt in ("table", "csv"):
        for r in rows:
            r["fp_rate"] = "" if r["fp_rate"] is None else f"{r['fp_rate']:.0%}" if fmt == "table" else r["fp_rate"]
    columns = ["recordation_id", "mark", "holder", "flagged", "open", "held", "released", "false_positives", "fp_rate"]
    write_rows(rows, fmt, sys.stdout, columns=columns, title="Recordation statistics")


@output_options(LIST_FORMATS)
def lint(
    days: int = typer.Option(90, "--days", min=0, help="Report recordations expiring within this many days."),
    as_of: Optional[str] = typer.Option(None, "--as-of", metavar="DATE", help="Judge expiry on this date (default: today)."),
    fmt: str = FORMAT,
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when anything is found (for scheduled jobs)."),
) -> None:
    """Find recordations that weaken screening: expiring, no contact, no HS scope, short or common-word
    marks (which need corroboration), and marks that look the same as another holder's.

    Example: ipr recordation lint --days 60
    """
    from ..casework import lint as find
    from ..casework import parse_date
    from ..writers import write_rows

    today = parse_date(as_of, "--as-of")
    with open_store() as store:
        findings = find(store, days=days, today=today)
    rows = [f.as_dict() for f in findings]
    write_rows(rows, fmt, sys.stdout, columns=["recordation_id", "mark", "holder", "problem", "detail"],
               title="Lint findings")
    recs = len({f.recordation_id for f in findings})
    _say(f"{len(findings)} finding(s) in {recs} recordation(s)." if findings else "No problems found.")
    if strict and findings:
        raise typer.Exit(1)
