"""The tamper-evident audit log: an append-only RFC 6962 / RFC 9162 Merkle tree (``merkle``), signed
tree heads (``signing``) and a standalone verifier (``verifier``, standard library + ``cryptography``)."""
