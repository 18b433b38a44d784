"""Standalone, offline verifier of signed xinyong credit reports (信用报告验真).

Needs only the Python standard library and the ``cryptography`` package; it imports nothing else from
xinyong, so this one file can be copied out and run on its own::

    python -m xinyong.reports.verify REPORT.pdf --keys xinyong-keys.json

``--keys`` is the platform's published key document (``/.well-known/xinyong-keys.json``, or
``xinyong reports keys``); every key listed, current or retired, is accepted, so reports signed before a
key rotation still verify. It prints ``OK: …`` and exits 0, or ``FAIL: <reason>`` and exits 1 (2 for a
malformed command line). Offline it can tell whether the file is genuine and when it was issued; whether
its content is *still current* needs the platform (the verification URL printed on the report).

Format (docs/reports.md): a signed report is the PDF as rendered (``BODY``, ending in ``%%EOF``) followed
by one signature line and a second ``%%EOF``::

    BODY %XINYONG-REPORT-SIGNATURE {"format": "xinyong-report-signature/v1", ...}\\n%%EOF\\n

PDF readers treat the line as a comment after the end of the document. The Ed25519 signature covers
six ASCII lines, each ended by ``\\n``::

    xinyong-report/v1
    number=<report number: A-Z, 0-9 and '-'>
    issued_ms=<decimal milliseconds since 1970-01-01T00:00:00Z>
    pdf_sha256=<64 lowercase hex digits: SHA-256 of BODY>
    content_sha256=<64 lowercase hex digits: SHA-256 of the report's canonical content JSON>
    key_id=<16 lowercase hex digits: first 16 of SHA-256 of the raw public key>

so one changed byte anywhere in BODY changes ``pdf_sha256``, and one in the signature line breaks the
signature or its JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

STATEMENT_LINE = "xinyong-report/v1"
SIGNATURE_FORMAT = "xinyong-report-signature/v1"
MARKER = b"\n%XINYONG-REPORT-SIGNATURE "
TRAILER = b"\n%%EOF\n"
_NUMBER = re.compile(r"[A-Z0-9-]{1,32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")

KeyRing = Mapping[str, "Ed25519PublicKey"]


class VerificationFailed(Exception):
    """The file is not a genuine signed report; ``code`` says why in one word, the message in a sentence."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Statement:
    """What the platform vouches for when it signs a report."""

    number: str
    issued_ms: int
    pdf_sha256: str
    content_sha256: str
    key_id: str

    def __post_init__(self) -> None:
        if not _NUMBER.fullmatch(self.number):
            raise ValueError("number must be 1-32 of A-Z, 0-9 and '-'")
        if not isinstance(self.issued_ms, int) or isinstance(self.issued_ms, bool) or self.issued_ms < 0:
            raise ValueError("issued_ms must be a non-negative integer")
        for name in ("pdf_sha256", "content_sha256"):
            if not _HEX64.fullmatch(getattr(self, name)):
                raise ValueError(f"{name} must be 64 lowercase hex digits")
        if not _KEY_ID.fullmatch(self.key_id):
            raise ValueError("key_id must be 16 lowercase hex digits")

    def to_bytes(self) -> bytes:
        """The exact bytes that are signed (see the module docstring)."""
        return (
            f"{STATEMENT_LINE}\nnumber={self.number}\nissued_ms={self.issued_ms}\n"
            f"pdf_sha256={self.pdf_sha256}\ncontent_sha256={self.content_sha256}\nkey_id={self.key_id}\n"
        ).encode("ascii")

    @property
    def issued_at(self) -> datetime:
        return datetime.fromtimestamp(self.issued_ms / 1000, tz=UTC)


def signature_line(statement: Statement, signature: bytes) -> bytes:
    """The block appended to the PDF body: marker, compact JSON, a second end-of-file line."""
    block = {
        "format": SIGNATURE_FORMAT,
        "number": statement.number,
        "issued_ms": statement.issued_ms,
        "pdf_sha256": statement.pdf_sha256,
        "content_sha256": statement.content_sha256,
        "key_id": statement.key_id,
        "signature": signature.hex(),
    }
    return MARKER + json.dumps(block, separators=(",", ":"), sort_keys=True).encode("ascii") + TRAILER


def split(data: bytes) -> tuple[bytes, Statement, bytes]:
    """``(body, statement, signature)`` of a signed report; raises VerificationFailed if it has none."""
    at = data.rfind(MARKER)
    if at < 0 or not data.endswith(TRAILER):
        raise VerificationFailed("unsigned", "the file carries no xinyong report signature")
    body, raw = data[:at], data[at + len(MARKER) : -len(TRAILER)]
    try:
        block = json.loads(raw.decode("ascii"))
        if not isinstance(block, dict) or block.get("format") != SIGNATURE_FORMAT:
            raise ValueError(
                f"unknown signature format {block.get('format') if isinstance(block, dict) else ''}"
            )
        statement = Statement(
            str(block["number"]),
            block["issued_ms"],
            str(block["pdf_sha256"]),
            str(block["content_sha256"]),
            str(block["key_id"]),
        )
        signature = bytes.fromhex(str(block["signature"]))
    except (ValueError, KeyError, UnicodeDecodeError) as e:
        raise VerificationFailed("malformed", f"the signature block is malformed: {e}") from None
    return body, statement, signature


def check(data: bytes, keys: KeyRing) -> Statement:
    """The statement of a genuine report signed by a key in ``keys``; raises VerificationFailed otherwise."""
    body, statement, signature = split(data)
    if hashlib.sha256(body).hexdigest() != statement.pdf_sha256:
        raise VerificationFailed("modified", "the PDF was changed after it was signed (its digest differs)")
    key = keys.get(statement.key_id)
    if key is None or key_id(key) != statement.key_id:
        raise VerificationFailed(
            "unknown_key", f"the report is signed by key {statement.key_id}, which is not a platform key"
        )
    from cryptography.exceptions import InvalidSignature

    try:
        key.verify(signature, statement.to_bytes())
    except InvalidSignature:
        raise VerificationFailed("bad_signature", "the signature does not match the report") from None
    return statement


# --------------------------------------------------------------------------------------------------
# Keys


def key_id(public_key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def key_ring(document: object) -> dict[str, Ed25519PublicKey]:
    """``{key_id: key}`` from the published key document (``{"keys": [{"public_key": hex}, …]}``)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("a key document is a JSON object with a list 'keys'")
    ring: dict[str, Ed25519PublicKey] = {}
    for entry in document["keys"]:
        raw = entry.get("public_key") if isinstance(entry, dict) else None
        if not isinstance(raw, str):
            raise ValueError("every key needs 'public_key' (64 hex digits)")
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(raw))
        ring[key_id(key)] = key
    return ring


# --------------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m xinyong.reports.verify", description="Verify a signed xinyong credit report offline."
    )
    parser.add_argument("file", help="the report PDF")
    parser.add_argument("--keys", required=True, help="the published key document (xinyong-keys.json)")
    args = parser.parse_args(argv)
    try:
        with open(args.keys, encoding="utf-8") as f:
            ring = key_ring(json.load(f))
        with open(args.file, "rb") as f:
            data = f.read()
    except (OSError, ValueError) as e:
        print(f"FAIL: cannot read input: {e}")
        return 1
    try:
        statement = check(data, ring)
    except VerificationFailed as e:
        print(f"FAIL: {e.code}: {e.message}")
        return 1
    print(
        f"OK: genuine report {statement.number}, issued {statement.issued_at.isoformat(timespec='seconds')}, "
        f"signed by key {statement.key_id}. Whether it is still current can only be checked online."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
