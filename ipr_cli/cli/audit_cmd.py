"""``ipr audit``: the trail of every change and decision."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from .common import check_format, open_store


def audit(
    recordation: Optional[str] = typer.Option(None, "--recordation", "-r", help="Only this recordation."),
    hit: Optional[str] = typer.Option(None, "--hit", help="Only decisions on this hit."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json, jsonl or csv."),
) -> None:
    """Show who changed what and when: recordation changes and decisions on hits.

    Example: ipr audit --recordation KCS-TM-2024-000123
    """
    from ..writers import LIST_FORMATS, write_rows

    fmt = check_format(fmt, LIST_FORMATS)
    with open_store() as store:
        if hit:
            rows = store.audit_rows("hit", hit)
        elif recordation:
            rows = store.audit_rows("recordation", recordation)
        else:
            rows = store.audit_rows()
    columns = ["at", "user", "action", "entity", "entity_id", "before", "after", "note"]
    write_rows(rows, fmt, sys.stdout, columns=columns, title="Audit trail")
