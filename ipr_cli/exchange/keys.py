"""Signing keys: this store's identity, trusted partner keys, pseudonym secrets, and signing a package."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

from ..errors import InputError, UsageError
from ..store import Store, now
from .package import _joined, _members, admin_code, canonical, key_id


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


