"""Exchange between administrations: signed packages of outcomes and recordations.

A package is one JSON document (``schema_version``, ``package_id``, ``from``, ``to``,
``created``, ``outcomes``, ``recordations``, ``signature``).  What is signed, with the
sender's Ed25519 key, is the package's *canonical* JSON without its ``signature``
member: keys sorted, no whitespace, UTF-8.  A package is written in canonical form
(the signature included) and must arrive exactly so: a changed byte changes either the
JSON, the content (signature refused) or the form (refused as not canonical).

Importer ids never leave in clear: each is replaced by an HMAC-SHA256 pseudonym keyed
with a secret this store keeps for the partner, so one partner sees the same importer
under one pseudonym in every package, and two partners cannot link theirs.

What partners send is kept apart (``partner_outcomes``, ``partner_recordations``) with
its provenance, and :class:`PartnerIntelligence` applies it to the hits of a check.

Errors: ``UsageError`` / ``InputError`` (exit 2) for bad options, unreadable or refused
packages and unknown keys; ``NotFoundError`` (exit 2) for a missing key or store.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from . import __version__
from .errors import InputError, NotFoundError, UsageError
from .models import RECORDATION_FIELDS, DeclarationLine, Hit
from .normalize import fold, plain
from .store import Store, current_user, now

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


def _ed25519():
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519


def _public_pem(public_raw: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = _ed25519().Ed25519PublicKey.from_public_bytes(public_raw)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def identity(store: Store) -> dict | None:
    """This store's administration code and key, or ``None`` before ``keygen``."""
    with store.guard():
        row = store.conn.execute("SELECT * FROM exchange_identity LIMIT 1").fetchone()
    return dict(row) if row else None


def keygen(store: Store, admin: str, output: str | None) -> Path:
    """Create this administration's signing key (kept in the store) and write its public key."""
    from cryptography.hazmat.primitives import serialization

    admin = admin_code(admin)
    existing = identity(store)
    if existing is not None:
        raise UsageError(
            f"This store already has the signing key of {existing['admin']} (key {existing['key_id']}).",
            hint="Partners trust that key; a new one would make them refuse your packages. "
            "Use another store for another administration.",
        )
    private = _ed25519().Ed25519PrivateKey.generate()
    private_raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public_raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    path = Path(output or f"{admin}.pub")
    with store.write():
        store.conn.execute(
            "INSERT INTO exchange_identity (admin, private_key, public_key, key_id, created_at) VALUES (?, ?, ?, ?, ?)",
            (admin, base64.b64encode(private_raw).decode(), base64.b64encode(public_raw).decode(),
             key_id(public_raw), now()),
        )
        store.audit("keygen", "exchange-key", admin, None, {"admin": admin, "key_id": key_id(public_raw)})
        # The public key is written inside the transaction: no key in the store without its file.
        try:
            path.write_bytes(_public_pem(public_raw))
        except OSError as exc:
            raise UsageError(f"Cannot write the public key to {path}: {exc.strerror or exc}.") from exc
    return path


def read_public_key(path: str) -> bytes:
    """The raw Ed25519 public key in a PEM file written by ``keygen``."""
    from cryptography.hazmat.primitives import serialization

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read the public key file {path}: {exc.strerror or exc}.") from exc
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise InputError(
            f"{path} is not a public key in PEM form.",
            hint="Give the .pub file the partner wrote with `ipr exchange keygen`.",
        ) from None
    if not isinstance(key, _ed25519().Ed25519PublicKey):
        raise InputError(f"{path} holds a {type(key).__name__.replace('_', '')}, not an Ed25519 public key.")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def trust(store: Store, code: str, path: str) -> tuple[str, str | None]:
    """Trust ``path`` as partner ``code``'s public key; return its key id and the one it replaced."""
    code = admin_code(code, "partner code")
    public_raw = read_public_key(path)
    kid = key_id(public_raw)
    own = identity(store)
    if own is not None and own["admin"] == code:
        raise UsageError(f"{code} is this store's own administration; trust a partner's key instead.")
    with store.write():
        row = store.conn.execute("SELECT * FROM exchange_partners WHERE code = ?", (code,)).fetchone()
        previous = row["key_id"] if row is not None else None
        if previous == kid:
            return kid, previous
        stamp = now()
        if row is None:
            store.conn.execute(
                "INSERT INTO exchange_partners (code, public_key, key_id, trusted_at, pseudonym_secret, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (code, base64.b64encode(public_raw).decode(), kid, stamp, secrets.token_hex(32), stamp),
            )
        else:
            store.conn.execute(
                "UPDATE exchange_partners SET public_key = ?, key_id = ?, trusted_at = ? WHERE code = ?",
                (base64.b64encode(public_raw).decode(), kid, stamp, code),
            )
        store.audit("trust", "exchange-partner", code, {"key_id": previous} if previous else None,
                    {"key_id": kid, "file": str(path)})
    return kid, previous


def _partner_secret(store: Store, code: str) -> bytes:
    """The partner's pseudonym secret, made on first use (call inside :meth:`Store.write`)."""
    row = store.conn.execute("SELECT pseudonym_secret FROM exchange_partners WHERE code = ?", (code,)).fetchone()
    if row is not None and row[0]:
        return bytes.fromhex(row[0])
    secret = secrets.token_hex(32)
    if row is None:
        store.conn.execute(
            "INSERT INTO exchange_partners (code, pseudonym_secret, created_at) VALUES (?, ?, ?)",
            (code, secret, now()),
        )
    else:
        store.conn.execute("UPDATE exchange_partners SET pseudonym_secret = ? WHERE code = ?", (secret, code))
    return bytes.fromhex(secret)


# ----------------------------------------------------------------------------- export


@dataclasses.dataclass
class ExportResult:
    package_id: str
    path: str
    outcomes: int
    recordations: int


def _outcomes(store: Store, admin: str, office: str, since: dt.date | None, secret: bytes) -> list[dict]:
    sql = ("SELECT h.hit_id, h.status, h.decided_at, h.recordation_id, h.mark, h.holder, h.line, r.as_of"
           " FROM hits h JOIN runs r ON r.run_id = h.run_id WHERE h.status != 'open'")
    params: list = []
    if since is not None:
        sql += " AND substr(h.decided_at, 1, 10) >= ?"
        params.append(since.isoformat())
    sql += " ORDER BY h.decided_at, h.hit_id"
    out = []
    append = out.append
    loads = json.loads
    names: dict[str, str] = {}
    cursor = store.conn.cursor()
    cursor.row_factory = None  # plain tuples
    for hit_id, status, decided_at, recordation_id, mark, holder, line_text, as_of in cursor.execute(sql, params):
        line = loads(line_text or "{}")
        get = line.get
        importer = get("importer") or ""
        alias = names.get(importer)
        if alias is None:
            alias = names[importer] = pseudonym(secret, importer)
        currency = get("currency") or ""
        # Free text is cut to the schema's bounds (a declaration field may be huge).
        append({
            "outcome_id": f"{admin}-{hit_id}",
            "date": (decided_at or "")[:10],
            "declaration_date": (get("date") or as_of or "")[:10],
            "office": office[:TEXT_MAX],
            "hs_code": (get("hs_code") or "")[:TEXT_MAX],
            "description": (get("description") or "")[:TEXT_MAX],
            "quantity": _decimal_text(get("quantity")),
            "value": _decimal_text(get("value")),
            "currency": currency if _CURRENCY.fullmatch(currency) else "",
            "origin": (get("origin") or "")[:10],
            "importer": alias,
            "exporter": (get("exporter") or "")[:TEXT_MAX],
            "transport_document": (get("transport_document") or "")[:TEXT_MAX],
            "container": (get("container") or "")[:TEXT_MAX],
            "port_of_loading": (get("port_of_loading") or "")[:TEXT_MAX],
            "mark": (mark or "")[:400],
            "recordation_id": (recordation_id or "")[:200],
            "holder": (holder or "")[:TEXT_MAX],
            "decision": status,
        })
    return out


def _recordations(store: Store, secret: bytes) -> list[dict]:
    from .recordations import split_list

    out = []
    for rec in store.recordations():
        record = rec.to_record()
        record["authorized_importers"] = ";".join(
            pseudonym(secret, name) for name in split_list(record["authorized_importers"])
        )
        out.append(record)
    return out


def sign(package: dict, private_raw: bytes) -> dict:
    """``package`` with its ``signature`` member (over the canonical JSON of the rest)."""
    return signed(package, private_raw)[0]


def signed(package: dict, private_raw: bytes) -> tuple[dict, bytes]:
    """``package`` with its ``signature``, and the whole in canonical JSON (the file's bytes)."""
    key = _ed25519().Ed25519PrivateKey.from_private_bytes(private_raw)
    body = {k: v for k, v in package.items() if k != "signature"}
    members = _members(body)
    public_raw = key.public_key().public_bytes_raw()
    signature = {"algorithm": "Ed25519", "key_id": key_id(public_raw),
                 "value": base64.b64encode(key.sign(_joined(members))).decode("ascii")}
    members["signature"] = canonical(signature)
    return {**body, "signature": signature}, _joined(members)


def export_package(store: Store, to: str, output: str, *, since: dt.date | None = None,
                   with_recordations: bool = False, office: str | None = None) -> ExportResult:
    """Write one signed package for partner ``to``; record it as sent (one transaction)."""
    from .writers import atomic_output

    to = admin_code(to, "partner code")
    own = identity(store)
    if own is None:
        raise NotFoundError(
            "This store has no signing key yet.",
            hint="Create it once with `ipr exchange keygen --admin CODE` and send the .pub file to your partners.",
        )
    admin = own["admin"]
    if to == admin:
        raise UsageError(f"--to {to} is this store's own administration.")
    with store.write():
        secret = _partner_secret(store, to)
        outcomes = _outcomes(store, admin, office if office is not None else admin, since, secret)
        recordations = _recordations(store, secret) if with_recordations else []
        created = now()
        package = {
            "schema_version": SCHEMA_VERSION,
            "package_id": f"{admin}-{to}-{created[:19].replace('-', '').replace(':', '')}-{uuid.uuid4().hex[:8]}",
            "from": admin,
            "to": to,
            "created": created,
            "since": since.isoformat() if since else None,
            "ipr_version": __version__,
            "outcomes": outcomes,
            "recordations": recordations,
        }
        package, data = signed(package, base64.b64decode(own["private_key"]))
        problems = schema_problems(package)
        if problems:  # a bug in this module, not the user's doing: refuse to send it
            raise RuntimeError("the package breaks its own schema: " + "; ".join(problems))
        data += b"\n"
        store.conn.execute(
            "INSERT INTO exchange_packages (package_id, direction, partner, created, at, user, since, outcomes,"
            " recordations, sha256, file) VALUES (?, 'sent', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (package["package_id"], to, created, now(), current_user(), package["since"], len(outcomes),
             len(recordations), hashlib.sha256(data).hexdigest(), os.path.basename(output)),
        )
        store.audit("export", "exchange-package", package["package_id"], None,
                    {"to": to, "outcomes": len(outcomes), "recordations": len(recordations),
                     "since": package["since"], "file": str(output)})
        # Written before the transaction commits: a package on disk is always one the store lists.
        with atomic_output(output) as out:
            out.buffer.write(data)  # the signed bytes as they are
    return ExportResult(package["package_id"], str(output), len(outcomes), len(recordations))


# ----------------------------------------------------------------------------- import


@dataclasses.dataclass
class ImportResult:
    package_id: str
    partner: str
    outcomes: int = 0
    recordations: int = 0
    already: bool = False


def read_package(path: str) -> tuple[dict, bytes]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read the package {path}: {exc.strerror or exc}.") from exc
    try:
        package = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"Package {path} is not UTF-8 text (byte {exc.start}); it was damaged or is not a package.") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"Package {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "it was damaged or changed after it was signed. Nothing was imported."
        ) from None
    if not isinstance(package, dict):
        raise InputError(f"Package {path} is not a JSON object. Nothing was imported.")
    return package, data


def verify(store: Store, package: dict, data: bytes, path: str) -> None:
    """Refuse (InputError, exit 2) a package that breaks the schema, is not in canonical
    form, comes from a partner whose key is not trusted, or whose signature does not verify."""
    problems = schema_problems(package)
    if problems:
        raise InputError(
            f"Package {path} does not follow the exchange schema: " + "; ".join(problems) + ". Nothing was imported.",
            hint="`ipr exchange schema` prints the schema.",
        )
    members = _members(package)
    if data.rstrip(b"\n") != _joined(members) or len(data) - len(data.rstrip(b"\n")) > 1:
        raise InputError(
            f"Package {path} is not in the canonical form it was signed in: it was changed after it was signed. "
            "Nothing was imported.",
            hint="Ask the sender for the package file exactly as `ipr exchange export` wrote it.",
        )
    sender = package["from"]
    signature = package["signature"]
    with store.guard():
        row = store.conn.execute(
            "SELECT public_key, key_id FROM exchange_partners WHERE code = ?", (sender,)
        ).fetchone()
    if row is None or not row["public_key"]:
        raise InputError(
            f"Package {path} is signed by {sender}, whose key is not trusted (unknown key {signature['key_id']}). "
            "Nothing was imported.",
            hint=f"Get {sender}'s public key through a channel you trust and run `ipr exchange trust {sender} FILE`.",
        )
    if row["key_id"] != signature["key_id"]:
        raise InputError(
            f"Package {path} is signed by an unknown key {signature['key_id']}; the trusted key of {sender} "
            f"is {row['key_id']}. Nothing was imported.",
            hint=f"If {sender} has a new key, trust it with `ipr exchange trust {sender} FILE`.",
        )
    from cryptography.exceptions import InvalidSignature

    key = _ed25519().Ed25519PublicKey.from_public_bytes(base64.b64decode(row["public_key"]))
    try:
        key.verify(base64.b64decode(signature["value"], validate=True), _joined(members, without="signature"))
    except (InvalidSignature, binascii.Error, ValueError):
        raise InputError(
            f"Package {path} has a bad signature: its content is not what {sender} signed "
            "(changed or damaged on the way). Nothing was imported.",
            hint=f"Ask {sender} to send the package again.",
        ) from None


def _check_recordations(package: dict, path: str) -> None:
    from .recordations import parse

    problems = []
    for i, record in enumerate(package["recordations"]):
        _, bad = parse({k: record.get(k, "") for k in RECORDATION_FIELDS})
        for field, why in bad:
            problems.append(f"recordations[{i}] ({record.get('recordation_id')}) {field}: {why}")
    if problems:
        raise InputError(
            f"Package {path} holds recordations that break the recordation rules: "
            + "; ".join(problems[:10]) + (f" (and {len(problems) - 10} more)" if len(problems) > 10 else "")
            + ". Nothing was imported."
        )


def import_package(store: Store, path: str) -> ImportResult:
    """Verify and merge one package, all or nothing; a package seen before changes nothing."""
    package, data = read_package(path)
    verify(store, package, data, path)
    own = identity(store)
    if own is not None and package["to"] != own["admin"]:
        raise InputError(
            f"Package {path} is addressed to {package['to']}, not to this administration ({own['admin']}). "
            "Nothing was imported."
        )
    _check_recordations(package, path)
    sender, package_id = package["from"], package["package_id"]
    result = ImportResult(package_id, sender)
    with store.write():
        seen = store.conn.execute(
            "SELECT direction FROM exchange_packages WHERE package_id = ?", (package_id,)
        ).fetchone()
        if seen is not None:
            result.already = True
            return result
        stamp = now()
        keys = {}
        rows = []
        for o in package["outcomes"]:
            mark = o["mark"]
            mark_key = keys.get(mark)
            if mark_key is None:
                mark_key = keys[mark] = plain(mark)
            rows.append((sender, o["outcome_id"], package_id, stamp, *[o.get(k, "") for k in OUTCOME_FIELDS[1:]],
                         mark_key))
        count = "SELECT COUNT(*) FROM partner_outcomes WHERE partner = ?"
        known = store.conn.execute(count, (sender,)).fetchone()[0]
        marks = ", ".join("?" for _ in range(len(OUTCOME_FIELDS) + 4))
        updates = ", ".join(f"{c} = excluded.{c}" for c in ("package_id", "received_at", *OUTCOME_FIELDS[1:], "mark_key"))
        store.conn.executemany(
            f"INSERT INTO partner_outcomes (partner, outcome_id, package_id, received_at, {', '.join(OUTCOME_FIELDS[1:])}, mark_key)"
            f" VALUES ({marks}) ON CONFLICT (partner, outcome_id) DO UPDATE SET {updates}",
            rows,
        )
        added = store.conn.execute(count, (sender,)).fetchone()[0] - known
        _merge_recordations(store, sender, package_id, stamp, package["recordations"])
        result.outcomes = len(package["outcomes"])
        result.recordations = len(package["recordations"])
        store.conn.execute(
            "INSERT INTO exchange_packages (package_id, direction, partner, created, at, user, since, outcomes,"
            " recordations, sha256, file) VALUES (?, 'received', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (package_id, sender, package["created"], stamp, current_user(), package.get("since"),
             result.outcomes, result.recordations, hashlib.sha256(data).hexdigest(), os.path.basename(path)),
        )
        store.audit("import", "exchange-package", package_id, None,
                    {"from": sender, "outcomes": result.outcomes, "outcomes_added": added,
                     "outcomes_updated": result.outcomes - added, "recordations": result.recordations,
                     "file": str(path), "created": package["created"]})
    return result


def _merge_recordations(store: Store, partner: str, package_id: str, stamp: str, records: list[dict]) -> None:
    """Add or update a partner's recordations, each change audited (inside :meth:`Store.write`)."""
    old = {row[0]: json.loads(row[1]) for row in store.conn.execute(
        "SELECT recordation_id, record FROM partner_recordations WHERE partner = ?", (partner,))}
    note = f"exchange package {package_id}"
    for r in records:
        new = {k: r.get(k, "") for k in RECORDATION_FIELDS}
        rid = new["recordation_id"]
        before = old.get(rid)
        if before == new:
            continue
        store.conn.execute(
            "INSERT INTO partner_recordations (partner, recordation_id, package_id, received_at, record)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (partner, recordation_id) DO UPDATE SET"
            " package_id = excluded.package_id, received_at = excluded.received_at, record = excluded.record",
            (partner, rid, package_id, stamp, json.dumps(new, ensure_ascii=False)),
        )
        if before is None:
            store.audit("add", "partner-recordation", f"{partner}:{rid}", None, new, note)
        else:
            changed = [k for k in RECORDATION_FIELDS if before.get(k, "") != new[k]]
            store.audit("update", "partner-recordation", f"{partner}:{rid}", {k: before.get(k, "") for k in changed},
                        {k: new[k] for k in changed}, note)


def list_packages(store: Store) -> list[dict]:
    """Packages sent and received, oldest first."""
    with store.guard():
        rows = store.conn.execute(
            "SELECT direction, partner, package_id, created, at, user, since, outcomes, recordations, file"
            " FROM exchange_packages ORDER BY at, rowid"
        ).fetchall()
    return [dict(r) for r in rows]


def partner_recordations(store: Store) -> list:
    """Partners' recordations, each id prefixed with its partner (``FR:ID``) so none can
    shadow one of this administration's own."""
    from .recordations import from_store_row

    with store.guard():
        rows = store.conn.execute(
            "SELECT partner, record FROM partner_recordations ORDER BY partner, recordation_id"
        ).fetchall()
    out = []
    for row in rows:
        record = json.loads(row["record"])
        record["recordation_id"] = f"{row['partner']}:{record['recordation_id']}"
        out.append(from_store_row(record))
    return out


# ----------------------------------------------------------------------------- intelligence

# Legal-form words, after folding: abbreviations mapped to one spelling, so that
# ``CO., LTD`` and ``COMPANY LIMITED`` read alike; then left out of the comparison.
_LEGAL_SPELLING = {
    "co": "company", "cie": "company", "corp": "corporation", "inc": "incorporated", "incorp": "incorporated",
    "ltd": "limited", "ltda": "limited", "lim": "limited", "intl": "international", "int'l": "international",
    "mfg": "manufacturing", "mfr": "manufacturing", "trdg": "trading", "trd": "trading", "ind": "industrial",
    "pte": "private", "pvt": "private", "plc": "plc", "llc": "llc", "gmbh": "gmbh", "bhd": "berhad",
    "sdn": "sendirian", "imp": "import", "exp": "export", "and": "&",
}
_LEGAL_FORMS = frozenset({
    "company", "limited", "corporation", "incorporated", "private", "plc", "llc", "llp", "gmbh", "ag", "sa",
    "sarl", "sas", "srl", "spa", "bv", "nv", "kg", "oy", "ab", "as", "kk", "berhad", "sendirian", "pty",
    "the", "&", "jsc", "ojsc", "pjsc", "ooo", "zao", "sro", "sp", "zoo",
})
_NAME_WORD = re.compile(r"&|[^\W_]+")


@lru_cache(maxsize=50_000)
def company_key(name: str) -> str:
    """A company name as compared: folded, punctuation gone, legal forms left out
    (``Shenzhen Huaxing Trading CO., LTD`` and ``SHENZHEN HUAXING TRADING COMPANY LIMITED``
    give ``shenzhen huaxing trading``)."""
    text = fold(name).replace(".", "").replace("'", "")
    words = [_LEGAL_SPELLING.get(w, w) for w in _NAME_WORD.findall(text)]
    core = [w for w in words if w not in _LEGAL_FORMS]
    return " ".join(core or words)


_NOT_ALNUM = re.compile(r"[\W_]+")


@lru_cache(maxsize=50_000)
def _plain_code(text: str) -> str:
    """A container number or port code as compared: letters and digits, upper case."""
    return _NOT_ALNUM.sub("", text.upper())


@dataclasses.dataclass(frozen=True)
class _Seizure:
    partner: str
    date: str
    mark: str


def _latest(seizures: Iterable[_Seizure]) -> tuple[_Seizure, ...]:
    """The most recent seizure of each partner, by partner."""
    out: dict[str, _Seizure] = {}
    for s in seizures:
        if s.partner not in out or s.date > out[s.partner].date:
            out[s.partner] = s
    return tuple(out[p] for p in sorted(out))


from rapidfuzz.fuzz import ratio as _ratio  # noqa: E402  (C++: a few microseconds a pair)
from rapidfuzz.process import extractOne as _extract_one  # noqa: E402


class _MarkIntel:
    """A partner's seizures for one mark, indexed by exporter, container and route
    (for each, the latest seizure of each partner)."""

    def __init__(self, rows: Iterable) -> None:
        exporters: dict[str, list[_Seizure]] = {}
        containers: dict[str, list[_Seizure]] = {}
        routes: dict[tuple[str, str], list[_Seizure]] = {}
        for partner, date, mark, exporter, container, port, origin in rows:
            seizure = _Seizure(partner, date, mark)
            if exporter and (key := company_key(exporter)):
                exporters.setdefault(key, []).append(seizure)
            if container and (key := _plain_code(container)):
                containers.setdefault(key, []).append(seizure)
            if port and (key := _plain_code(port)):
                routes.setdefault((key, (origin or "").upper()), []).append(seizure)
        self.exporters = {k: _latest(v) for k, v in exporters.items()}
        self.containers = {k: _latest(v) for k, v in containers.items()}
        self.routes = {k: _latest(v) for k, v in routes.items()}
        # Fuzzy comparison is a token-sort ratio: the words of each name sorted once here.
        self._sorted = {" ".join(sorted(k.split())): k for k in self.exporters}
        self._choices = list(self._sorted)
        self._fuzzy: dict[str, tuple[_Seizure, ...]] = {}

    def by_exporter(self, name: str) -> tuple[_Seizure, ...]:
        """The latest seizures of an exporter of the same name, or nearly (one or two typos)."""
        key = company_key(name)
        if not key:
            return ()
        found = self.exporters.get(key)
        if found is not None:
            return found
        if len(key) < 8 or not self._choices:  # a short name must be the same name
            return ()
        found = self._fuzzy.get(key)
        if found is None:
            query = " ".join(sorted(key.split()))
            best = _extract_one(query, self._choices, scorer=_ratio, score_cutoff=EXPORTER_SIMILARITY)
            found = self.exporters[self._sorted[best[0]]] if best else ()
            if len(self._fuzzy) < 10_000:
                self._fuzzy[key] = found
        return found


class PartnerIntelligence:
    """Partners' confirmed seizures applied to the hits of a check (see :meth:`apply`).

    Seizures are read from the store per mark, when a hit for that mark first needs
    them: a check whose lines carry no exporter, container or port costs nothing more.
    """

    def __init__(self, path: Path, partner_ids: frozenset[str] = frozenset()) -> None:
        self.path = path
        self.partner_ids = partner_ids
        self._conn: sqlite3.Connection | None = None
        self._marks: dict[str, _MarkIntel] = {}

    @classmethod
    def load(cls, store: Store, partner_recordations: Sequence = ()) -> "PartnerIntelligence | None":
        """The store's partner intelligence, or ``None`` when there is none to apply."""
        with store.guard():
            any_seizure = store.conn.execute(
                "SELECT 1 FROM partner_outcomes WHERE decision IN ('hold', 'seized') LIMIT 1"
            ).fetchone()
        ids = frozenset(r.recordation_id for r in partner_recordations)
        if any_seizure is None and not ids:
            return None
        return cls(store.path, ids)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _mark(self, mark: str) -> _MarkIntel:
        key = plain(mark)
        intel = self._marks.get(key)
        if intel is None:
            if self._conn is None:
                self._conn = sqlite3.connect(Path(self.path).resolve().as_uri() + "?mode=ro", uri=True)
            rows = self._conn.execute(
                "SELECT partner, date, mark, exporter, container, port_of_loading, origin FROM partner_outcomes"
                " WHERE mark_key = ? AND decision IN ('hold', 'seized')", (key,)
            ).fetchall()
            intel = self._marks[key] = _MarkIntel(rows)
        return intel

    def refined(self, screened: Iterable[tuple[DeclarationLine, list[Hit]]]) -> Iterator[tuple[DeclarationLine, list[Hit]]]:
        """``(line, hits)`` of a check, each line's hits through :meth:`apply`.

        Applied to what screening yields (locally, on a cluster, or re-screened), so the
        matcher and the run's counts are untouched: intelligence changes a hit's score
        and reasons, never its verdict or whether the line is flagged.
        """
        try:
            for line, hits in screened:
                yield line, list(self.apply(line, hits))
        finally:
            self.close()

    def apply(self, line: DeclarationLine, hits: Sequence[Hit]) -> Sequence[Hit]:
        """``hits`` with partner intelligence: a finding whose line shares its exporter
        (compared as names), container or route with a partner's seizure for the same
        mark scores more and names the seizure; a hit on a partner's recordation names
        the partner.  The verdict is left as the matcher judged it."""
        if not hits or not (line.exporter or line.container or line.port_of_loading or self.partner_ids):
            return hits
        out = []
        for hit in hits:
            reasons: list[str] = []
            codes: list[str] = []  # the rule behind each reason (reason_codes)
            if hit.recordation_id in self.partner_ids:
                partner = hit.recordation_id.split(":", 1)[0]
                reasons.append(f"recorded by {partner} customs (partner recordation), not here")
                codes.append("partner_recordation")
            bonus = 0
            if line.exporter or line.container or line.port_of_loading:
                intel = self._mark(hit.mark)
                if line.exporter and intel.exporters:
                    seized = intel.by_exporter(line.exporter)
                    for s in seized:
                        reasons.append(f"exporter seized by {s.partner} customs on {s.date} for {s.mark}")
                        codes.append("partner_exporter")
                    bonus += EXPORTER_BONUS if seized else 0
                if line.container and intel.containers:
                    box = _plain_code(line.container)
                    seized = intel.containers.get(box, ())
                    for s in seized:
                        reasons.append(f"container {box} seized by {s.partner} customs on {s.date} for {s.mark}")
                        codes.append("partner_container")
                    bonus += CONTAINER_BONUS if seized else 0
                if line.port_of_loading and intel.routes:
                    port = _plain_code(line.port_of_loading)
                    origin = line.origin.upper()
                    seized = intel.routes.get((port, origin), ())
                    where = port + (f" (origin {origin})" if origin else "")
                    for s in seized:
                        reasons.append(f"route from {where} seized by {s.partner} customs on {s.date} for {s.mark}")
                        codes.append("partner_route")
                    bonus += ROUTE_BONUS if seized else 0
            if not reasons:
                out.append(hit)
                continue
            score = min(100, hit.score + min(bonus, MAX_BONUS))
            out.append(dataclasses.replace(hit, score=score, reasons=(*hit.reasons, *reasons),
                                           reason_codes=(*hit.reason_codes, *codes)))
        out.sort(key=lambda h: (-h.score, h.recordation_id))
        return out
