"""The package format: canonical JSON, its members, the schema and its checks, importer pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from ..errors import UsageError


SCHEMA_VERSION = 1
SCHEMA_FILE = "exchange-package.schema.json"
_ADMIN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,15}$")
# Decisions that a partner confirmed as a seizure: the only outcomes used as intelligence.
SEIZURES = ("hold", "seized")
PSEUDONYM_PREFIX = "anon-"
OUTCOME_FIELDS = (
    "outcome_id", "date", "declaration_date", "office", "hs_code", "description", "quantity", "value",
    "currency", "origin", "importer", "exporter", "transport_document", "container", "port_of_loading",
    "mark", "recordation_id", "holder", "decision",
)
# Points a partner's seizure adds to a finding: an exporter or a container is the same
# consignor or box; a route (port of loading and origin) only the same way in.
EXPORTER_BONUS = 15
CONTAINER_BONUS = 15
ROUTE_BONUS = 5
MAX_BONUS = 20
EXPORTER_SIMILARITY = 90  # rapidfuzz token-sort ratio of two exporters' names, legal forms aside


# ----------------------------------------------------------------------------- basics


def admin_code(value: str, what: str = "administration code") -> str:
    """An administration code, upper-cased: ISO alpha-2 or another short id (``FR``, ``EU-OLAF``)."""
    code = (value or "").strip().upper()
    if not _ADMIN.match(code):
        raise UsageError(
            f"{what} {value!r} is not a short administration code.",
            hint="Use an ISO 3166-1 alpha-2 code such as FR or KR, or another id of 2-16 letters, digits, - or _.",
        )
    return code


# A package is read whole: 100 MiB (about 200,000 outcomes; 100,000 take 51 MB) is read
# in well under 1 GiB.  A larger one is refused before it is read.
PACKAGE_MAX_BYTES = 100 * 1024 * 1024


def too_large(size: int) -> str:
    return (f"{size / 1048576:,.1f} MiB; a package may be at most {PACKAGE_MAX_BYTES // 1048576} MiB "
            "(about 200,000 outcomes)")


def canonical(obj: object) -> bytes:
    """The canonical JSON of ``obj``: keys sorted, no whitespace, UTF-8 (what is signed)."""
    return _encode(obj).encode("utf-8")


def _encode(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _members(package: dict) -> dict[str, bytes]:
    """Each top-level member of ``package`` in canonical JSON: a package of 100,000
    outcomes is encoded once for its signature and its file, not twice."""
    return {key: canonical(value) for key, value in package.items()}


def _joined(members: dict[str, bytes], *, without: str = "") -> bytes:
    """The canonical JSON of the object whose members are encoded in ``members``
    (the same bytes as :func:`canonical` of that object)."""
    return b"{" + b",".join(canonical(k) + b":" + members[k] for k in sorted(members) if k != without) + b"}"


def key_id(public_raw: bytes) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


@lru_cache(maxsize=1)
def schema() -> dict:
    """The package's JSON Schema, as shipped in ``ipr_cli/data``."""
    from importlib.resources import files

    return json.loads(files("ipr_cli").joinpath("data", SCHEMA_FILE).read_text(encoding="utf-8"))


def schema_text() -> str:
    from importlib.resources import files

    return files("ipr_cli").joinpath("data", SCHEMA_FILE).read_text(encoding="utf-8")


def _where(path: Sequence) -> str:
    """``["outcomes", 3, "mark"]`` as ``outcomes[3].mark``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@lru_cache(maxsize=1)
def _validator():
    # fastjsonschema compiles the schema to Python: 100,000 outcomes validate in about
    # two seconds, where a generic validator takes a minute.  The tests check every
    # export against the same schema with jsonschema, the reference implementation.
    import fastjsonschema

    return fastjsonschema.compile(json.loads(schema_text()))  # (it resolves references in place)


def schema_problems(package: object) -> list[str]:
    """What breaks the shipped schema in ``package`` (the first problem met; empty when valid)."""
    import fastjsonschema

    try:
        _validator()(package)
    except fastjsonschema.JsonSchemaValueException as exc:
        where = _where([int(p) if p.isdigit() else p for p in exc.path[1:]])
        if exc.rule == "required" and isinstance(exc.value, dict):
            missing = [name for name in exc.rule_definition if name not in exc.value]
            names = ", ".join(repr(f"{where}.{m}" if where else m) for m in missing)
            return [f"required field {names} is missing"]
        message = exc.message.removeprefix(exc.name).strip()
        return [f"field {where or '(top level)'!r} {message}"]
    return []


def pseudonym(secret: bytes, importer: str) -> str:
    """The importer's pseudonym for one partner: HMAC-SHA256 keyed with that partner's secret."""
    text = (importer or "").strip().casefold()
    if not text:
        return ""
    return PSEUDONYM_PREFIX + hmac.digest(secret, text.encode("utf-8"), "sha256").hex()[:20]


TEXT_MAX = 4000  # the schema's bound on a free-text field
_CURRENCY = re.compile(r"[A-Z]{3}")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _decimal_text(value: object) -> str:
    """A stored quantity or value as a plain decimal ("" when there is none)."""
    if value in (None, ""):
        return ""
    if value.__class__ is str and _PLAIN_NUMBER.fullmatch(value):
        return value
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return ""
    if not number.is_finite():
        return ""
    return format(number, "f")


# ----------------------------------------------------------------------------- keys


