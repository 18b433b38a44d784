"""Signed tree heads: Ed25519 signatures over the size and root of the audit log, with key rotation.

Canonical bytes (what is signed), version 1: five lines of ASCII, each ended by ``\\n``, no spaces::

    xinyong-tree-head/v1
    size=<decimal, no leading zeros>
    root=<64 lowercase hex digits: the RFC 6962 tree hash>
    timestamp_ms=<decimal milliseconds since 1970-01-01T00:00:00Z>
    key_id=<16 lowercase hex digits>

The first line names the format and version, so a signature can never be replayed as another kind of
statement, and a later version changes that line. ``key_id`` is the first 16 hex digits of SHA-256 of
the 32-byte raw Ed25519 public key; it is signed too, so a head cannot be re-attributed to another key.
The signature is plain Ed25519 (RFC 8032) over those bytes: 64 bytes, shown as hex in JSON.

Rotation: a verifier keeps a key ring ``{key_id: public_key}`` holding every key the log has used and
checks each head against the key its ``key_id`` names; an unknown ``key_id`` fails.

This module does no I/O: keys are converted to and from PEM or raw bytes, and callers read and write
the files. ``xinyong.audit.verifier`` re-implements ``canonical_bytes`` with the standard library only,
and a test keeps the two identical.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "FORMAT_LINE",
    "SignedTreeHead",
    "TreeHead",
    "canonical_bytes",
    "generate_private_key",
    "key_id",
    "key_ring",
    "load_private_key",
    "load_public_key",
    "private_key_to_pem",
    "public_key_to_pem",
    "public_key_to_raw",
    "sign_tree_head",
    "verify_tree_head",
]

FORMAT_LINE = "xinyong-tree-head/v1"
STH_FORMAT = "xinyong-signed-tree-head/v1"
HASH_SIZE = 32
SIGNATURE_SIZE = 64
_KEY_ID = re.compile(r"[0-9a-f]{16}")


def public_key_to_raw(public_key: Ed25519PublicKey) -> bytes:
    """The 32-byte raw encoding of an Ed25519 public key (RFC 8032)."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 lowercase hex digits of SHA-256 of the raw public key."""
    return hashlib.sha256(public_key_to_raw(public_key)).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class TreeHead:
    """The log's state at one moment: ``size`` leaves with tree hash ``root``, vouched for by ``key_id``."""

    size: int
    root: bytes
    timestamp_ms: int
    key_id: str

    def __post_init__(self) -> None:
        for name in ("size", "timestamp_ms"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int")
            if value < 0:
                raise ValueError(f"{name} must not be negative")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise ValueError(f"root must be {HASH_SIZE} bytes")
        if not isinstance(self.key_id, str) or not _KEY_ID.fullmatch(self.key_id):
            raise ValueError("key_id must be 16 lowercase hex digits")

    @classmethod
    def for_key(cls, size: int, root: bytes, timestamp_ms: int, public_key: Ed25519PublicKey) -> TreeHead:
        return cls(size, root, timestamp_ms, key_id(public_key))


def canonical_bytes(head: TreeHead) -> bytes:
    """The exact bytes that are signed (see the module docstring)."""
    return (
        f"{FORMAT_LINE}\nsize={head.size}\nroot={head.root.hex()}\n"
        f"timestamp_ms={head.timestamp_ms}\nkey_id={head.key_id}\n"
    ).encode("ascii")


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    head: TreeHead
    signature: bytes

    def to_json(self) -> dict[str, object]:
        """The JSON object of ``docs/audit-verifier.md`` (hashes and signature in lowercase hex)."""
        return {
            "format": STH_FORMAT,
            "size": self.head.size,
            "root": self.head.root.hex(),
            "timestamp_ms": self.head.timestamp_ms,
            "key_id": self.head.key_id,
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> SignedTreeHead:
        """Parse ``to_json()``'s object; raises ``ValueError`` on any missing or malformed field."""
        if data.get("format", STH_FORMAT) != STH_FORMAT:
            raise ValueError(f"unknown signed tree head format {data.get('format')!r}")
        try:
            size, root, ts, kid, sig = (
                data[k] for k in ("size", "root", "timestamp_ms", "key_id", "signature")
            )
        except KeyError as e:
            raise ValueError(f"signed tree head lacks {e.args[0]!r}") from None
        if not isinstance(size, int) or not isinstance(ts, int):
            raise ValueError("size and timestamp_ms must be integers")
        if not isinstance(root, str) or not isinstance(sig, str) or not isinstance(kid, str):
            raise ValueError("root, key_id and signature must be strings")
        try:
            return cls(TreeHead(size, bytes.fromhex(root), ts, kid), bytes.fromhex(sig))
        except (ValueError, TypeError, binascii.Error) as e:
            raise ValueError(f"malformed signed tree head: {e}") from None


def sign_tree_head(private_key: Ed25519PrivateKey, head: TreeHead) -> SignedTreeHead:
    """Sign ``head``; its ``key_id`` must be this key's."""
    if head.key_id != key_id(private_key.public_key()):
        raise ValueError(
            f"head names key {head.key_id}, but the signing key is {key_id(private_key.public_key())}"
        )
    return SignedTreeHead(head, private_key.sign(canonical_bytes(head)))


def key_ring(*public_keys: Ed25519PublicKey) -> dict[str, Ed25519PublicKey]:
    """``{key_id: key}`` for verifying heads signed by any of these keys (old and new, for rotation)."""
    return {key_id(k): k for k in public_keys}


def verify_tree_head(keys: Ed25519PublicKey | Mapping[str, Ed25519PublicKey], sth: SignedTreeHead) -> bool:
    """True if ``sth`` is signed by the key its ``key_id`` names, looked up in ``keys`` (one key or a key
    ring). An unknown key id, a key whose id differs, or a bad signature gives False."""
    if isinstance(keys, Ed25519PublicKey):
        public_key: Ed25519PublicKey | None = keys if key_id(keys) == sth.head.key_id else None
    else:
        public_key = keys.get(sth.head.key_id)
        if public_key is not None and key_id(public_key) != sth.head.key_id:
            public_key = None  # a ring filed under the wrong id
    if public_key is None or len(sth.signature) != SIGNATURE_SIZE:
        return False
    try:
        public_key.verify(sth.signature, canonical_bytes(sth.head))
    except InvalidSignature:
        return False
    return True


# --------------------------------------------------------------------------------------------------
# Keys


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_to_pem(private_key: Ed25519PrivateKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with ``password`` when given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def public_key_to_pem(public_key: Ed25519PublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``)."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_private_key(data: bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    """A private key from PKCS#8 PEM or the 32-byte raw seed."""
    if len(data) == 32 and not data.startswith(b"-----"):
        return Ed25519PrivateKey.from_private_bytes(data)
    key = serialization.load_pem_private_key(data, password=password)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """A public key from SubjectPublicKeyInfo PEM, 32 raw bytes, or 64 hex digits."""
    stripped = data.strip()
    if stripped.startswith(b"-----"):
        key = serialization.load_pem_public_key(stripped)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    if len(data) == 32:
        return Ed25519PublicKey.from_public_bytes(data)
    if len(stripped) == 64:
        try:
            return Ed25519PublicKey.from_public_bytes(bytes.fromhex(stripped.decode("ascii")))
        except (UnicodeDecodeError, ValueError):
            pass
    raise ValueError("expected an Ed25519 public key as PEM, 32 raw bytes or 64 hex digits")
