"""Signing reports with the platform's Ed25519 key (the audit log's key store, with its rotation).

The key, its rotation and the published key document (``/.well-known/xinyong-keys.json``) are those of
``xinyong.audit.keys``; the signed statement starts with its own format line (``xinyong-report/v1``),
so a report signature can never be taken for a tree-head signature or the other way round. The format
and the checks are in ``xinyong.reports.verify``, the standalone verifier, so there is one definition.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from xinyong.audit import signing as audit_signing
from xinyong.audit.keys import KeyStore
from xinyong.reports import verify
from xinyong.reports.verify import Statement, VerificationFailed

__all__ = ["SignedReport", "Statement", "VerificationFailed", "check", "sign"]


@dataclass(frozen=True)
class SignedReport:
    data: bytes  # the PDF with its signature block
    statement: Statement
    signature: bytes


def sign(
    body: bytes, number: str, issued_ms: int, content_sha256: str, key: Ed25519PrivateKey
) -> SignedReport:
    statement = Statement(
        number=number,
        issued_ms=issued_ms,
        pdf_sha256=hashlib.sha256(body).hexdigest(),
        content_sha256=content_sha256,
        key_id=audit_signing.key_id(key.public_key()),
    )
    signature = key.sign(statement.to_bytes())
    return SignedReport(body + verify.signature_line(statement, signature), statement, signature)


def check(data: bytes, keystore: KeyStore) -> Statement:
    """The statement of a genuine report signed by any key the platform has used; raises
    VerificationFailed (code: unsigned, malformed, modified, unknown_key, bad_signature)."""
    return verify.check(data, keystore.key_ring())
