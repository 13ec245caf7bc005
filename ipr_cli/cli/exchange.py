"""``ipr exchange``: signed packages of outcomes and recordations between administrations.
Thin: parse options, call ``ipr_cli.exchange``, print."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Optional

import typer

from ..outputs import LIST_FORMATS
from .common import err_console, new_app, open_store
from .options import FORMAT, output_options

app = new_app(
    "Share seizures and recordations with partner administrations as signed packages, and use theirs.",
    epilog="Example: ipr exchange keygen --admin FR && ipr exchange export --to KR --output fr-to-kr.json",
)


def _say(message: str) -> None:
    err_console().print(message, markup=False, highlight=False)


@app.command("keygen")
def keygen(
    admin: str = typer.Option(..., "--admin", metavar="CODE", help="This administration's code: ISO alpha-2 (FR, KR) or another short id."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="PUBLIC_KEY_FILE", help="Where to write the public key (default: CODE.pub)."),
) -> None:
    """Create this administration's Ed25519 signing key (kept in the store) and write the public key.

    Send the public key file to partners over a channel they trust; they run
    `ipr exchange trust CODE FILE`.  The last line printed is the file's path.

    Example: ipr exchange keygen --admin FR --output FR.pub
    """
    from ..exchange import identity, keygen as make_key

    with open_store(create=True) as store:
        path = make_key(store, admin, output)
        own = identity(store)
    _say(f"Signing key of {own['admin']} created (key {own['key_id']}); public key written:")
    typer.echo(str(path))


@app.command("trust")
def trust(
    code: str = typer.Argument(..., help="The partner administration's code, as in its packages' 'from'."),
    public_key_file: str = typer.Argument(..., help="The partner's public key (.pub file from its `ipr exchange keygen`)."),
) -> None:
    """Trust a partner's public key: its signed packages can then be imported (audited).

    Example: ipr exchange trust FR FR.pub
    """
    from ..exchange import admin_code, trust as add_trust

    with open_store(create=True) as store:
        kid, previous = add_trust(store, code, public_key_file)
    code = admin_code(code)
    if previous == kid:
        _say(f"{code}'s key {kid} was already trusted; nothing changed.")
    elif previous:
        _say(f"Trusted {code}'s new key {kid} (replacing {previous}).")
    else:
        _say(f"Trusted {code}'s key {kid}.")


@app.command("export")
def export(
    to: str = typer.Option(..., "--to", metavar="CODE", help="The partner administration the package is for."),
    output: str = typer.Option(..., "--output", "-o", metavar="FILE", help="The package file to write."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Only hits decided on or after this date."),
    recordations: bool = typer.Option(False, "--recordations", help="Also send this administration's recordations."),
    office: Optional[str] = typer.Option(None, "--office", help="The customs office named in the outcomes (default: the administration code)."),
) -> None:
    """Write one signed package for a partner: outcomes of decided hits (and, with
    --recordations, the recordations).  Importer ids are sent only as pseudonyms keyed
    for that partner.

    Example: ipr exchange export --to KR --since 2026-11-01 --output fr-to-kr.json
    """
    from ..errors import UsageError
    from ..exchange import export_package

    try:
        since_date = dt.date.fromisoformat(since) if since else None
    except ValueError:
        raise UsageError(f"--since {since!r} is not an ISO date (YYYY-MM-DD).") from None
    with open_store() as store:
        result = export_package(store, to, output, since=since_date, with_recordations=recordations, office=office)
    _say(f"Package {result.package_id} for {to.upper()}: {result.outcomes} outcomes, "
         f"{result.recordations} recordations, written to {result.path}.")


@app.command("import")
def import_(
    file: str = typer.Argument(..., help="A package file from a partner."),
) -> None:
    """Verify a partner's package against the trusted keys and merge it, all or nothing.

    A package with an unknown key, a bad signature or a schema error changes nothing
    (exit 2); one imported before changes nothing either (exit 0, "already imported").

    Example: ipr exchange import fr-to-kr.json
    """
    from pathlib import Path

    from ..errors import InputError
    from ..exchange import import_package

    if not Path(file).is_file():  # before the store is opened (and perhaps created)
        raise InputError(f"Cannot read the package {file}: no such file.")
    with open_store(create=True) as store:
        result = import_package(store, file)
    if result.already:
        _say(f"Package {result.package_id} from {result.partner} already imported; nothing changed.")
        return
    _say(f"Imported package {result.package_id} from {result.partner}: {result.outcomes} outcomes, "
         f"{result.recordations} recordations.")


LIST_COLUMNS = ["direction", "partner", "package_id", "created", "at", "since", "outcomes", "recordations", "file"]
TABLE_COLUMNS = ["direction", "partner", "package_id", "created", "outcomes", "recordations"]


@app.command("list")
@output_options(LIST_FORMATS)
def list_(
    fmt: str = FORMAT,
) -> None:
    """List the packages sent and received, with their counts of outcomes and recordations.

    Example: ipr exchange list --format json
    """
    from ..exchange import list_packages
    from ..writers import write_rows

    with open_store() as store:
        rows = list_packages(store)
    if fmt == "table":
        for row in rows:
            row["created"] = (row["created"] or "")[:16].replace("T", " ")
    write_rows(rows, fmt, sys.stdout, columns=TABLE_COLUMNS if fmt == "table" else LIST_COLUMNS,
               title="Exchange packages")


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema that every package follows.

    Example: ipr exchange schema > exchange-package.schema.json
    """
    from ..exchange import schema_text

    sys.stdout.write(schema_text())
