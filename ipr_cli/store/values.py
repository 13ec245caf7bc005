"""Stored values: what a stored recordation must hold, and rows as stored."""

from __future__ import annotations

import datetime as dt
import json

from ..models import LIST_FIELDS, DeclarationLine, Recordation, SUPPLY_CHAIN_FIELDS


def stored_value_problem(row: dict) -> tuple[str, str] | None:
    """The first field of a stored recordation outside the contract, and why; None if sound."""
    for check in _STORED_CHECKS:
        problem = check(row)
        if problem is not None:
            return problem
    return None


def _texts_problem(row: dict) -> tuple[str, str] | None:
    for name in ("recordation_id", "mark", "holder"):
        if not isinstance(row.get(name), str) or not row[name]:
            return name, f"{row.get(name)!r} is not a non-empty text"
    return None


def _dates_problem(row: dict) -> tuple[str, str] | None:
    for name in ("valid_from", "valid_until"):
        value = row.get(name)
        if name == "valid_from" and value in (None, ""):
            continue
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            return name, f"{value!r} is not a date (YYYY-MM-DD)"
    return None


def _status_problem(row: dict) -> tuple[str, str] | None:
    from ..models import Status

    status = row.get("status")
    if status not in (None, "") and status not in {s.value for s in Status}:
        return "status", f"{status!r} is not active, suspended or expired"
    return None


def _nice_classes_problem(row: dict) -> tuple[str, str] | None:
    nice = str(row.get("nice_classes") or "")
    try:  # a JSON array (lists are stored so), or ;-separated text in a store not yet migrated
        parts = [str(p).strip() for p in json.loads(nice)] if nice.startswith("[") else nice.split(";")
    except (ValueError, TypeError):
        parts = [nice]
    for part in parts:
        if part and not (part.isascii() and part.isdigit()):
            return "nice_classes", f"{nice!r} is not a list of class numbers"
    return None


def _min_unit_value_problem(row: dict) -> tuple[str, str] | None:
    from decimal import Decimal, InvalidOperation

    floor = row.get("min_unit_value")
    if floor not in (None, ""):
        try:
            if not Decimal(str(floor)).is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            return "min_unit_value", f"{floor!r} is not a number"
    return None


# In the order of the fields: the first problem found is the one reported.
_STORED_CHECKS = (_texts_problem, _dates_problem, _status_problem, _nice_classes_problem, _min_unit_value_problem)


def to_store_row(rec: Recordation) -> dict:
    """A recordation as stored: lists as JSON arrays, ``min_unit_value`` a number."""
    out: dict = rec.to_record()
    for name in LIST_FIELDS:
        out[name] = json.dumps(list(getattr(rec, name)), ensure_ascii=False)
    out["min_unit_value"] = float(rec.min_unit_value) if rec.min_unit_value is not None else None
    return out


def line_record(line: DeclarationLine) -> dict:
    """A declaration line as plain JSON-able values."""
    out: dict = {}
    for name in ("declaration_id", "item_no", "date", "importer", "origin", "hs_code", "description",
                 "brand", "quantity", "value", "currency", *SUPPLY_CHAIN_FIELDS):
        value = getattr(line, name)
        out[name] = "" if value is None else (value.isoformat() if isinstance(value, dt.date) else str(value))
    return out
