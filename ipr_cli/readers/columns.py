"""Declaration headers → canonical fields (synonyms, ``--columns``) and the warnings about them."""

from __future__ import annotations

from ..errors import InputError
from .base import _HEADER_INDEX, _compact, _printable


def _resolve_columns(shown: str, headers: list[str], columns: dict[str, str] | None) -> dict[str, int]:
    """Map canonical field → index in ``headers`` (synonyms, then ``--columns``)."""
    found: dict[str, tuple[int, int]] = {}  # field → (rank, index)
    for index, header in enumerate(headers):
        hit = _HEADER_INDEX.get(_compact(header))
        if hit is None:
            continue
        field, rank = hit
        if field not in found or rank < found[field][0]:
            found[field] = (rank, index)
    result = {field: index for field, (_, index) in found.items()}
    for field, wanted in (columns or {}).items():
        index = _find_header(headers, wanted)
        if index is None:
            raise InputError(
                f"{shown}: no column {wanted!r} (given for {field} in --columns); "
                f"found {_header_list(headers)}",
                hint="check the header row and the --columns option",
            )
        # A column claimed by --columns is no longer its synonym's field.
        for other, i in list(result.items()):
            if i == index and other != field:
                del result[other]
        result[field] = index
    if "description" not in result:
        raise InputError(
            f"{shown}: no description column; found {_header_list(headers)}",
            hint="name the goods description column with --columns description=HEADER",
        )
    return result


# What screening loses without a field: named in the warning about a look-alike column.
_FIELD_ROLE = {
    "currency": "the price rule (unit value below the genuine minimum) is off",
    "value": "the price rule (unit value below the genuine minimum) is off",
    "quantity": "the price rule (unit value below the genuine minimum) is off",
    "origin": "the origin rule (origin outside the authorized origins) is off",
    "importer": "authorized importers and the allow and deny lists cannot apply",
    "hs_code": "the HS scope of recordations cannot be checked",
    "date": "validity is judged on --as-of (default: today) instead of each line's date",
    "brand": "the declared brand is not screened",
    "declaration_id": "hits cannot be told apart by declaration id across files",
    "item_no": "hits cannot be told apart by item across files",
}


def _looks_like(header: str) -> str | None:
    """The field an unrecognised header probably means (``Curr`` → currency), or None."""
    key = _compact(header)
    if len(key) < 3:
        return None
    best: tuple[float, str] | None = None
    from rapidfuzz import fuzz

    for name, (field, _rank) in _HEADER_INDEX.items():
        if not name.isascii() or len(name) < 3:
            continue
        if name.startswith(key) or (key.startswith(name) and len(name) >= 4):
            score = 100.0
        else:
            score = fuzz.ratio(key, name)
        if score >= 85 and (best is None or score > best[0]):
            best = (score, field)
    return best[1] if best else None


def _column_warnings(shown: str, headers: list[str], index: dict[str, int]) -> list[str]:
    """One warning per unrecognised column that looks like a field the file lacks."""
    used = set(index.values())
    out = []
    for i, header in enumerate(headers):
        if i in used or not header.strip():
            continue
        field = _looks_like(header)
        if field is None or field in index or field == "description":
            continue
        role = _FIELD_ROLE.get(field, f"the {field} field is left empty")
        out.append(f"{shown}: column {_printable(header)[:60]!r} is not recognised but looks like {field}; "
                   f"without a {field} column {role}. To use it, give --columns {field}={_printable(header)[:60]!r}")
    return out


def _find_header(headers: list[str], wanted: str) -> int | None:
    for index, header in enumerate(headers):
        if header == wanted.strip():
            return index
    key = _compact(wanted)
    for index, header in enumerate(headers):
        if _compact(header) == key:
            return index
    return None


def _header_list(headers: list[str]) -> str:
    if not headers:
        return "no header row"
    shown = [_printable(h)[:60] for h in headers[:40]]
    more = f" and {len(headers) - 40} more" if len(headers) > 40 else ""
    return "headers " + ", ".join(repr(h) for h in shown) + more


