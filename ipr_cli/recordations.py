"""Turn raw recordation records (strings from a file or the command line) into
validated :class:`~ipr_cli.models.Recordation` objects, naming every problem."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from . import hs
from .errors import ValidationError
from .models import ALIASES_MAX, LIST_FIELDS, MARK_MAX_CHARS, MONEY_MAX, RECORDATION_FIELDS, Recordation, Status

REQUIRED = ("recordation_id", "mark", "holder", "valid_until")
FREE_TEXT = frozenset({"notes", "contact"})
MAX_PROBLEMS = 50


def split_list(value: str) -> list[str]:
    """Split a ``;``-separated list, dropping blanks."""
    return [part.strip() for part in value.split(";") if part.strip()]


def _country(code: str) -> bool:
    import pycountry

    return len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None


def _currency(code: str) -> bool:
    import pycountry

    return len(code) == 3 and pycountry.currencies.get(alpha_3=code) is not None


def _date(value: str) -> dt.date:
    if len(value) != 10:
        raise ValueError
    return dt.date.fromisoformat(value)


def parse(record: Mapping[str, str]) -> tuple[Recordation | None, list[tuple[str, str]]]:
    """Validate one raw record; return the recordation or ``None`` and ``(field, why)`` problems."""
    problems: list[tuple[str, str]] = []
    # Free text is kept exactly as given (so exports round-trip); everything else is trimmed.
    raw = {k: (record.get(k) or "") if k in FREE_TEXT else (record.get(k) or "").strip() for k in RECORDATION_FIELDS}
    _check_columns(record, raw, problems)
    aliases = _aliases(raw, problems)
    hs_scope = _hs_scope(raw, problems)
    nice = _nice_classes(raw, problems)
    dates = _dates(raw, problems)
    status = _status(raw, problems)
    origins = _origins(raw, problems)
    min_value = _min_unit_value(raw, problems)
    currency = _currency_field(raw, min_value, problems)

    if problems:
        return None, problems
    return (
        Recordation(
            recordation_id=raw["recordation_id"],
            mark=raw["mark"],
            holder=raw["holder"],
            valid_until=dates["valid_until"],  # type: ignore[arg-type]
            aliases=tuple(aliases),
            hs_scope=tuple(hs_scope),
            nice_classes=tuple(nice),
            registration_no=raw["registration_no"],
            valid_from=dates["valid_from"],
            status=status,
            authorized_importers=tuple(split_list(raw["authorized_importers"])),
            authorized_origins=tuple(origins),
            min_unit_value=min_value,
            currency=currency,
            contact=raw["contact"],
            notes=raw["notes"],
        ),
        [],
    )



# Each check below appends its problems (in the order a user reads the fields) and
# returns the field's parsed value.

def _check_columns(record: Mapping[str, str], raw: dict[str, str], problems: list[tuple[str, str]]) -> None:
    for key in record:
        if key not in RECORDATION_FIELDS and (record.get(key) or "").strip():
            problems.append((key, "unknown column"))
    for name in REQUIRED:
        if not raw[name]:
            problems.append((name, "is required and empty"))


def _aliases(raw: dict[str, str], problems: list[tuple[str, str]]) -> list[str]:
    if len(raw["mark"]) > MARK_MAX_CHARS:
        problems.append(("mark", f"is {len(raw['mark']):,} characters long; the limit is {MARK_MAX_CHARS}"))
    aliases = split_list(raw["aliases"])
    if len(aliases) > ALIASES_MAX:
        problems.append(("aliases", f"{len(aliases):,} aliases; the limit is {ALIASES_MAX} per recordation"))
    for alias in aliases:
        if len(alias) > MARK_MAX_CHARS:
            problems.append(("aliases", f"{alias[:20]!r}… is {len(alias):,} characters long; "
                                        f"the limit is {MARK_MAX_CHARS}"))
            break
    return aliases


def _hs_scope(raw: dict[str, str], problems: list[tuple[str, str]]) -> list[str]:
    hs_scope = split_list(raw["hs_scope"])
    for prefix in hs_scope:
        if not (prefix.isascii() and prefix.isdigit()) or not 2 <= len(prefix) <= 10:
            problems.append(("hs_scope", f"{prefix!r} is not an HS prefix of 2 to 10 digits"))
        elif (part := hs.unknown_part(prefix)) is not None:
            problems.append(("hs_scope", f"{prefix!r}: {part} is not an HS 2022 code"))
    return hs_scope


def _nice_classes(raw: dict[str, str], problems: list[tuple[str, str]]) -> list[int]:
    nice: list[int] = []
    for item in split_list(raw["nice_classes"]):
        if not (item.isascii() and item.isdigit()) or not 1 <= int(item) <= 45:
            problems.append(("nice_classes", f"{item!r} is not a Nice class 1-45"))
        else:
            nice.append(int(item))
    return nice


def _dates(raw: dict[str, str], problems: list[tuple[str, str]]) -> dict[str, dt.date | None]:
    dates: dict[str, dt.date | None] = {}
    for name in ("valid_from", "valid_until"):
        dates[name] = None
        if raw[name]:
            try:
                dates[name] = _date(raw[name])
            except ValueError:
                problems.append((name, f"{raw[name]!r} is not an ISO date (YYYY-MM-DD)"))
    if dates["valid_from"] and dates["valid_until"] and dates["valid_until"] < dates["valid_from"]:
        problems.append(("valid_until", f"{raw['valid_until']} is before valid_from {raw['valid_from']}"))
    return dates


def _status(raw: dict[str, str], problems: list[tuple[str, str]]) -> Status:
    if raw["status"]:
        try:
            return Status(raw["status"].lower())
        except ValueError:
            problems.append(("status", f"{raw['status']!r} is not active, suspended or expired"))
    return Status.ACTIVE


def _origins(raw: dict[str, str], problems: list[tuple[str, str]]) -> list[str]:
    origins = [c.upper() for c in split_list(raw["authorized_origins"])]
    for code in origins:
        if not _country(code):
            problems.append(("authorized_origins", f"{code!r} is not an ISO 3166-1 alpha-2 country"))
    return origins


def _min_unit_value(raw: dict[str, str], problems: list[tuple[str, str]]) -> Decimal | None:
    if not raw["min_unit_value"]:
        return None
    try:
        min_value = Decimal(raw["min_unit_value"])
        if not min_value.is_finite() or min_value < 0:
            raise InvalidOperation
    except InvalidOperation:
        problems.append(("min_unit_value", f"{raw['min_unit_value'][:40]!r} is not a non-negative number"))
        return None
    if min_value > MONEY_MAX:
        problems.append(("min_unit_value", f"{raw['min_unit_value'][:40]!r} is out of range "
                                           f"(at most {MONEY_MAX:,} per unit)"))
        return None
    return min_value


def _currency_field(raw: dict[str, str], min_value: Decimal | None, problems: list[tuple[str, str]]) -> str:
    currency = raw["currency"].upper()
    if currency and not _currency(currency):
        problems.append(("currency", f"{raw['currency']!r} is not an ISO 4217 currency"))
    if min_value is not None and not currency:
        problems.append(("currency", "is required when min_unit_value is given"))
    return currency


def parse_all(records: Iterable[tuple[int, Mapping[str, str]]], source: str) -> list[Recordation]:
    """Validate every record of a file; raise one :class:`ValidationError` naming all bad rows."""
    good: list[Recordation] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for row, record in records:
        recordation, found = parse(record)
        rid = (record.get("recordation_id") or "").strip()
        if rid and rid in seen:
            found.append(("recordation_id", f"{rid!r} already given in row {seen[rid]}"))
        elif rid:
            seen[rid] = row
        for field, why in found:
            problems.append(f"row {row}, {field}: {why}")
        if recordation is not None and not found:
            good.append(recordation)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more")
        rows = {p.split(",")[0] for p in problems}
        raise ValidationError(
            f"{source}: {len(rows)} invalid row(s); nothing was imported.",
            shown,
            hint="Fix the rows named above and import the file again.",
        )
    return good


def from_store_row(row: Mapping[str, object]) -> Recordation:
    """Rebuild a recordation from its stored strings.

    The store holds only rows that passed :func:`parse`, so this trusts them and skips
    the look-ups (HS, ISO codes) that make validation slow on 100,000 recordations.
    """
    return from_store_rows([tuple(row.get(k) for k in RECORDATION_FIELDS)])[0]


def _stored_number(value) -> Decimal | None:
    """``min_unit_value`` as stored (a REAL since m015): ``30.0`` reads back as 30."""
    if value in (None, ""):
        return None
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()


def from_store_rows(rows: Iterable[tuple]) -> list[Recordation]:
    """Rebuild recordations from stored rows of values in ``RECORDATION_FIELDS`` order.

    Loading a large register is the start of every check, so this avoids per-field
    work that repeats: dates and the usual list values are parsed once each.
    """
    dates: dict[str, dt.date] = {}
    lists: dict[str, tuple[str, ...]] = {"": ()}

    def date(value: str) -> dt.date:
        parsed = dates.get(value)
        if parsed is None:
            parsed = dates[value] = dt.date.fromisoformat(value)
        return parsed

    def items(value) -> tuple[str, ...]:
        # Stored as a JSON array (since m015); ``;``-text in stores not yet migrated.
        parsed = lists.get(value)
        if parsed is None:
            if value[:1] == "[":
                parsed = tuple(str(v) for v in json.loads(value))
            else:
                parsed = tuple(split_list(value))
            if len(lists) < 10_000:
                lists[value] = parsed
        return parsed

    at = {name: k for k, name in enumerate(RECORDATION_FIELDS)}
    (rid, mark, holder, aliases, scope, nice, reg_no, start, until, status, importers, origins,
     floor, currency, contact, notes) = (at[name] for name in (
        "recordation_id", "mark", "holder", "aliases", "hs_scope", "nice_classes", "registration_no",
        "valid_from", "valid_until", "status", "authorized_importers", "authorized_origins",
        "min_unit_value", "currency", "contact", "notes"))
    active = Status.ACTIVE
    statuses = {s.value: s for s in Status}
    out = []
    new = object.__new__
    for v in rows:
        # A frozen dataclass's __init__ sets each field through object.__setattr__, a
        # tenth of a second per 10,000; these rows were validated when stored, so the
        # fields are set in one step (the same object: fields, equality, hash).
        rec = new(Recordation)
        out.append(rec)
        rec.__dict__.update(
            recordation_id=v[rid],
            mark=v[mark],
            holder=v[holder],
            valid_until=date(v[until]),
            aliases=items(v[aliases] or ""),
            hs_scope=items(v[scope] or ""),
            nice_classes=tuple(int(n) for n in items(str(v[nice] or ""))),
            registration_no=v[reg_no] or "",
            valid_from=date(v[start]) if v[start] else None,
            status=statuses[v[status]] if v[status] else active,
            authorized_importers=items(v[importers] or ""),
            authorized_origins=items(v[origins] or ""),
            min_unit_value=_stored_number(v[floor]),
            currency=v[currency] or "",
            contact=v[contact] or "",
            notes=v[notes] or "",
        )
    return out


__all__ = ["parse", "parse_all", "from_store_row", "from_store_rows", "split_list", "LIST_FIELDS"]
