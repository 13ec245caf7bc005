"""``ipr recordation``: the liaison's commands (add, import, update, renew, suspend, ...)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Optional

import typer

from ..outputs import LIST_FORMATS
from .common import BOM_HELP, err_console, new_app, open_store, stdin_is_terminal, write_bom
from .options import FORMAT, OUTPUT, grouped_options, output_options

app = new_app("Add, import, change and look up recordations (the marks customs protect).",
              epilog="Example: ipr recordation import recordations.csv && ipr recordation list --expiring 90")

LIST_COLUMNS = ["recordation_id", "mark", "holder", "status", "valid_until", "hs_scope"]
SEARCH_COLUMNS = ["recordation_id", "mark", "holder", "status"]

# Options shared by add and update: one per SPEC field except the id.
FIELD_HELP = {
    "mark": "The word mark as registered, e.g. 'ZORVEX TOOLS'.",
    "holder": "The rights holder's name.",
    "aliases": "Other forms to watch, ';'-separated (transliterations, abbreviations, known fakes).",
    "hs_scope": "HS code prefixes (2-10 digits) of covered goods, ';'-separated; empty = all goods.",
    "nice_classes": "Nice classes 1-45, ';'-separated.",
    "registration_no": "Registration number and office, e.g. 'KIPO 40-1234567'.",
    "valid_from": "First day in force (YYYY-MM-DD).",
    "valid_until": "Last day in force (YYYY-MM-DD).",
    "status": "active, suspended or expired.",
    "authorized_importers": "Importer ids or exact names bringing in genuine goods, ';'-separated.",
    "authorized_origins": "ISO 3166-1 alpha-2 countries of genuine goods, ';'-separated.",
    "min_unit_value": "Lowest genuine price per unit.",
    "currency": "ISO 4217 currency of min_unit_value.",
    "contact": "The holder's contact point for customs.",
    "notes": "How to tell genuine from fake.",
}


def _opt(name: str):
    return typer.Option(None, "--" + name.replace("_", "-"), help=FIELD_HELP[name])


def _fields(**values: Optional[str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if v is not None}


def _validated(record: dict[str, str], source: str):
    from ..errors import ValidationError
    from ..recordations import parse

    recordation, problems = parse(record)
    if recordation is None:
        raise ValidationError(
            f"{source}: the recordation is not valid; nothing was changed.",
            [f"{field}: {why}" for field, why in problems],
        )
    return recordation


def _say(message: str) -> None:
    # The message carries user data (ids, marks): never read it as Rich markup.
    err_console().print(message, markup=False, highlight=False)


# --mark … --notes: the fields of ``add`` and ``update``, defined once.
_FIELD_OPTIONS = grouped_options("fields", {name: _opt(name) for name in (
    "mark", "holder", "aliases", "hs_scope", "nice_classes", "registration_no", "valid_from", "valid_until",
    "status", "authorized_importers", "authorized_origins", "min_unit_value", "currency", "contact", "notes")})
FIELDS: dict = {}  # (replaced by the options above)


@app.command("add")
@_FIELD_OPTIONS
def add(
    recordation_id: Optional[str] = typer.Argument(None, help="Id given by customs, e.g. KCS-TM-2024-000123."),
    fields: dict = FIELDS,
) -> None:
    """Record one mark.  On a terminal, missing required fields are asked for.

    Example: ipr recordation add KCS-TM-2024-000123 --mark 'ZORVEX' --holder 'Zorvex AG'
    --hs-scope '6403;4202' --valid-until 2030-12-31
    """
    from ..errors import InputError, UsageError

    record = _fields(recordation_id=recordation_id, **fields)
    required = ["recordation_id", "mark", "holder", "valid_until"]
    missing = [name for name in required if not (record.get(name) or "").strip()]
    if missing and stdin_is_terminal():
        _ask(record, missing)
        missing = []
    if missing:
        raise UsageError(
            "Missing required field(s): " + ", ".join(missing) + ".",
            hint="Give them as the argument / options (see `ipr recordation add --help`).",
        )
    rec = _validated(record, "recordation add")
    with open_store(create=True) as store:
        with store.write():
            if store.exists(rec.recordation_id):
                raise InputError(
                    f"Recordation {rec.recordation_id} already exists.",
                    hint="Use `ipr recordation update` to change it.",
                )
            store.save([rec], action="add")
    _say(f"Added {rec.recordation_id} ({rec.mark}).")


# What each asked-for field looks like, shown in the prompt.
PROMPT_HINTS = {
    "recordation_id": "recordation id (e.g. KCS-TM-2024-000123)",
    "mark": "mark (the word mark as registered)",
    "holder": "holder (the rights holder's name)",
    "valid_until": "valid until (YYYY-MM-DD)",
}


def _ask(record: dict[str, str], names: list[str]) -> None:
    """Ask for each missing field on the terminal, with a hint of its form; a bad value is
    explained and asked for again, keeping everything typed so far."""
    from ..recordations import parse

    for name in names:
        while True:
            value = typer.prompt(PROMPT_HINTS.get(name, name.replace("_", " "))).strip()
            _, problems = parse({**record, name: value})
            why = [w for field, w in problems if field == name]
            if value and not why:
                record[name] = value
                break
            err_console().print(f"{name.replace('_', ' ')} {why[0] if why else 'is required'}; try again.",
                                markup=False, highlight=False)
    # Fields given as options are checked once everything is in, as before.


@app.command("import")
def import_(
    file: str = typer.Argument(..., help="CSV, JSON array or JSON Lines file of recordations ('-' = stdin)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and count, but change nothing."),
) -> None:
    """Import recordations from a file: all rows or none.  An id already stored is updated.

    Example: ipr recordation import recordations.csv --dry-run
    """
    from ..display import printable
    from ..readers import read_records
    from ..recordations import parse_all

    from ..errors import NotFoundError
    from ..store import ImportResult

    recordations = parse_all(read_records(file), file)
    if dry_run:
        try:
            store = open_store()
        except NotFoundError:  # nothing stored yet: every row would be added
            result = ImportResult(added=len(recordations))
        else:
            with store:
                result = store.save(recordations, apply=False)
        typer.echo(
            f"Dry run, nothing changed: would add {result.added}, update {result.updated}, "
            f"leave {result.unchanged} unchanged ({len(recordations)} rows in {printable(file)})."
        )
        return
    with open_store(create=True) as store:
        with store.write():
            result = store.save(recordations, action="import")
    typer.echo(
        f"added {result.added}, updated {result.updated}, unchanged {result.unchanged} "
        f"({len(recordations)} rows in {printable(file)})"
    )


def _modify(recordation_id: str, changes: dict[str, str], action: str, note: str = "") -> None:
    with open_store() as store:
        with store.write():
            current = store.get(recordation_id).to_record()
            merged = {**current, **changes}
            rec = _validated(merged, f"recordation {action} {recordation_id}")
            result = store.save([rec], action=action, note=note)
    if result.updated:
        _say(f"{action.capitalize()}: {recordation_id}.")
    else:
        _say(f"Nothing to change in {recordation_id}.")


@app.command("update")
@_FIELD_OPTIONS
def update(
    recordation_id: str = typer.Argument(..., help="The recordation to change."),
    fields: dict = FIELDS,
) -> None:
    """Change fields of a recordation; list fields are replaced, '' clears a field.

    Example: ipr recordation update KCS-TM-2024-000123 --aliases '조르벡스;佐维克' --contact ipr@example.com
    """
    from ..errors import UsageError

    changes = dict(fields)
    if not changes:
        raise UsageError("Nothing to update: give at least one field option.", hint="See `ipr recordation update --help`.")
    _modify(recordation_id, changes, "update")


@app.command("renew")
def renew(
    recordation_id: str = typer.Argument(..., help="The recordation to renew."),
    until: str = typer.Option(..., "--until", help="New last day in force (YYYY-MM-DD)."),
    note: str = typer.Option("", "--note", help="Why, for the audit trail."),
    shorten: bool = typer.Option(False, "--shorten", help="Allow a date earlier than the current validity."),
) -> None:
    """Extend a recordation's validity; an expired one becomes active again.

    A date earlier than the current validity is refused unless --shorten is given.

    Example: ipr recordation renew KCS-TM-2024-000123 --until 2031-12-31
    """
    from ..errors import UsageError

    try:
        new_until = dt.date.fromisoformat(until.strip())
    except ValueError:
        raise UsageError(f"--until {until!r} is not an ISO date (YYYY-MM-DD).") from None
    with open_store() as store:
        current = store.get(recordation_id)
    if new_until < current.valid_until and not shorten:
        raise UsageError(
            f"--until {new_until.isoformat()} is earlier than the current validity of {recordation_id} "
            f"({current.valid_until.isoformat()}); renewing would shorten it.",
            hint="To end the recordation earlier on purpose, add --shorten.",
        )
    changes = {"valid_until": new_until.isoformat()}
    if current.status.value == "expired":
        changes["status"] = "active"
    _modify(recordation_id, changes, "renew", note)


@app.command("suspend")
def suspend(
    recordation_id: str = typer.Argument(..., help="The recordation to suspend."),
    reason: str = typer.Option(..., "--reason", help="Why it is suspended (kept in the audit trail)."),
) -> None:
    """Stop screening against a recordation until it is reinstated.

    Example: ipr recordation suspend KCS-TM-2024-000123 --reason 'holder did not lodge security'
    """
    _modify(recordation_id, {"status": "suspended"}, "suspend", reason)


@app.command("reinstate")
def reinstate(
    recordation_id: str = typer.Argument(..., help="The recordation to reinstate."),
    note: str = typer.Option("", "--note", help="Why, for the audit trail."),
) -> None:
    """Make a suspended recordation active again.

    Example: ipr recordation reinstate KCS-TM-2024-000123 --note 'security lodged'
    """
    _modify(recordation_id, {"status": "active"}, "reinstate", note)


@app.command("remove")
def remove(
    recordation_id: str = typer.Argument(..., help="The recordation to delete."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    note: str = typer.Option("", "--note", help="Why, for the audit trail."),
) -> None:
    """Delete a recordation (its last state stays in the audit trail).

    Example: ipr recordation remove KCS-TM-2024-000123 --yes --note 'withdrawn by holder'
    """
    if not yes:
        if not stdin_is_terminal():
            from ..errors import UsageError

            raise UsageError(
                f"Not removing {recordation_id}: there is no terminal to confirm on; nothing was changed.",
                hint="Add --yes to remove it without asking (scripts, pipes).",
            )
        typer.confirm(f"Remove recordation {recordation_id}?", abort=True)
    with open_store() as store:
        with store.write():
            store.remove(recordation_id, note)
    _say(f"Removed {recordation_id}.")


@app.command("list")
@output_options(LIST_FORMATS)
def list_(
    holder: Optional[str] = typer.Option(None, "--holder", help="Only holders whose name contains this."),
    status: Optional[str] = typer.Option(
        None, "--status", help="active, suspended or expired (past valid_until counts as expired)."),
    expiring: Optional[int] = typer.Option(None, "--expiring", metavar="DAYS", help="Only those ending within DAYS days."),
    hs: Optional[str] = typer.Option(None, "--hs", metavar="CODE", help="Only those covering this HS code."),
    fmt: str = FORMAT,
) -> None:
    """List recordations, with filters.

    Example: ipr recordation list --expiring 90 --format csv > expiring.csv
    """
    from ..writers import write_rows

    if status is not None:
        from ..errors import UsageError
        from ..models import Status

        allowed = [s.value for s in Status]
        if status.strip().lower() not in allowed:
            raise UsageError(f"--status takes {', '.join(allowed[:-1])} or {allowed[-1]}, not {status!r}.")
        status = status.strip()
    with open_store() as store:
        recs = store.recordations()
    today = dt.date.today()
    out = []
    for rec in recs:
        if holder and holder.casefold() not in rec.holder.casefold():
            continue
        if status and rec.status_on(today) != status.strip().lower():
            continue
        if expiring is not None and not (today <= rec.valid_until <= today + dt.timedelta(days=expiring)):
            continue
        if hs and not rec.covers_hs(hs):
            continue
        out.append(_listing(rec, fmt, today))
    write_rows(out, fmt, sys.stdout, columns=LIST_COLUMNS if fmt == "table" else list(out[0]) if out else LIST_COLUMNS, title="Recordations")


def _listing(rec, fmt: str, today: dt.date | None = None) -> dict:
    record = rec.to_record()
    # The status people see is judged on the dates: past valid_until is expired.
    record["status"] = rec.status_on(today or dt.date.today())
    if fmt in ("json", "jsonl"):
        from ..models import LIST_FIELDS

        return {k: (v.split(";") if v else []) if k in LIST_FIELDS else v for k, v in record.items()}
    if fmt == "table":  # let long lists wrap between items
        from ..models import LIST_FIELDS

        return {k: v.replace(";", "; ") if k in LIST_FIELDS else v for k, v in record.items()}
    return record


@app.command("show")
@output_options(("table", "json"))
def show(
    recordation_id: str = typer.Argument(..., help="The recordation to show."),
    fmt: str = FORMAT,
) -> None:
    """Show every field of one recordation.

    Example: ipr recordation show KCS-TM-2024-000123 --format json
    """
    from ..writers import write_record

    with open_store() as store:
        rec = store.get(recordation_id)
    write_record(_listing(rec, fmt), fmt, sys.stdout, title=f"Recordation {rec.recordation_id}")


@app.command("search")
@output_options(LIST_FORMATS)
def search(
    text: str = typer.Argument(..., help="A mark, alias or holder name, even half-remembered."),
    limit: int = typer.Option(10, "--limit", "-n", help="How many results at most."),
    fmt: str = FORMAT,
) -> None:
    """Find recordations by a fuzzy look-up over marks, aliases and holders, best first.

    Example: ipr recordation search 'luis vuiton'
    """
    from ..search import search_recordations
    from ..writers import write_rows

    with open_store() as store:
        recs = store.recordations()
    rows = [
        {"score": score, "matched": matched, **{k: _listing(rec, "csv")[k] for k in SEARCH_COLUMNS}}
        for rec, score, matched in search_recordations(recs, text, limit=limit)
    ]
    write_rows(rows, fmt, sys.stdout, columns=["score", "matched", *SEARCH_COLUMNS], title=f"Recordations like {text!r}")


@app.command("export")
@output_options(("csv", "json"), output=True, output_help="Write here instead of stdout.")
def export(
    fmt: str = FORMAT,
    output: Optional[str] = OUTPUT,
    bom: Optional[bool] = typer.Option(None, "--bom/--no-bom", help=BOM_HELP),
) -> None:
    """Write every recordation in the import format; the file imports back unchanged.

    Example: ipr recordation export --format csv --output recordations-backup.csv
    """
    import csv
    import json

    from ..models import LIST_FIELDS, RECORDATION_FIELDS
    from ..writers import atomic_output, neutralise_cell

    with open_store() as store:
        recs = store.recordations()
    with atomic_output(output) as out:
        if fmt == "csv":
            write_bom(out, fmt, bom, output)
            writer = csv.writer(out)
            writer.writerow(RECORDATION_FIELDS)
            for rec in recs:
                record = rec.to_record()
                writer.writerow([neutralise_cell(record[k]) for k in RECORDATION_FIELDS])
        else:
            items = []
            for rec in recs:
                record = rec.to_record()
                items.append({k: (v.split(";") if v else []) if k in LIST_FIELDS else v for k, v in record.items()})
            json.dump(items, out, ensure_ascii=False, indent=2)
            out.write("\n")
