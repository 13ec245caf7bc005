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

Modules: ``package`` (canonical form, schema, pseudonyms), ``keys`` (identity, trusted
keys, pseudonym secrets, signing), ``export``, ``importing`` (reading, verifying and
keeping a partner's package), ``intelligence`` (``PartnerIntelligence``).
"""

from __future__ import annotations

from .package import (
    SCHEMA_VERSION,
    SCHEMA_FILE,
    SEIZURES,
    PSEUDONYM_PREFIX,
    OUTCOME_FIELDS,
    EXPORTER_BONUS,
    CONTAINER_BONUS,
    ROUTE_BONUS,
    MAX_BONUS,
    EXPORTER_SIMILARITY,
    admin_code,
    canonical,
    key_id,
    schema,
    schema_text,
    schema_problems,
    pseudonym,
    TEXT_MAX,
)
from .keys import (
    identity,
    keygen,
    read_public_key,
    trust,
    sign,
    signed,
)
from .export import (
    ExportResult,
    export_package,
)
from .importing import (
    ImportResult,
    read_package,
    verify,
    import_package,
    list_packages,
    partner_recordations,
)
from .intelligence import (
    company_key,
    _MarkIntel,
    PartnerIntelligence,
)

__all__ = [
    "_MarkIntel",
    "CONTAINER_BONUS",
    "EXPORTER_BONUS",
    "EXPORTER_SIMILARITY",
    "ExportResult",
    "ImportResult",
    "MAX_BONUS",
    "OUTCOME_FIELDS",
    "PSEUDONYM_PREFIX",
    "PartnerIntelligence",
    "ROUTE_BONUS",
    "SCHEMA_FILE",
    "SCHEMA_VERSION",
    "SEIZURES",
    "TEXT_MAX",
    "admin_code",
    "canonical",
    "company_key",
    "export_package",
    "identity",
    "import_package",
    "key_id",
    "keygen",
    "list_packages",
    "partner_recordations",
    "pseudonym",
    "read_package",
    "read_public_key",
    "schema",
    "schema_problems",
    "schema_text",
    "sign",
    "signed",
    "trust",
    "verify",
]
