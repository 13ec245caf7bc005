"""Exporting a signed package of decided outcomes (and recordations) for one partner."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import os
import uuid

from .. import __version__
from ..errors import NotFoundError, UsageError
from ..store import Store, current_user, now
from .keys import _partner_secret, identity, signed
from .package import (PACKAGE_MAX_BYTES, SCHEMA_VERSION, TEXT_MAX, _CURRENCY, _decimal_text, admin_code, pseudonym,
                      schema_problems, too_large)


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
        append(_outcome(admin, office, alias, line, (hit_id, status, decided_at, recordation_id, mark, holder, as_of)))
    return out


def _outcome(admin: str, office: str, alias: str, line: dict, hit: tuple) -> dict:
    """One decided hit as a package outcome; free text is cut to the schema's bounds (a
    declaration field may be huge)."""
    hit_id, status, decided_at, recordation_id, mark, holder, as_of = hit
    get = line.get
    currency = get("currency") or ""
    return {
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
    }


def _recordations(store: Store, secret: bytes) -> list[dict]:
    from ..recordations import split_list

    out = []
    for rec in store.recordations():
        record = rec.to_record()
        record["authorized_importers"] = ";".join(
            pseudonym(secret, name) for name in split_list(record["authorized_importers"])
        )
        out.append(record)
    return out


def export_package(store: Store, to: str, output: str, *, since: dt.date | None = None,
                   with_recordations: bool = False, office: str | None = None) -> ExportResult:
    """Write one signed package for partner ``to``; record it as sent (one transaction)."""
    from ..writers import atomic_output

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
        if len(data) > PACKAGE_MAX_BYTES:  # no partner could import it
            raise UsageError(f"The package would be {too_large(len(data))}. Nothing was exported.",
                             hint="Export it in parts with --since DATE.")
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


