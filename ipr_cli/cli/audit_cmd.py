"""``ipr audit``: the trail of every change and decision."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from ..outputs import LIST_FORMATS
from .common import open_store
from .options import FORMAT, output_options


@output_options(LIST_FORMATS)
def audit(
    recordation: Optional[str] = typer.Option(None, "--recordation", "-r", help="Only this recordation."),
    hit: Optional[str] = typer.Option(None, "--hit", help="Only decisions on this hit."),
    fmt: str = FORMAT,
) -> None:
    """Show who changed what and when: recordation changes and decisions on hits.

    Example: ipr audit --recordation KCS-TM-2024-000123
    """
    from ..writers import write_rows

    with open_store() as store:
        if hit:
            rows = store.audit_rows("hit", hit)
        elif recordation:
            rows = store.audit_rows("recordation", recordation)
        else:
            rows = store.audit_rows()
    for row in rows:  # stored as JSON text: objects in JSON output, read as such below
        for key in ("before", "after"):
            row[key] = json.loads(row[key]) if row.get(key) else None
    if fmt == "table":
        # Four columns, so that the change itself gets the room: when/who, what, change, note.
        table = [{"when": [(row["at"] or "")[:16].replace("T", " "), row["user"] or ""],
                  "what": [row["action"] or "", f"{row['entity']} {row['entity_id']}"],
                  "change": change_text(row), "note": row["note"] or ""} for row in rows]
        columns = ["when", "what", "change", "note"]
        write_rows(table, fmt, sys.stdout, columns=columns, title="Audit trail")
        return
    if fmt == "csv":  # one cell each: the JSON text
        for row in rows:
            for key in ("before", "after"):
                row[key] = "" if row[key] is None else json.dumps(row[key], ensure_ascii=False)
    columns = ["at", "user", "action", "entity", "entity_id", "before", "after", "note"]
    write_rows(rows, fmt, sys.stdout, columns=columns, title="Audit trail")


def change_text(row: dict) -> list[str]:
    """What changed, one field a line: ``field: before → after`` (only the new state for
    an addition, only the old one for a removal)."""
    before, after = row.get("before") or {}, row.get("after") or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [f"{before} → {after}"]
    lines = []
    for key in list(dict.fromkeys([*before, *after])):
        old, new = _value(before.get(key)), _value(after.get(key))
        if key in before and key in after:
            if old != new:
                lines.append(f"{key}: {old or '(empty)'} → {new or '(empty)'}")
        elif key in after:
            if new:
                lines.append(f"{key}: {new}")
        elif old:
            lines.append(f"{key}: {old} (removed)")
    return lines


def _value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
