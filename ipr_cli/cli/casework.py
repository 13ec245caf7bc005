"""The officer's casework: ``runs``, ``hits``, ``decide``, ``allow`` and ``deny`` (``report``,
``stats`` and ``recordation lint`` are in ``reports_cmd``).  Thin: parse options, call
``ipr_cli.casework``, write."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Optional

import typer

from ..outputs import LIST_FORMATS
from .common import BOM_HELP, err_console, new_app, open_store, write_bom
from .options import FORMAT, OUTPUT, output_options

runs_app = new_app("Screening runs recorded by `ipr check`: what was screened, when, and what it found.",
                   epilog="Example: ipr runs list --limit 5 && ipr runs show latest")
hits_app = new_app("Flagged lines saved by `ipr check`: list, show one, export for a rights holder.",
                   epilog="Example: ipr hits list --status open && ipr hits show 17")
allow_app = new_app("Known genuine channels: lines of these importers (and origins) are not flagged.",
                    epilog="Example: ipr allow add --recordation KCS-TM-2021-000101 --importer KR7006006 "
                    "--reason 'licensee'")
deny_app = new_app("Known infringers: lines of these importers weigh more, with the reason named.",
                   epilog="Example: ipr deny add --importer KR7001001 --reason 'seizure 2025-118'")


def _say(message: str) -> None:
    err_console().print(message, markup=False, highlight=False)


# -- runs --------------------------------------------------------------------------------

RUN_COLUMNS = ["run_id", "started_at", "user", "as_of", "files", "lines_read", "lines_flagged", "hits", "reviews",
               "suppressed", "open"]
# Table headings (short, so that a terminal shows a run on one line) for the stored fields.
RUN_TABLE = {"run": "run_id", "started": "started_at", "files": "files", "lines": "lines_read",
             "flagged": "lines_flagged", "hit": "hits", "review": "reviews", "open": "open"}


def _short_time(stamp: str) -> str:
    """``2026-11-27T20:30:09+00:00`` as ``2026-11-27 20:30`` (UTC, as stored)."""
    return (stamp or "")[:16].replace("T", " ")


def _basename(path: str) -> str:
    import os

    return os.path.basename(path) or path


def _run_table_row(run: dict) -> dict:
    row = {label: run.get(key) for label, key in RUN_TABLE.items()}
    row["started"] = _short_time(run.get("started_at") or "")
    row["files"] = ", ".join(_basename(f["path"]) for f in run["files"])
    return row


@runs_app.command("list")
@output_options(LIST_FORMATS)
def runs_list(
    limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, help="Only the newest N runs."),
    fmt: str = FORMAT,
) -> None:
    """List screening runs, newest first, with their counts and open hits.

    Example: ipr runs list --limit 10
    """
    from ..casework import list_runs
    from ..writers import write_rows

    with open_store() as store:
        runs = list_runs(store, limit=limit)
    if fmt == "table":
        runs = [_run_table_row(r) for r in runs]
        columns = list(RUN_TABLE)
    else:
        if fmt == "csv":
            for r in runs:
                r["files"] = ", ".join(f["path"] for f in r["files"])
        columns = list(runs[0]) if runs else RUN_COLUMNS
    write_rows(runs, fmt, sys.stdout, columns=columns, title="Runs")


@runs_app.command("show")
@output_options(("table", "json"))
def runs_show(
    run: str = typer.Argument(..., help="Run id (a unique prefix will do, or 'latest')."),
    fmt: str = FORMAT,
) -> None:
    """Show one run: input files with SHA-256 and line counts, options, revision, counts, duration.

    Example: ipr runs show latest --format json
    """
    from ..casework import get_run
    from ..writers import write_record

    with open_store() as store:
        info = get_run(store, run)
    if fmt == "table":
        info = dict(info)
        info["files"] = "\n".join(f"{f['path']}  {f.get('lines', 0)} lines  sha256 {f.get('sha256') or '-'}"
                                  for f in info["files"])
        info["options"] = ", ".join(f"{k}={v}" for k, v in info["options"].items() if v not in (None, "", False))
        info["status_counts"] = ", ".join(f"{k} {v}" for k, v in info["status_counts"].items())
        info["duration_s"] = f"{info.get('duration_s') or 0:.3f}"
    write_record(info, fmt, sys.stdout, title=f"Run {info['run_id']}")


# -- hits --------------------------------------------------------------------------------

# Table columns of `hits list`.  Two values share a cell where that keeps a row within
# 80 columns without cutting a word: the mark and the matched text, score and verdict,
# the status and a hold's deadline.
HIT_TABLE = ["hit", "line", "mark / matched", "score", "status", "seen in"]


def _hit_table_row(h: dict) -> dict:
    runs = h["runs_seen"]
    return {
        "hit": h["hit_id"],
        "line": f"{_basename(h['file'])}:{h['row']}",
        "mark / matched": f"{h['mark']} / {h['matched_text']}" if h["matched_text"] != h["mark"] else h["mark"],
        "score": f"{h['score']} {h['verdict']}",
        "status": [h["status"], f"due {h['deadline']}"] if h["deadline"] else h["status"],
        "seen in": f"{runs} run" + ("" if runs == 1 else "s"),
    }


def _filter(run, status, holder, recordation, verdict, since, until):
    from ..casework import HitFilter, parse_date

    return HitFilter(run=run, status=status, holder=holder, recordation=recordation, verdict=verdict,
                     since=parse_date(since, "--since"), until=parse_date(until, "--until"))


@hits_app.command("list")
@output_options(LIST_FORMATS)
def hits_list(
    run: Optional[str] = typer.Option(None, "--run", help="Only this run (id, prefix or 'latest')."),
    status: Optional[str] = typer.Option(None, "--status", help="open, hold, release, false-positive or decided."),
    holder: Optional[str] = typer.Option(None, "--holder", help="Only holders whose name contains this."),
    recordation: Optional[str] = typer.Option(None, "--recordation", "-r", help="Only this recordation id."),
    verdict: Optional[str] = typer.Option(None, "--verdict", help="hit or review."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Lines dated on or after DATE."),
    until: Optional[str] = typer.Option(None, "--until", metavar="DATE", help="Lines dated on or before DATE."),
    fmt: str = FORMAT,
) -> None:
    """List saved hits, with filters; JSON items are the SPEC's hit objects plus hit_id and status.

    Example: ipr hits list --status open --verdict hit --since 2026-11-01
    """
    from ..casework import HIT_FIELDS, hit_rows
    from ..writers import write_rows

    flt = _filter(run, status, holder, recordation, verdict, since, until)
    with open_store() as store:
        rows = hit_rows(store, flt)
        if fmt == "table":
            rows = [_hit_table_row(h) for h in rows]
            columns = HIT_TABLE
        else:
            columns = list(HIT_FIELDS)
        write_rows(rows, fmt, sys.stdout, columns=columns, title="Hits")


@hits_app.command("show")
@output_options(("table", "json"))
def hits_show(
    hit: str = typer.Argument(..., help="The hit id (see `ipr hits list`)."),
    fmt: str = FORMAT,
) -> None:
    """Everything about one hit on one screen: the line, the match, reasons, holder, decision, deadline.

    Example: ipr hits show 17
    """
    import json

    from ..casework import get_hit

    with open_store() as store:
        info = get_hit(store, hit)
    if fmt == "json":
        sys.stdout.write(json.dumps(info, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    _print_hit(info)


def _print_hit(info: dict) -> None:
    """One hit on one screen: the line, the match, the rights holder, the decision."""
    from ..writers import TerminalConsole

    plain = not sys.stdout.isatty()
    console = TerminalConsole(file=sys.stdout, markup=False, highlight=False, emoji=False,
                              width=None if not plain else _width())
    for table in (_line_table(info, plain), _match_table(info), _holder_table(info), _decision_table(info)):
        console.print(table)


def _kv(title: str):
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title, style="bold"), title_justify="left", box=box.SIMPLE, show_header=False,
                  pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    return table


def _line_table(info: dict, plain: bool):
    from rich.text import Text

    from ..models import DECLARATION_FIELDS
    from ..writers.report import text as clean

    line = info["line"]
    head = _kv(f"Hit {info['hit_id']} · {info['verdict']} {info['score']} · {info['status']}")
    head.add_row("Run", Text(clean(info["run_id"])))
    head.add_row("Line", Text(clean(f"{info['file']} row {info['row']}")))
    for name in DECLARATION_FIELDS:
        value = line.get(name) if name != "date" else info.get("date")
        if value and name != "description":
            head.add_row(name.replace("_", " "), Text(clean(value)))
    field = info.get("field") or "description"
    head.add_row("description", _marked(line.get("description") or "", info, field == "description", plain))
    if field != "description" and line.get(field):
        head.add_row(field, _marked(line.get(field) or "", info, True, plain))
    return head


def _match_table(info: dict):
    from rich.text import Text

    from ..writers.report import text as clean

    match = _kv("Match")
    match.add_row("Mark", Text(clean(f"{info['mark']} ({info['recordation_id']})")))
    match.add_row("Matched", Text(clean(info["matched_text"])))
    match.add_row("Reasons", Text("\n".join("• " + clean(r) for r in info["reasons"]) or "-"))
    return match


def _holder_table(info: dict):
    from rich.text import Text

    from ..writers.report import text as clean

    rec = info.get("recordation")
    holder = _kv("Rights holder")
    holder.add_row("Holder", Text(clean(info["holder"])))
    if rec is None:
        holder.add_row("Recordation", Text("no longer in the store"))
        return holder
    holder.add_row("Contact", Text(clean(rec.get("contact")) or "- (none recorded)"))
    holder.add_row("Genuine vs fake", Text(clean(rec.get("notes")) or "-"))
    holder.add_row("Registration", Text(clean(rec.get("registration_no")) or "-"))
    holder.add_row("Authorized", Text(clean(
        f"importers {rec.get('authorized_importers') or '-'}; origins {rec.get('authorized_origins') or 'any'}")))
    return holder


def _decision_table(info: dict):
    from rich.text import Text

    from ..writers.report import text as clean

    decision = _kv("Decision")
    decision.add_row("Status", Text(clean(info["status"])))
    if info.get("deadline"):
        due = dt.date.fromisoformat(info["deadline"])
        left = (due - dt.date.today()).days
        when = f"{left} days left" if left >= 0 else f"passed {-left} days ago"
        decision.add_row("Deadline", Text(clean(
            f"{info['deadline']} ({when}; {info.get('jurisdiction')}"
            + (", perishable" if info.get("perishable") else "") + ")"), style="bold"))
    for d in info["decisions"]:
        decision.add_row(clean(_short_time(d["at"])), Text(clean(f"{d['decision']} by {d['user']}: {d['note']}")))
    if info.get("allow_entries"):
        decision.add_row("Allow entries", Text(", ".join(str(a) for a in info["allow_entries"])))
    if info["status"] == "open":
        decision.add_row("Next", Text(f"ipr decide {info['hit_id']} hold|release|false-positive --note TEXT"))
    return decision


def _width() -> int:
    import os

    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) >= 40 else 100


def _marked(value: str, info: dict, here: bool, plain: bool):
    """``value`` whole, the matched text highlighted when ``here`` (bracketed with »«
    when not on a terminal)."""
    from ..writers._rich import highlighted

    if not here:
        return highlighted(value, "", None, plain=plain, limit=None, keep_newlines=True)
    return highlighted(value, str(info.get("matched_text") or ""), info.get("span"), plain=plain, limit=None,
                       keep_newlines=True)


@hits_app.command("export")
@output_options(("csv", "json"), output=True)
def hits_export(
    holder: str = typer.Option(..., "--holder", help="The rights holder (full name, or a part naming only one)."),
    status: str = typer.Option("hold", "--status", help="Which hits: hold (default), open, release, false-positive, decided or all."),
    run: Optional[str] = typer.Option(None, "--run", help="Only this run."),
    redact_importer: bool = typer.Option(False, "--redact-importer", help="Withhold the importer (jurisdictions that disclose it only later)."),
    fmt: str = FORMAT,
    output: Optional[str] = OUTPUT,
    bom: Optional[bool] = typer.Option(None, "--bom/--no-bom", help=BOM_HELP),
) -> None:
    """Write the notification data for one rights holder: the goods held against their marks.

    Example: ipr hits export --holder 'Zorvex Industrial AG' --redact-importer --output zorvex.csv
    """
    import json

    from ..casework import EXPORT_FIELDS, export_for_holder
    from ..writers import atomic_output, write_rows

    with open_store() as store:
        name, rows = export_for_holder(store, holder, status=status, run=run, redact_importer=redact_importer)
    with atomic_output(output) as out:
        if fmt == "json":
            json.dump({"schema_version": 1, "holder": name, "redacted_importer": redact_importer, "hits": rows},
                      out, ensure_ascii=False, indent=2, default=str)
            out.write("\n")
        else:
            write_bom(out, fmt, bom, output)
            write_rows(rows, "csv", out, columns=list(EXPORT_FIELDS))
    _say(f"{len(rows)} hit(s) for {name}" + (f" written to {output}." if output not in (None, "-") else "."))


# -- decide ------------------------------------------------------------------------------


def decide(
    hit: str = typer.Argument(..., help="The hit id (see `ipr hits list`)."),
    decision: str = typer.Argument(..., help="hold, release or false-positive."),
    note: str = typer.Option(..., "--note", "-m", help="Why (required; a changed decision needs a new note)."),
    allow: bool = typer.Option(False, "--allow", help="With false-positive: allow this importer (and origin) for this recordation from now on."),
    allow_until: Optional[str] = typer.Option(None, "--allow-until", metavar="DATE", help="With --allow: the entry lapses after DATE."),
    perishable: bool = typer.Option(False, "--perishable", help="Perishable goods: the shorter deadline of the jurisdiction."),
    jurisdiction: Optional[str] = typer.Option(None, "--jurisdiction", "-j", help="Deadline profile: EU, US, KR or CN (default: $IPR_JURISDICTION, else EU)."),
) -> None:
    """Decide on a hit: hold for inspection, release, or false-positive; kept in the audit trail.

    A hold computes the rights holder's response deadline in working days (weekends,
    national holidays and the dates in $IPR_HOLIDAYS skipped).

    Example: ipr decide 17 false-positive --note 'authorized distributor, invoice checked' --allow
    """
    from ..casework import decide as do_decide
    from ..casework import parse_date

    until = parse_date(allow_until, "--allow-until")
    if until and not allow:
        from ..errors import UsageError

        raise UsageError("--allow-until goes with --allow.")
    with open_store() as store:
        result = do_decide(store, hit, decision, note, allow=allow, allow_until=until, perishable=perishable,
                           jurisdiction=jurisdiction)
    if not result.changed:
        _say(f"Hit {result.hit_id} is already {result.decision} with this note; nothing changed.")
        return
    verb = "Decided" if result.previous == "open" else f"Changed from {result.previous}:"
    _say(f"{verb} hit {result.hit_id} {result.decision}.")
    if result.deadline is not None:
        _say(f"Rights holder's deadline: {result.deadline.describe()}.")
    if result.allow_id is not None and result.allow_existed:
        _say(f"Allow entry {result.allow_id} already covers this importer for this recordation.")
    elif result.allow_id is not None:
        _say(f"Allow entry {result.allow_id} added: this importer's lines are no longer flagged for this recordation.")


# -- allow / deny ------------------------------------------------------------------------


@allow_app.command("add")
def allow_add(
    recordation: str = typer.Option(..., "--recordation", "-r", help="The recordation the channel is genuine for."),
    importer: str = typer.Option(..., "--importer", help="Importer id or exact name, as in the declarations."),
    origin: Optional[str] = typer.Option(None, "--origin", help="Only goods of this origin (ISO alpha-2)."),
    until: Optional[str] = typer.Option(None, "--until", metavar="DATE", help="The entry lapses after DATE."),
    reason: str = typer.Option(..., "--reason", help="Why this channel is genuine (kept in the audit trail)."),
) -> None:
    """Stop flagging this importer's lines (of this origin) for one recordation.

    Example: ipr allow add --recordation KCS-TM-2021-000101 --importer KR7006006 --origin VN --reason 'licensee, contract seen'
    """
    from ..casework import add_allow, parse_date

    until_date = parse_date(until, "--until")
    with open_store() as store:
        entry = add_allow(store, recordation, importer, origin=origin or "", until=until_date, reason=reason)
    _say(f"Allow entry {entry} added.")


@allow_app.command("list")
@output_options(LIST_FORMATS)
def allow_list(fmt: str = FORMAT) -> None:
    """List allow-list entries ('active' is false once an entry's date has passed).

    Example: ipr allow list --format csv
    """
    from ..casework import list_allow
    from ..writers import write_rows

    with open_store() as store:
        rows = list_allow(store)
    columns = ["id", "recordation_id", "importer", "origin", "until", "active", "reason", "user", "created_at",
               "from_hit"]
    write_rows(rows, fmt, sys.stdout, columns=columns, title="Allow list")


@allow_app.command("remove")
def allow_remove(
    entry: str = typer.Argument(..., help="The entry id (see `ipr allow list`)."),
    note: str = typer.Option("", "--note", help="Why, for the audit trail."),
) -> None:
    """Remove an allow-list entry; its lines are flagged again from the next check.

    Example: ipr allow remove 3 --note 'licence ended'
    """
    from ..casework import remove_allow

    with open_store() as store:
        remove_allow(store, entry, note)
    _say(f"Allow entry {entry} removed.")


@deny_app.command("add")
def deny_add(
    importer: str = typer.Option(..., "--importer", help="Importer id or exact name, as in the declarations."),
    recordation: Optional[str] = typer.Option(None, "--recordation", "-r", help="Only for this recordation (default: all)."),
    reason: str = typer.Option(..., "--reason", help="Why (shown as a reason on every flag it raises)."),
) -> None:
    """Make this importer's lines weigh more, naming the reason on each flag.

    Example: ipr deny add --importer KR7001001 --reason 'seizure 2025-118, counterfeit ZORVEX drills'
    """
    from ..casework import add_deny

    with open_store() as store:
        entry = add_deny(store, importer, recordation_id=recordation or "", reason=reason)
    _say(f"Deny entry {entry} added.")


@deny_app.command("list")
@output_options(LIST_FORMATS)
def deny_list(fmt: str = FORMAT) -> None:
    """List deny-list entries.

    Example: ipr deny list --format json
    """
    from ..casework import list_deny
    from ..writers import write_rows

    with open_store() as store:
        rows = list_deny(store)
    write_rows(rows, fmt, sys.stdout, columns=["id", "importer", "recordation_id", "reason", "user", "created_at"],
               title="Deny list")


@deny_app.command("remove")
def deny_remove(
    entry: str = typer.Argument(..., help="The entry id (see `ipr deny list`)."),
    note: str = typer.Option("", "--note", help="Why, for the audit trail."),
) -> None:
    """Remove a deny-list entry.

    Example: ipr deny remove 2 --note 'importer cleared by court'
    """
    from ..casework import remove_deny

    with open_store() as store:
        remove_deny(store, entry, note)
    _say(f"Deny entry {entry} removed.")
