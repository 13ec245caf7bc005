"""The ``ipr`` command line: thin wrappers that parse options, call the core and print.

Only this package imports Typer.  Heavy modules (matching, Rich, openpyxl) are imported
inside the commands that need them, so ``ipr --help`` starts fast.
"""

from __future__ import annotations

from typing import Optional

import typer

from .. import __version__
from .common import new_app, readable_metavars, state

app = new_app(
    add_completion=True,
    help="Screen customs import declarations against recorded trademarks.\n\n"
    "Liaisons keep recordations with `ipr recordation`; officers screen files with "
    "`ipr check` and decide on hits.",
    epilog="Example: ipr recordation import marks.csv && ipr check declarations.csv",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ipr {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: Optional[str] = typer.Option(
        None, "--db", metavar="PATH", help="Store file (default: $IPR_DB, else the per-user data directory)."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of internal errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    s = state()
    s.db = db
    s.debug = debug or s.debug
    _protect_store(db)


def _protect_store(db: Optional[str]) -> None:
    """No --output of any command may name the store or the files beside it."""
    from ..errors import IprError
    from ..store import resolve_path
    from ..outputs import clear_protected, protect_store_from_output

    clear_protected()
    try:
        protect_store_from_output(resolve_path(db))
    except IprError:
        pass  # (the command says what is wrong with the path when it opens the store)


def _register() -> None:
    from . import audit_cmd, db_cmd, recordation

    app.add_typer(recordation.app, name="recordation")
    app.add_typer(db_cmd.app, name="db")
    app.command("audit")(audit_cmd.audit)
    from . import casework, reports_cmd

    app.add_typer(casework.runs_app, name="runs")
    app.add_typer(casework.hits_app, name="hits")
    app.command("decide")(casework.decide)
    app.add_typer(casework.allow_app, name="allow")
    app.add_typer(casework.deny_app, name="deny")
    app.command("report")(reports_cmd.report)
    app.command("stats")(reports_cmd.stats)
    recordation.app.command("lint")(reports_cmd.lint)
    from . import exchange

    app.add_typer(exchange.app, name="exchange")
    from . import check as check_cmd

    app.command("check")(check_cmd.check)
    readable_metavars(app)


_register()


def main() -> None:
    import sys

    from ..gctuning import set_rare

    # A command's data (a register, its index, a day's batch) is millions of objects
    # without reference cycles: see gctuning.
    set_rare()

    # Machine output is UTF-8 whatever the locale says; a terminal keeps its own
    # encoding but never crashes on a character it cannot show.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            if stream.isatty():
                stream.reconfigure(errors="replace")
            else:
                stream.reconfigure(encoding="utf-8")
    from ..outputs import guard_stdout

    guard_stdout()
    app(prog_name="ipr")
