"""Audit log endpoints: signed tree heads, public keys, inclusion and consistency proofs.

Everything here reveals hashes only (an inclusion proof carries the leaf hash, not the entry), so the
endpoints are public; the bundles are the JSON formats of ``docs/audit-verifier.md``, checked by
``python -m xinyong.audit.verifier``. Include ``router`` and ``well_known`` in the app.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from xinyong.api.deps import operator, platform
from xinyong.audit import log
from xinyong.audit.keys import KeyStore
from xinyong.services.platform import Platform

router = APIRouter(prefix="/api/v1/audit", tags=["audit 审计日志"])
well_known = APIRouter(tags=["audit 审计日志"])


def _keystore(p: Platform) -> KeyStore:
    return KeyStore.for_data_dir(p.settings.data_dir)


def _with_key(sth: Any, keystore: KeyStore) -> dict[str, Any]:
    body: dict[str, Any] = sth.to_json()
    body["public_key"] = keystore.public_keys().get(sth.head.key_id)
    return body


@router.get("/tree-head", summary="The latest signed tree head 最新签名树头")
def tree_head(p: Platform = Depends(platform)) -> dict[str, Any]:
    """The newest signed head of the log (size, root, timestamp, key id, Ed25519 signature). A fresh
    head is signed when the log has grown and the newest head is older than the publication interval."""
    keystore = _keystore(p)
    return _with_key(log.current_head(p.store, keystore), keystore)


@router.post("/tree-head", summary="Sign a tree head now 立即签发树头", dependencies=[Depends(operator)])
def sign_tree_head(p: Platform = Depends(platform)) -> dict[str, Any]:
    keystore = _keystore(p)
    return _with_key(log.sign_head(p.store, keystore.signing_key()), keystore)


@router.get("/keys", summary="Public keys of the log, current and retired 公钥")
def keys(p: Platform = Depends(platform)) -> dict[str, Any]:
    return _keystore(p).published()


@well_known.get("/.well-known/xinyong-keys.json", summary="Public keys of the audit log 审计日志公钥")
def well_known_keys(p: Platform = Depends(platform)) -> dict[str, Any]:
    return _keystore(p).published()


@router.get("/proof/{seq}", summary="Inclusion proof of one event 包含性证明")
def proof(seq: int, p: Platform = Depends(platform)) -> dict[str, object]:
    """An inclusion proof bundle (``xinyong-inclusion-proof/v1``) for event ``seq`` against a signed
    head (signed now if no signed head covers the event yet)."""
    return log.signed_inclusion_proof(p.store, seq, _keystore(p))


@router.get("/consistency", summary="Consistency proof between two tree sizes 一致性证明")
def consistency(
    old: int = Query(..., ge=0, description="The earlier tree size."),
    new: int | None = Query(None, ge=0, description="The later tree size (default: the newest signed head)."),
    p: Platform = Depends(platform),
) -> dict[str, object]:
    return log.consistency_proof(p.store, old, new, public_keys=_keystore(p).public_keys())
