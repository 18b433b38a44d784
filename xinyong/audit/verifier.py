"""Standalone verifier for xinyong audit-log proofs and signed tree heads.

Needs only the Python standard library, plus the ``cryptography`` package for signatures; it imports
nothing else from xinyong, so this one file can be copied out and run on its own::

    python -m xinyong.audit.verifier inclusion PROOF.json [--key PUB ...]
    python -m xinyong.audit.verifier consistency PROOF.json [--key PUB ...]
    python -m xinyong.audit.verifier sth STH.json --key PUB [--key PUB ...]

It prints ``OK: ...`` and exits 0, or ``FAIL: <reason>`` and exits 1 (2 for a malformed command line).
``--key`` names a file holding an Ed25519 public key (PEM, 32 raw bytes or 64 hex digits); give it once
per key the log has used, to verify across key rotations. The JSON formats are described in
``docs/audit-verifier.md``; ``inclusion_bundle`` and ``consistency_bundle`` below build them.

The hashing (RFC 6962: ``SHA-256(0x00 || entry)`` for leaves, ``SHA-256(0x01 || left || right)`` for
nodes) and the proof checks (RFC 9162 sections 2.1.3.2 and 2.1.4.2) are written out again here rather
than imported, deliberately; the test suite checks them against ``xinyong.audit.merkle``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import re
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

INCLUSION_FORMAT = "xinyong-inclusion-proof/v1"
CONSISTENCY_FORMAT = "xinyong-consistency-proof/v1"
STH_FORMAT = "xinyong-signed-tree-head/v1"
TREE_HEAD_LINE = "xinyong-tree-head/v1"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_KEY_ID = re.compile(r"[0-9a-f]{16}")

KeyRing = Mapping[str, "Ed25519PublicKey"]


class VerificationFailed(Exception):
    """The bundle is malformed or does not verify; the message says why."""


# --------------------------------------------------------------------------------------------------
# RFC 6962 hashing and RFC 9162 verification


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root that ``proof`` leads to from ``leaf`` at ``index``, or None if its shape is wrong."""
    if not 0 <= index < size or any(len(p) != HASH_SIZE for p in proof) or len(leaf) != HASH_SIZE:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    r = root_from_inclusion_proof(leaf, index, size, proof)
    return r is not None and hmac.compare_digest(r, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    if any(len(h) != HASH_SIZE for h in (old_root, new_root, *proof)) or not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return (
            not proof and hmac.compare_digest(old_root, EMPTY_ROOT) and (new_size > 0 or old_root == new_root)
        )
    if old_size == new_size:
        return not proof and hmac.compare_digest(old_root, new_root)
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)


# --------------------------------------------------------------------------------------------------
# Signed tree heads


def tree_head_bytes(size: int, root: bytes, timestamp_ms: int, key_id: str) -> bytes:
    """The signed bytes, version 1 (``xinyong.audit.signing.canonical_bytes``)."""
    return (
        f"{TREE_HEAD_LINE}\nsize={size}\nroot={root.hex()}\ntimestamp_ms={timestamp_ms}\nkey_id={key_id}\n"
    ).encode("ascii")


def _ed25519() -> type[Ed25519PublicKey]:
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:  # pragma: no cover - depends on the machine running the copy
        raise VerificationFailed(
            "checking signatures needs the 'cryptography' package (pip install cryptography)"
        ) from None
    return Ed25519PublicKey


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from SubjectPublicKeyInfo PEM, 32 raw bytes or 64 hex digits."""
    cls = _ed25519()
    stripped = data.strip()
    try:
        if stripped.startswith(b"-----"):
            from cryptography.hazmat.primitives.serialization import load_pem_public_key

            key = load_pem_public_key(stripped)
            if not isinstance(key, cls):
                raise VerificationFailed("the public key is not an Ed25519 key")
            return key
        if len(data) == HASH_SIZE:
            return cls.from_public_bytes(data)
        if len(stripped) == 2 * HASH_SIZE:
            return cls.from_public_bytes(bytes.fromhex(stripped.decode("ascii")))
    except (ValueError, UnicodeDecodeError) as e:
        raise VerificationFailed(f"unreadable public key: {e}") from None
    raise VerificationFailed("a public key must be PEM, 32 raw bytes or 64 hex digits")


def key_id(public_key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return hashlib.sha256(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def check_signed_tree_head(sth: object, keys: KeyRing, where: str = "signed tree head") -> tuple[int, bytes]:
    """Check a signed tree head object against the key ring; return its (size, root)."""
    _ed25519()  # fail with a clear message where cryptography is missing
    from cryptography.exceptions import InvalidSignature

    obj = _object(sth, where)
    fmt = obj.get("format", STH_FORMAT)
    if fmt != STH_FORMAT:
        raise VerificationFailed(f"{where}: unknown format {fmt!r}")
    size = _int(obj, "size", where)
    root = _hash(obj, "root", where)
    timestamp_ms = _int(obj, "timestamp_ms", where)
    kid = _str(obj, "key_id", where)
    if not _KEY_ID.fullmatch(kid):
        raise VerificationFailed(f"{where}: key_id must be 16 lowercase hex digits")
    signature = _hex(obj, "signature", where)
    key = keys.get(kid)
    if key is None:
        known = ", ".join(sorted(keys)) or "none"
        raise VerificationFailed(f"{where}: signed by unknown key {kid} (known keys: {known})")
    if key_id(key) != kid:
        raise VerificationFailed(f"{where}: the key filed under {kid} has id {key_id(key)}")
    try:
        key.verify(signature, tree_head_bytes(size, root, timestamp_ms, kid))
    except InvalidSignature:
        raise VerificationFailed(f"{where}: the signature does not match (key {kid})") from None
    return size, root


# --------------------------------------------------------------------------------------------------
# JSON field readers


def _object(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise VerificationFailed(f"{where}: expected a JSON object")
    return value


def _field(obj: Mapping[str, object], name: str, where: str) -> object:
    if name not in obj:
        raise VerificationFailed(f"{where}: missing field {name!r}")
    return obj[name]


def _int(obj: Mapping[str, object], name: str, where: str) -> int:
    value = _field(obj, name, where)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise VerificationFailed(f"{where}: {name} must be a non-negative integer")
    return value


def _str(obj: Mapping[str, object], name: str, where: str) -> str:
    value = _field(obj, name, where)
    if not isinstance(value, str):
        raise VerificationFailed(f"{where}: {name} must be a string")
    return value


def _hex_value(value: object, name: str, where: str, size: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise VerificationFailed(f"{where}: {name} must be a hex string")
    try:
        out = bytes.fromhex(value)
    except ValueError:
        raise VerificationFailed(f"{where}: {name} is not hexadecimal") from None
    if size is not None and len(out) != size:
        raise VerificationFailed(f"{where}: {name} must be {size} bytes, got {len(out)}")
    return out


def _hex(obj: Mapping[str, object], name: str, where: str) -> bytes:
    return _hex_value(_field(obj, name, where), name, where)


def _hash(obj: Mapping[str, object], name: str, where: str) -> bytes:
    return _hex_value(_field(obj, name, where), name, where, HASH_SIZE)


def _hashes(obj: Mapping[str, object], name: str, where: str) -> list[bytes]:
    value = _field(obj, name, where)
    if not isinstance(value, list):
        raise VerificationFailed(f"{where}: {name} must be a list of hex hashes")
    return [_hex_value(v, f"{name}[{i}]", where, HASH_SIZE) for i, v in enumerate(value)]


def _bundle_keys(bundle: Mapping[str, object], keys: KeyRing | None, where: str) -> tuple[KeyRing, str]:
    """Keys to check the bundle's signed tree heads with: the caller's, else the bundle's own key
    (with a warning: a key carried by the bundle proves only that the bundle is self-consistent)."""
    if keys:
        return keys, ""
    if "public_key" in bundle:
        key = load_public_key(_str(bundle, "public_key", where).encode("ascii"))
        warning = (
            " (WARNING: signature checked against the key inside the bundle;"
            " pin the platform's key with --key)"
        )
        return {key_id(key): key}, warning
    raise VerificationFailed(f"{where}: has a signed tree head but no key to check it; pass --key")


def _format(bundle: Mapping[str, object], expected: str, where: str) -> None:
    fmt = bundle.get("format")
    if fmt != expected:
        raise VerificationFailed(f"{where}: format must be {expected!r}, got {fmt!r}")


# --------------------------------------------------------------------------------------------------
# Bundles


def check_inclusion(data: object, keys: KeyRing | None = None) -> str:
    """Verify an inclusion proof bundle; return the OK message or raise ``VerificationFailed``."""
    where = "inclusion proof"
    bundle = _object(data, where)
    _format(bundle, INCLUSION_FORMAT, where)
    index = _int(bundle, "leaf_index", where)
    size = _int(bundle, "tree_size", where)
    root = _hash(bundle, "root", where)
    proof = _hashes(bundle, "proof", where)
    leaf: bytes | None = None
    if "entry_base64" in bundle:
        try:
            entry = base64.b64decode(_str(bundle, "entry_base64", where), validate=True)
        except binascii.Error:
            raise VerificationFailed(f"{where}: entry_base64 is not base64") from None
        leaf = leaf_hash(entry)
    if "leaf_hash" in bundle:
        given = _hash(bundle, "leaf_hash", where)
        if leaf is not None and given != leaf:
            raise VerificationFailed(f"{where}: leaf_hash is not the hash of entry_base64")
        leaf = given
    if leaf is None:
        raise VerificationFailed(f"{where}: needs leaf_hash or entry_base64")
    if index >= size:
        raise VerificationFailed(f"{where}: leaf_index {index} is not in a tree of size {size}")
    if not verify_inclusion(leaf, index, size, proof, root):
        raise VerificationFailed(
            f"{where}: the proof does not lead from leaf {index} to the root (tree size {size})"
        )
    note = _check_heads(bundle, keys, where, [("signed_tree_head", size, root)])
    return f"leaf {index} ({leaf.hex()}) is in the tree of size {size} with root {root.hex()}{note}"


def check_consistency(data: object, keys: KeyRing | None = None) -> str:
    """Verify a consistency proof bundle; return the OK message or raise ``VerificationFailed``."""
    where = "consistency proof"
    bundle = _object(data, where)
    _format(bundle, CONSISTENCY_FORMAT, where)
    old_size = _int(bundle, "old_size", where)
    new_size = _int(bundle, "new_size", where)
    old_root = _hash(bundle, "old_root", where)
    new_root = _hash(bundle, "new_root", where)
    proof = _hashes(bundle, "proof", where)
    if old_size > new_size:
        raise VerificationFailed(f"{where}: old_size {old_size} is larger than new_size {new_size}")
    if not verify_consistency(old_size, new_size, old_root, new_root, proof):
        raise VerificationFailed(
            f"{where}: the tree of size {old_size} is not shown to be a prefix of the tree of size {new_size}"
        )
    heads = [("old_signed_tree_head", old_size, old_root), ("new_signed_tree_head", new_size, new_root)]
    note = _check_heads(bundle, keys, where, heads)
    return (
        f"the tree of size {old_size} (root {old_root.hex()}) is a prefix of the tree of size"
        f" {new_size} (root {new_root.hex()}){note}"
    )


def _check_heads(
    bundle: Mapping[str, object], keys: KeyRing | None, where: str, heads: list[tuple[str, int, bytes]]
) -> str:
    present = [h for h in heads if h[0] in bundle]
    if not present:
        if keys:
            raise VerificationFailed(f"{where}: no signed tree head to check against --key")
        return " (root not signed: the bundle carries no signed tree head)"
    ring, note = _bundle_keys(bundle, keys, where)
    for name, size, root in present:
        signed_size, signed_root = check_signed_tree_head(bundle[name], ring, f"{where}: {name}")
        if signed_size != size or signed_root != root:
            raise VerificationFailed(
                f"{where}: {name} signs size {signed_size} root {signed_root.hex()}, not the proof's"
                f" size {size} root {root.hex()}"
            )
    return f"; signed tree head verified{note}"


def check_sth(data: object, keys: KeyRing) -> str:
    size, root = check_signed_tree_head(data, keys)
    return f"signed tree head for size {size} with root {root.hex()} is valid"


def inclusion_bundle(
    *,
    leaf_index: int,
    tree_size: int,
    proof: Sequence[bytes],
    root: bytes,
    leaf_hash: bytes | None = None,
    entry: bytes | None = None,
    signed_tree_head: Mapping[str, object] | None = None,
    public_key: str | None = None,
) -> dict[str, object]:
    """Build an inclusion proof bundle (give ``leaf_hash``, ``entry`` or both)."""
    out: dict[str, object] = {"format": INCLUSION_FORMAT, "leaf_index": leaf_index, "tree_size": tree_size}
    if leaf_hash is None and entry is None:
        raise ValueError("give leaf_hash or entry")
    if leaf_hash is not None:
        out["leaf_hash"] = leaf_hash.hex()
    if entry is not None:
        out["entry_base64"] = base64.b64encode(entry).decode("ascii")
    out["proof"] = [p.hex() for p in proof]
    out["root"] = root.hex()
    if signed_tree_head is not None:
        out["signed_tree_head"] = dict(signed_tree_head)
    if public_key is not None:
        out["public_key"] = public_key
    return out


def consistency_bundle(
    *,
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
    old_signed_tree_head: Mapping[str, object] | None = None,
    new_signed_tree_head: Mapping[str, object] | None = None,
    public_key: str | None = None,
) -> dict[str, object]:
    """Build a consistency proof bundle."""
    out: dict[str, object] = {
        "format": CONSISTENCY_FORMAT,
        "old_size": old_size,
        "new_size": new_size,
        "old_root": old_root.hex(),
        "new_root": new_root.hex(),
        "proof": [p.hex() for p in proof],
    }
    if old_signed_tree_head is not None:
        out["old_signed_tree_head"] = dict(old_signed_tree_head)
    if new_signed_tree_head is not None:
        out["new_signed_tree_head"] = dict(new_signed_tree_head)
    if public_key is not None:
        out["public_key"] = public_key
    return out


# --------------------------------------------------------------------------------------------------
# Command line


def _read_json(path: str) -> object:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise VerificationFailed(f"cannot read {path}: {e.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise VerificationFailed(f"{path} is not JSON: {e}") from None


def _read_keys(paths: Sequence[str]) -> dict[str, Ed25519PublicKey]:
    ring: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise VerificationFailed(f"cannot read key {path}: {e.strerror}") from None
        key = load_public_key(data)
        ring[key_id(key)] = key
    return ring


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m xinyong.audit.verifier",
        description="Verify xinyong audit-log proofs and signed tree heads. Prints OK or FAIL; exit 0 or 1.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, what in (
        ("inclusion", "an inclusion proof bundle"),
        ("consistency", "a consistency proof bundle"),
        ("sth", "a signed tree head"),
    ):
        p = sub.add_parser(name, help=f"verify {what} (JSON file)")
        p.add_argument("file", help="JSON file")
        p.add_argument(
            "--key",
            action="append",
            default=[],
            required=name == "sth",
            help="Ed25519 public key file (PEM, raw or hex); repeat for every key the log has used",
        )
    args = parser.parse_args(argv)
    try:
        keys = _read_keys(args.key)
        data = _read_json(args.file)
        if args.command == "inclusion":
            message = check_inclusion(data, keys)
        elif args.command == "consistency":
            message = check_consistency(data, keys)
        else:
            message = check_sth(data, keys)
    except VerificationFailed as e:
        print(f"FAIL: {e}")
        return 1
    print(f"OK: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
