"""Importing a partner's package: reading, verifying, refusing, and keeping its content apart."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import os
from pathlib import Path

from ..errors import InputError
from ..models import RECORDATION_FIELDS
from ..normalize import plain
from ..store import Store, current_user, now
from .keys import _ed25519, identity
from .package import OUTCOME_FIELDS, PACKAGE_MAX_BYTES, _joined, _members, schema_problems, too_large


@dataclasses.dataclass
class ImportResult:
    package_id: str
    partner: str
    outcomes: int = 0
    recordations: int = 0
    already: bool = False


def read_package(path: str) -> tuple[dict, bytes]:
    try:
        with open(path, "rb") as f:
            data = f.read(PACKAGE_MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"Cannot read the package {path}: {exc.strerror or exc}.") from exc
    if len(data) > PACKAGE_MAX_BYTES:
        size = max(len(data), os.stat(path).st_size)
        raise InputError(f"Package {path} is {too_large(size)}. Nothing was imported.",
                         hint="Ask the sender to export it in parts (`ipr exchange export --since DATE`).")
    try:
        package = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"Package {path} is not UTF-8 text (byte {exc.start}); it was damaged or is not a package.") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"Package {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "it was damaged or changed after it was signed. Nothing was imported."
        ) from None
    except RecursionError:
        raise InputError(f"Package {path} has JSON nested too deeply to read; no ipr writes that. "
                         "Nothing was imported.") from None
    except ValueError:  # (an integer of more digits than Python converts: sys.get_int_max_str_digits())
        raise InputError(f"Package {path} holds a number too long to read; no ipr writes that. "
                         "Nothing was imported.") from None
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
    try:
        members = _members(package)
        joined = _joined(members)
    except UnicodeEncodeError:
        raise InputError(
            f"Package {path} holds text that is not Unicode (an escaped lone surrogate such as \\ud800); "
            "no ipr writes that. Nothing was imported."
        ) from None
    except (RecursionError, ValueError):
        raise InputError(f"Package {path} has JSON nested too deeply to read; no ipr writes that. "
                         "Nothing was imported.") from None
    if data.rstrip(b"\n") != joined or len(data) - len(data.rstrip(b"\n")) > 1:
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


def _check_recordations(package: dict, path: str) -> list[dict[str, str]]:
    """Refuse a package whose recordations break the rules; return them in canonical form
    (as validated: trimmed, lists and dates normalised), which is what is stored."""
    from ..recordations import parse

    problems = []
    canonical = []
    # An id given twice would be counted twice and audited as two additions.
    for member, field in (("outcomes", "outcome_id"), ("recordations", "recordation_id")):
        first: dict[str, int] = {}
        for i, item in enumerate(package[member]):
            at = first.setdefault(item[field], i)
            if at != i:
                problems.append(f"{member}[{i}].{field} {item[field]!r} already given in {member}[{at}]")
    for i, record in enumerate(package["recordations"]):
        parsed, bad = parse({k: record.get(k, "") for k in RECORDATION_FIELDS})
        for field, why in bad:
            problems.append(f"recordations[{i}] ({record.get('recordation_id')}) {field}: {why}")
        if parsed is not None:
            canonical.append(parsed.to_record())
    if problems:
        raise InputError(
            f"Package {path} holds outcomes or recordations that break the rules: "
            + "; ".join(problems[:10]) + (f" (and {len(problems) - 10} more)" if len(problems) > 10 else "")
            + ". Nothing was imported."
        )
    return canonical


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
    recordations = _check_recordations(package, path)
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
        _merge_recordations(store, sender, package_id, stamp, recordations)
        result.outcomes = len(package["outcomes"])
        result.recordations = len(recordations)
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
    """Add or update a partner's recordations (canonical, as validated), each change
    audited (inside :meth:`Store.write`)."""
    old = {row[0]: json.loads(row[1]) for row in store.conn.execute(
        "SELECT recordation_id, record FROM partner_recordations WHERE partner = ?", (partner,))}
    note = f"exchange package {package_id}"
    for r in records:
        new = {k: r[k] for k in RECORDATION_FIELDS}
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
    shadow one of this administration's own.

    Each is validated again as it is read (they are few): one stored raw by an older ipr,
    or changed outside ipr, is refused (exit 3) naming it and its field, never a crash."""
    from ..errors import StoreError
    from ..recordations import parse

    with store.guard():
        rows = store.conn.execute(
            "SELECT partner, record FROM partner_recordations ORDER BY partner, recordation_id"
        ).fetchall()
    out = []
    for row in rows:
        try:
            stored = json.loads(row["record"])
            record = {k: stored.get(k) or "" for k in RECORDATION_FIELDS}
        except (ValueError, AttributeError, RecursionError):
            record = {}
        if record and all(isinstance(v, str) for v in record.values()):
            parsed, bad = parse(record)
        else:
            parsed, bad = None, [("record", "not a JSON object of text values")]
        if parsed is None:
            field, why = bad[0]
            raise StoreError(
                f"The store {store.path} holds a recordation of partner {row['partner']} that ipr cannot use: "
                f"recordation {record.get('recordation_id', '')!r}, field {field}: {why}.",
                hint=f"Import {row['partner']}'s latest package again, or restore the store from a backup.",
            )
        out.append(dataclasses.replace(parsed, recordation_id=f"{row['partner']}:{parsed.recordation_id}"))
    return out


# ----------------------------------------------------------------------------- intelligence
