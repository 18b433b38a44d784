"""The platform's Ed25519 signing key for tree heads, kept under ``<data_dir>/keys``, with rotation.

Layout of the directory::

    keys/signing.pem          the current private key (PKCS#8 PEM, mode 0600)
    keys/public/<key_id>.pem  the public key of every key the log has used, current and retired
    keys/keys.json            {"keys": [{"key_id", "public_key", "created_ms", "retired_ms"}, ...]}

The first call to ``KeyStore.signing_key()`` creates a key when there is none (an exclusive create,
so two processes starting at once end up with one key). ``rotate()`` makes a new key current and
retires the old one: its private key is deleted, its public key stays listed and published, so
heads signed before the rotation still verify. ``public_keys()`` is ``{key_id: raw hex}`` of all
keys, what ``/.well-known/xinyong-keys.json`` and ``xinyong audit keys`` publish.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from xinyong.audit import signing

__all__ = ["KeyInfo", "KeyStore"]

SIGNING_FILE = "signing.pem"
MANIFEST_FILE = "keys.json"
PUBLIC_DIR = "public"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class KeyInfo:
    """One key the log has used: id, raw public key (hex), when it was created and retired."""

    __slots__ = ("created_ms", "key_id", "public_key", "retired_ms")

    def __init__(self, key_id: str, public_key: str, created_ms: int, retired_ms: int | None) -> None:
        self.key_id = key_id
        self.public_key = public_key
        self.created_ms = created_ms
        self.retired_ms = retired_ms

    @property
    def current(self) -> bool:
        return self.retired_ms is None

    def to_json(self) -> dict[str, Any]:
        key = signing.load_public_key(bytes.fromhex(self.public_key))
        return {
            "key_id": self.key_id,
            "algorithm": "Ed25519",
            "public_key": self.public_key,
            "public_key_pem": signing.public_key_to_pem(key).decode("ascii"),
            "created_ms": self.created_ms,
            "retired_ms": self.retired_ms,
            "current": self.current,
        }


class KeyStore:
    """The signing key and the published public keys in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> KeyStore:
        return cls(Path(data_dir) / "keys")

    # -- private key ------------------------------------------------------------------------------

    @property
    def _signing_path(self) -> Path:
        return self.directory / SIGNING_FILE

    def exists(self) -> bool:
        return self._signing_path.exists()

    def signing_key(self) -> Ed25519PrivateKey:
        """The current private key, created on first use (and listed, if it was put there by hand)."""
        try:
            key = signing.load_private_key(self._signing_path.read_bytes())
        except FileNotFoundError:
            pass
        else:
            if signing.key_id(key.public_key()) not in self.public_keys():
                self._publish(key.public_key())
            return key
        self.directory.mkdir(parents=True, exist_ok=True)
        key = signing.generate_private_key()
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".signing.")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(signing.private_key_to_pem(key))
            os.link(tmp, self._signing_path)  # fails if another process created the key meanwhile
        except FileExistsError:
            return signing.load_private_key(self._signing_path.read_bytes())
        finally:
            Path(tmp).unlink(missing_ok=True)
        self._publish(key.public_key())
        return key

    def current_key_id(self) -> str:
        return signing.key_id(self.signing_key().public_key())

    def rotate(self) -> tuple[str | None, str]:
        """Make a new key current; return ``(old key id or None, new key id)``."""
        old = signing.load_private_key(self._signing_path.read_bytes()) if self.exists() else None
        old_id = signing.key_id(old.public_key()) if old else None
        self.directory.mkdir(parents=True, exist_ok=True)
        key = signing.generate_private_key()
        self._publish(key.public_key())
        _write_atomic(self._signing_path, signing.private_key_to_pem(key), mode=0o600)
        return old_id, signing.key_id(key.public_key())

    # -- public keys ------------------------------------------------------------------------------

    def _manifest(self) -> list[KeyInfo]:
        try:
            data = json.loads((self.directory / MANIFEST_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        return [
            KeyInfo(k["key_id"], k["public_key"], int(k["created_ms"]), k.get("retired_ms"))
            for k in data.get("keys", [])
        ]

    def _publish(self, public_key: Ed25519PublicKey) -> None:
        """List ``public_key`` as the current key; every other key is retired from now on."""
        kid = signing.key_id(public_key)
        public_dir = self.directory / PUBLIC_DIR
        public_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(public_dir / f"{kid}.pem", signing.public_key_to_pem(public_key))
        now = _now_ms()
        keys = [k for k in self._manifest() if k.key_id != kid]
        for k in keys:
            if k.retired_ms is None:
                k.retired_ms = now
        keys.append(KeyInfo(kid, signing.public_key_to_raw(public_key).hex(), now, None))
        body = {
            "keys": [
                {
                    "key_id": k.key_id,
                    "public_key": k.public_key,
                    "created_ms": k.created_ms,
                    "retired_ms": k.retired_ms,
                }
                for k in keys
            ]
        }
        _write_atomic(self.directory / MANIFEST_FILE, json.dumps(body, indent=2).encode())

    def known_keys(self) -> list[KeyInfo]:
        """Every key the log has used, oldest first; keys found only as ``public/*.pem`` included."""
        listed = self._manifest()
        known = {k.key_id for k in listed}
        public_dir = self.directory / PUBLIC_DIR
        extra: list[KeyInfo] = []
        if public_dir.is_dir():
            for path in sorted(public_dir.glob("*.pem")):
                key = signing.load_public_key(path.read_bytes())
                kid = signing.key_id(key)
                if kid not in known:
                    known.add(kid)
                    raw = signing.public_key_to_raw(key).hex()
                    stamp = int(path.stat().st_mtime * 1000)
                    extra.append(KeyInfo(kid, raw, stamp, stamp))
        return extra + listed

    def public_keys(self) -> dict[str, str]:
        """``{key_id: raw public key as hex}`` of every key, current and retired."""
        return {k.key_id: k.public_key for k in self.known_keys()}

    def key_ring(self) -> dict[str, Ed25519PublicKey]:
        """``{key_id: public key}`` for checking every head the log has signed."""
        return {kid: signing.load_public_key(bytes.fromhex(raw)) for kid, raw in self.public_keys().items()}

    def published(self) -> dict[str, Any]:
        """The JSON document of ``/.well-known/xinyong-keys.json``."""
        keys = self.known_keys()
        current = next((k.key_id for k in reversed(keys) if k.current), None)
        return {
            "format": "xinyong-keys/v1",
            "algorithm": "Ed25519",
            "key_id": "first 16 hex digits of SHA-256 of the raw 32-byte public key",
            "current": current,
            "keys": [k.to_json() for k in keys],
        }
