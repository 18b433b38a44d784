"""The audit log's Merkle tree, signed tree heads and standalone verifier.

The fixed vectors are the RFC 6962 test vectors as published with Certificate Transparency and carried
by transparency-dev/merkle (``proof/verify_test.go``: leaves, roots for sizes 1..8, inclusion and
consistency proofs; ``rfc6962/rfc6962_test.go``: the hasher). Published inclusion vectors number leaves
from 1; here they are converted to 0-based indices.
"""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinyong.audit import merkle, signing, verifier
from xinyong.audit.merkle import (
    EMPTY_ROOT,
    MemoryTreeStore,
    MerkleAccumulator,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    tree_consistency_proof,
    tree_inclusion_proof,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

ROOT_DIR = Path(__file__).resolve().parents[1]
HYPO = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def h(x: str) -> bytes:
    return bytes.fromhex(x)


LEAVES = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657")] + [
    h("606162636465666768696a6b6c6d6e6f")
]
LEAF_HASHES = [leaf_hash(x) for x in LEAVES]
ROOTS = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
# (0-based leaf index, tree size, proof)
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]
# (old size, new size, proof)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]
Keys = tuple[Ed25519PrivateKey, Ed25519PrivateKey]
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


# --------------------------------------------------------------------------------------------------
# An independent, literal transcription of RFC 6962 section 2.1 (recursive, O(n)), for cross-checks.


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def hashes(n: int, salt: int = 0) -> list[bytes]:
    return [leaf_hash(f"entry {salt}/{i}".encode()) for i in range(n)]


def flip(b: bytes, pos: int = 0, mask: int = 8) -> bytes:
    return b[:pos] + bytes([b[pos] ^ mask]) + b[pos + 1 :]


# --------------------------------------------------------------------------------------------------
# Published vectors


def test_hasher_vectors() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert (
        node_hash(b"N123", b"N456").hex()
        == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_published_tree(size: int) -> None:
    assert root(LEAF_HASHES[:size]) == ROOTS[size - 1]
    store = MemoryTreeStore()
    store.extend(LEAF_HASHES)
    assert tree_root(store, size) == ROOTS[size - 1]


def corrupt_inclusion(
    index: int, size: int, proof: list[bytes], rt: bytes, leaf: bytes
) -> list[tuple[Any, ...]]:
    """The corruptions of transparency-dev/merkle's verifier tests: each must fail."""
    probes: list[tuple[Any, ...]] = [
        (leaf, index - 1, size, proof, rt),
        (leaf, index + 1, size, proof, rt),
        (leaf, index ^ 2, size, proof, rt),
        (leaf, index, size * 2, proof, rt),
        (leaf, index, size // 2, proof, rt),
        (leaf_hash(b"WrongLeaf"), index, size, proof, rt),
        (b"WrongLeaf", index, size, proof, rt),
        (leaf, index, size, proof, EMPTY_ROOT),
        (leaf, index, size, proof, SOME_HASH),
        (leaf, index, size, [*proof, b""], rt),
        (leaf, index, size, [*proof, rt], rt),
        (leaf, index, size, [b"", *proof], rt),
        (leaf, index, size, [rt, *proof], rt),
    ]
    for i in range(len(proof)):
        probes.append((leaf, index, size, [*proof[:i], flip(proof[i]), *proof[i + 1 :]], rt))
    if proof:
        probes.append((leaf, index, size, proof[:-1], rt))
    if len(proof) > 1:
        probes.append((leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], rt))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_vectors(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(LEAF_HASHES, index, size) == proof
    store = MemoryTreeStore()
    store.extend(LEAF_HASHES)
    assert tree_inclusion_proof(store, index, size) == proof
    leaf, rt = LEAF_HASHES[index], ROOTS[size - 1]
    assert verify_inclusion(leaf, index, size, proof, rt)
    assert verifier.verify_inclusion(leaf, index, size, proof, rt)
    for probe in corrupt_inclusion(index, size, proof, rt, leaf):
        assert not verify_inclusion(*probe), probe
        assert not verifier.verify_inclusion(*probe), probe


def corrupt_consistency(m: int, n: int, r1: bytes, r2: bytes, proof: list[bytes]) -> list[tuple[Any, ...]]:
    probes: list[tuple[Any, ...]] = [
        (m - 1, n, r1, r2, proof),
        (m + 1, n, r1, r2, proof),
        (m ^ 2, n, r1, r2, proof),
        (m, n * 2, r1, r2, proof),
        (m, n // 2, r1, r2, proof),
        (m, n, b"WrongRoot", r2, proof),
        (m, n, r1, b"WrongRoot", proof),
        (m, n, SOME_HASH, r2, proof),
        (m, n, r1, SOME_HASH, proof),
        (m, n, r2, r1, proof),
        (m, n, r1, r2, []),
        (m, n, r1, r2, [*proof, b""]),
        (m, n, r1, r2, [*proof, r1]),
        (m, n, r1, r2, [*proof, r2]),
        (m, n, r1, r2, [b"", *proof]),
        (m, n, r1, r2, [r1, *proof]),
        (m, n, r1, r2, [r2, *proof]),
        (m, n, r1, r2, [proof[0], *proof]),
        (m, n, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        probes.append((m, n, r1, r2, [*proof[:i], flip(proof[i], 0, 16), *proof[i + 1 :]]))
    return probes


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_consistency_vectors(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof(LEAF_HASHES, old, new) == proof
    store = MemoryTreeStore()
    store.extend(LEAF_HASHES)
    assert tree_consistency_proof(store, old, new) == proof
    r1, r2 = ROOTS[old - 1], ROOTS[new - 1]
    assert verify_consistency(old, new, r1, r2, proof)
    assert verifier.verify_consistency(old, new, r1, r2, proof)
    if proof:
        for probe in corrupt_consistency(old, new, r1, r2, proof):
            assert not verify_consistency(*probe), probe
            assert not verifier.verify_consistency(*probe), probe


# --------------------------------------------------------------------------------------------------
# Edge cases


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1), (-1, 1), (1, 1)])
def test_inclusion_rejects_impossible_positions(index: int, size: int) -> None:
    for leaf, rt in ((SOME_HASH, EMPTY_ROOT), (EMPTY_ROOT, SOME_HASH), (SOME_HASH, b"")):
        assert not verify_inclusion(leaf, index, size, [], rt)
    if size == 1 and index != 0:
        assert not verify_inclusion(SOME_HASH, index, size, [], SOME_HASH)


def test_single_entry_tree() -> None:
    one = leaf_hash(b"data")
    assert verify_inclusion(one, 0, 1, [], one)
    assert not verify_inclusion(one, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], one)
    assert not verify_inclusion(b"", 0, 1, [], b"")
    assert not verify_inclusion(one, 0, 1, [one], one)  # proof too long


def test_consistency_edge_cases() -> None:
    r1, r2 = ROOTS[0], ROOTS[1]
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[4], [])
    assert not verify_consistency(0, 5, r1, ROOTS[4], [])  # size 0 has exactly one root
    assert not verify_consistency(0, 0, EMPTY_ROOT, r1, [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, ROOTS[4], [EMPTY_ROOT])
    assert verify_consistency(1, 1, r1, r1, [])
    assert not verify_consistency(1, 1, r1, r2, [])
    assert not verify_consistency(1, 1, r1, r1, [EMPTY_ROOT])
    assert not verify_consistency(1, 0, r1, r2, [])
    assert not verify_consistency(2, 1, r2, r1, [])
    assert not verify_consistency(1, 2, r1, r2, [])
    assert not verify_consistency(-1, 2, r1, r2, [])
    assert verify_consistency(1, 2, r1, r2, [LEAF_HASHES[1]])
    assert not verify_consistency(1, 2, r1, r2, [LEAF_HASHES[1][:31]])


def test_wrong_types_raise_but_malformed_proofs_do_not() -> None:
    leaf, rt = LEAF_HASHES[0], ROOTS[1]
    with pytest.raises(TypeError):
        verify_inclusion(leaf.hex(), 0, 2, [LEAF_HASHES[1]], rt)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        verify_inclusion(leaf, 0, 2, [LEAF_HASHES[1].hex()], rt)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        verify_inclusion(leaf, 0, 2, LEAF_HASHES[1], rt)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        verify_inclusion(leaf, 0.0, 2, [LEAF_HASHES[1]], rt)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        verify_consistency(1, 2, ROOTS[0], rt, "proof")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        verify_consistency(1, True, ROOTS[0], rt, [])
    # bytearray is accepted at run time, though the signature says bytes
    assert verify_inclusion(bytearray(leaf), 0, 2, (bytearray(LEAF_HASHES[1]),), bytearray(rt))  # type: ignore[arg-type]
    assert not verify_inclusion(leaf, 0, 2, [b"\x00" * 33], rt)
    assert not verify_inclusion(leaf, 0, 2, [b""], rt)


def test_proof_generation_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, 8, 8)
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, 0, 9)
    with pytest.raises(ValueError):
        inclusion_proof(LEAF_HASHES, -1, 4)
    with pytest.raises(ValueError):
        consistency_proof(LEAF_HASHES, 5, 4)
    with pytest.raises(ValueError):
        consistency_proof(LEAF_HASHES, 1, 9)
    assert consistency_proof(LEAF_HASHES, 0, 8) == []
    assert consistency_proof(LEAF_HASHES, 8, 8) == []
    with pytest.raises(ValueError):
        tree_root(MemoryTreeStore(), 1)
    assert tree_root(MemoryTreeStore()) == EMPTY_ROOT


# --------------------------------------------------------------------------------------------------
# Properties


@HYPO
@given(size=st.integers(1, 300), data=st.data())
def test_every_inclusion_proof_verifies_and_any_change_fails(size: int, data: st.DataObject) -> None:
    leaves = hashes(size, size)
    store = MemoryTreeStore()
    store.extend(leaves)
    rt = store.root()
    assert rt == ref_mth(leaves)
    for index in range(size):
        proof = tree_inclusion_proof(store, index, size)
        assert verify_inclusion(leaves[index], index, size, proof, rt)
        assert verifier.verify_inclusion(leaves[index], index, size, proof, rt)
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = tree_inclusion_proof(store, index, size)
    assert proof == ref_path(index, leaves) == inclusion_proof(leaves, index, size)
    pos = data.draw(st.integers(0, 31), label="byte")
    mask = data.draw(st.integers(1, 255), label="xor")
    leaf = leaves[index]
    assert not verify_inclusion(flip(leaf, pos, mask), index, size, proof, rt)
    assert not verify_inclusion(leaf, index, size, proof, flip(rt, pos, mask))
    for i in range(len(proof)):
        bad = [*proof[:i], flip(proof[i], pos, mask), *proof[i + 1 :]]
        assert not verify_inclusion(leaf, index, size, bad, rt)
    for other in {0, index - 1, index + 1, size - 1, data.draw(st.integers(0, 2 * size), label="other")}:
        if other != index:
            assert not verify_inclusion(leaf, other, size, proof, rt)
    # A proof does not pin the tree size (size 3 and 4 share the proofs of leaves 0 and 1: that is what
    # the signed tree head is for), but a size that implies a proof of another length must fail.
    for other_size in {index, size - 1, size + 1, size // 2, 2 * size}:
        if other_size <= index or len(
            tree_inclusion_proof(CountingSource(other_size), index, other_size)
        ) != len(proof):
            assert not verify_inclusion(leaf, index, other_size, proof, rt)


@HYPO
@given(size=st.integers(1, 300), data=st.data())
def test_every_consistency_proof_verifies_and_tampering_fails(size: int, data: st.DataObject) -> None:
    leaves = hashes(size, size)
    store = MemoryTreeStore()
    roots = [EMPTY_ROOT]
    for x in leaves:
        store.append(x)
        roots.append(store.root())
    for old in range(1, size + 1):
        proof = tree_consistency_proof(store, old, size)
        assert verify_consistency(old, size, roots[old], roots[size], proof), old
        assert verifier.verify_consistency(old, size, roots[old], roots[size], proof)
    old = data.draw(st.integers(1, size), label="old")
    new = data.draw(st.integers(old, size), label="new")
    proof = tree_consistency_proof(store, old, new)
    assert proof == ([] if old == new else ref_subproof(old, leaves[:new], True))
    assert proof == consistency_proof(leaves, old, new)
    r1, r2 = roots[old], roots[new]
    assert verify_consistency(old, new, r1, r2, proof)
    pos = data.draw(st.integers(0, 31), label="byte")
    mask = data.draw(st.integers(1, 255), label="xor")
    assert not verify_consistency(old, new, flip(r1, pos, mask), r2, proof)
    assert not verify_consistency(old, new, r1, flip(r2, pos, mask), proof)
    for i in range(len(proof)):
        bad = [*proof[:i], flip(proof[i], pos, mask), *proof[i + 1 :]]
        assert not verify_consistency(old, new, r1, r2, bad)
        assert not verifier.verify_consistency(old, new, r1, r2, bad)
    if proof:
        for probe in corrupt_consistency(old, new, r1, r2, proof):
            assert not verify_consistency(*probe), probe


@HYPO
@given(size=st.integers(0, 300), cut=st.integers(0, 300))
def test_accumulator_root_after_every_append_and_restore(size: int, cut: int) -> None:
    leaves = hashes(size, 7)
    acc = MerkleAccumulator()
    assert acc.root() == EMPTY_ROOT
    cut = min(cut, size)
    for i, x in enumerate(leaves[:cut]):
        acc.append(x)
        assert acc.size == i + 1
        assert acc.root() == ref_mth(leaves[: i + 1])
    state = json.loads(json.dumps(acc.to_dict()))
    assert [tuple(x) for x in state["frontier"]] == [(hh, v.hex()) for hh, v in acc.frontier()]
    assert sum(1 << hh for hh, _ in acc.frontier()) == cut
    resumed = MerkleAccumulator.from_dict(state)
    also = MerkleAccumulator.from_frontier(acc.frontier(), cut)
    assert resumed.root() == also.root() == acc.root()
    for i, x in enumerate(leaves[cut:], start=cut):
        resumed.append(x)
        also.append(x)
        assert resumed.root() == also.root() == ref_mth(leaves[: i + 1])
    assert resumed.size == size


def test_accumulator_rejects_bad_input() -> None:
    acc = MerkleAccumulator()
    with pytest.raises(ValueError):
        acc.append(b"short")
    with pytest.raises(TypeError):
        acc.append("00" * 32)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        MerkleAccumulator.from_frontier([(0, SOME_HASH), (1, SOME_HASH)])  # heights must decrease
    with pytest.raises(ValueError):
        MerkleAccumulator.from_frontier([(1, SOME_HASH)], size=3)
    with pytest.raises(ValueError):
        MerkleAccumulator.from_frontier([(1, b"x")])
    assert merkle.CompactRange is MerkleAccumulator


def test_on_node_reports_every_perfect_subtree() -> None:
    seen: list[tuple[int, int, bytes]] = []
    acc = MerkleAccumulator(lambda level, index, hh: seen.append((level, index, hh)))
    leaves = hashes(13)
    acc.extend(leaves)
    assert len(seen) == 13 + 6 + 3 + 1  # leaves, pairs, fours, eights
    for level, index, hh in seen:
        assert hh == ref_mth(leaves[index << level : (index + 1) << level])


class CountingSource:
    """A NodeSource of arbitrary hashes that counts reads (proof shape and cost only)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.reads = 0

    def subtree_root(self, level: int, index: int) -> bytes:
        assert (index + 1) << level <= self.size
        self.reads += 1
        return hashlib.sha256(f"{level}/{index}".encode()).digest()


@pytest.mark.parametrize("size", [10_000_000, 2**40 + 12345, 2**23])
def test_proofs_read_logarithmically_many_nodes(size: int) -> None:
    bound = 2 * size.bit_length() + 1
    for index in (0, 1, size // 3, size - 2, size - 1):
        src = CountingSource(size)
        proof = tree_inclusion_proof(src, index, size)
        assert len(proof) <= size.bit_length()
        assert src.reads <= bound
    for old in (1, 2, size // 3, size // 2, size - 1):
        src = CountingSource(size)
        tree_consistency_proof(src, old, size)
        assert src.reads <= bound


def test_store_proofs_at_earlier_sizes_match() -> None:
    leaves = hashes(1100)
    store = MemoryTreeStore()
    store.extend(leaves)
    assert store.leaf_hashes(5, 9) == leaves[5:9]
    for size in (1, 2, 3, 511, 512, 513, 1024, 1099, 1100):
        rt = tree_root(store, size)
        assert rt == root(leaves[:size])
        for index in {0, size // 2, size - 1}:
            proof = tree_inclusion_proof(store, index, size)
            assert proof == inclusion_proof(leaves, index, size)
            assert verify_inclusion(leaves[index], index, size, proof, rt)
        for old in {1, size // 2, size - 1}:
            if 0 < old < size:
                proof = tree_consistency_proof(store, old, size)
                assert verify_consistency(old, size, tree_root(store, old), rt, proof)
    with pytest.raises(IndexError):
        store.subtree_root(11, 0)


# --------------------------------------------------------------------------------------------------
# Signed tree heads


@pytest.fixture(scope="module")
def keys() -> Keys:
    return signing.generate_private_key(), signing.generate_private_key()


def test_canonical_bytes_are_exact_and_shared_with_the_verifier() -> None:
    head = signing.TreeHead(8, ROOTS[7], 1767225600000, "0123456789abcdef")
    expected = (
        b"xinyong-tree-head/v1\nsize=8\n"
        b"root=5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328\n"
        b"timestamp_ms=1767225600000\nkey_id=0123456789abcdef\n"
    )
    assert signing.canonical_bytes(head) == expected
    assert verifier.tree_head_bytes(8, ROOTS[7], 1767225600000, "0123456789abcdef") == expected


def test_sign_and_verify(keys: Keys) -> None:
    key, other = keys
    pub = key.public_key()
    head = signing.TreeHead.for_key(8, ROOTS[7], 1767225600000, pub)
    assert head.key_id == hashlib.sha256(signing.public_key_to_raw(pub)).hexdigest()[:16]
    sth = signing.sign_tree_head(key, head)
    assert signing.verify_tree_head(pub, sth)
    assert signing.verify_tree_head(signing.key_ring(pub), sth)
    assert signing.SignedTreeHead.from_json(json.loads(json.dumps(sth.to_json()))) == sth
    tampered = [
        signing.TreeHead(9, ROOTS[7], head.timestamp_ms, head.key_id),
        signing.TreeHead(8, ROOTS[6], head.timestamp_ms, head.key_id),
        signing.TreeHead(8, ROOTS[7], head.timestamp_ms + 1, head.key_id),
    ]
    for bad in tampered:
        assert not signing.verify_tree_head(pub, signing.SignedTreeHead(bad, sth.signature))
    assert not signing.verify_tree_head(pub, signing.SignedTreeHead(head, flip(sth.signature)))
    assert not signing.verify_tree_head(pub, signing.SignedTreeHead(head, sth.signature[:-1]))
    # the right bytes under another key, or a key ring without this key: unknown key id
    assert not signing.verify_tree_head(other.public_key(), sth)
    assert not signing.verify_tree_head(signing.key_ring(other.public_key()), sth)
    assert not signing.verify_tree_head({head.key_id: other.public_key()}, sth)
    with pytest.raises(ValueError):
        signing.sign_tree_head(other, head)
    with pytest.raises(ValueError):
        signing.TreeHead(8, ROOTS[7][:31], 0, head.key_id)
    with pytest.raises(ValueError):
        signing.TreeHead(8, ROOTS[7], 0, "ABCDEF0123456789")
    with pytest.raises(ValueError):
        signing.TreeHead(-1, ROOTS[7], 0, head.key_id)


def test_key_rotation(keys: Keys) -> None:
    old_key, new_key = keys
    old_sth = signing.sign_tree_head(old_key, signing.TreeHead.for_key(4, ROOTS[3], 1, old_key.public_key()))
    new_sth = signing.sign_tree_head(new_key, signing.TreeHead.for_key(8, ROOTS[7], 2, new_key.public_key()))
    ring = signing.key_ring(old_key.public_key(), new_key.public_key())
    assert signing.verify_tree_head(ring, old_sth) and signing.verify_tree_head(ring, new_sth)
    only_new = signing.key_ring(new_key.public_key())
    assert signing.verify_tree_head(only_new, new_sth)
    assert not signing.verify_tree_head(only_new, old_sth)


def test_key_encodings(keys: Keys) -> None:
    key, _ = keys
    pub = key.public_key()
    raw = signing.public_key_to_raw(pub)
    for data in (signing.public_key_to_pem(pub), raw, raw.hex().encode(), raw.hex().encode() + b"\n"):
        assert signing.key_id(signing.load_public_key(data)) == signing.key_id(pub)
        assert signing.key_id(verifier.load_public_key(data)) == signing.key_id(pub)
    for password in (None, b"secret"):
        pem = signing.private_key_to_pem(key, password)
        again = signing.load_private_key(pem, password)
        assert signing.key_id(again.public_key()) == signing.key_id(pub)
    seed = key.private_bytes_raw()
    assert signing.key_id(signing.load_private_key(seed).public_key()) == signing.key_id(pub)
    with pytest.raises(ValueError):
        signing.load_public_key(b"not a key")
    with pytest.raises(verifier.VerificationFailed):
        verifier.load_public_key(b"not a key")


# --------------------------------------------------------------------------------------------------
# The standalone verifier


def test_verifier_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse((ROOT_DIR / "xinyong" / "audit" / "verifier.py").read_text(encoding="utf-8"))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            modules.add((node.module or "").split(".")[0])
    assert modules - set(sys.stdlib_module_names) == {"cryptography"}


def _bundles(
    key: Ed25519PrivateKey,
) -> tuple[dict[str, object], dict[str, object], dict[str, object]]:
    leaves = [f"event {i}".encode() for i in range(13)]
    store = MemoryTreeStore()
    store.extend([leaf_hash(x) for x in leaves])
    pub = key.public_key()
    sth7 = signing.sign_tree_head(key, signing.TreeHead.for_key(7, tree_root(store, 7), 1000, pub))
    sth13 = signing.sign_tree_head(key, signing.TreeHead.for_key(13, store.root(), 2000, pub))
    inclusion = verifier.inclusion_bundle(
        leaf_index=5,
        tree_size=13,
        entry=leaves[5],
        leaf_hash=leaf_hash(leaves[5]),
        proof=tree_inclusion_proof(store, 5, 13),
        root=store.root(),
        signed_tree_head=sth13.to_json(),
    )
    consistency = verifier.consistency_bundle(
        old_size=7,
        new_size=13,
        old_root=tree_root(store, 7),
        new_root=store.root(),
        proof=tree_consistency_proof(store, 7, 13),
        old_signed_tree_head=sth7.to_json(),
        new_signed_tree_head=sth13.to_json(),
    )
    return inclusion, consistency, sth13.to_json()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xinyong.audit.verifier", *args],
        capture_output=True,
        text=True,
        cwd=ROOT_DIR,
        timeout=60,
    )


def test_verifier_command_line(tmp_path: Path, keys: Keys) -> None:
    key, other = keys
    inclusion, consistency, sth = _bundles(key)
    pub = tmp_path / "log.pub"
    pub.write_bytes(signing.public_key_to_pem(key.public_key()))
    other_pub = tmp_path / "other.pub"
    other_pub.write_bytes(signing.public_key_to_raw(other.public_key()).hex().encode())
    files = {}
    for name, doc in (("inclusion", inclusion), ("consistency", consistency), ("sth", sth)):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(doc, indent=2), encoding="utf-8")
    for name in files:
        done = _run(name, str(files[name]), "--key", str(pub), "--key", str(other_pub))
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("OK: ")

    tampered = dict(inclusion, root=flip(bytes.fromhex(str(inclusion["root"]))).hex())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tampered), encoding="utf-8")
    done = _run("inclusion", str(bad), "--key", str(pub))
    assert done.returncode == 1
    assert done.stdout.startswith("FAIL: ") and "does not lead" in done.stdout

    done = _run("consistency", str(files["consistency"]), "--key", str(other_pub))
    assert done.returncode == 1 and "unknown key" in done.stdout
    done = _run("sth", str(tmp_path / "missing.json"), "--key", str(pub))
    assert done.returncode == 1 and "cannot read" in done.stdout


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"leaf_index": 4}, "does not lead"),
        ({"leaf_index": 13}, "not in a tree"),
        ({"tree_size": 12}, "not the proof's"),  # same proof shape: caught by the signed head
        ({"tree_size": 6}, "does not lead"),
        ({"leaf_hash": "00" * 32}, "not the hash of entry_base64"),
        ({"entry_base64": "ZXZlbnQgNA=="}, "not the hash of entry_base64"),
        ({"proof": []}, "does not lead"),
        ({"proof": ["zz"]}, "not hexadecimal"),
        ({"root": "00"}, "must be 32 bytes"),
        ({"format": "other"}, "format must be"),
        ({"tree_size": -1}, "non-negative integer"),
        ({"tree_size": "13"}, "non-negative integer"),
    ],
)
def test_verifier_reasons_for_inclusion(keys: Keys, change: dict[str, object], reason: str) -> None:
    key, _ = keys
    inclusion, _, _ = _bundles(key)
    ring = signing.key_ring(key.public_key())
    assert verifier.check_inclusion(inclusion, ring).startswith("leaf 5")
    with pytest.raises(verifier.VerificationFailed, match=reason):
        verifier.check_inclusion(dict(inclusion, **change), ring)


def test_verifier_signed_heads(keys: Keys) -> None:
    key, other = keys
    inclusion, consistency, sth = _bundles(key)
    ring = signing.key_ring(key.public_key())
    # a head for another size or root than the proof's
    swapped = dict(consistency, old_signed_tree_head=consistency["new_signed_tree_head"])
    with pytest.raises(verifier.VerificationFailed, match="not the proof's"):
        verifier.check_consistency(swapped, ring)
    forged = dict(sth, timestamp_ms=1)
    with pytest.raises(verifier.VerificationFailed, match="signature does not match"):
        verifier.check_sth(forged, ring)
    with pytest.raises(verifier.VerificationFailed, match="no key"):
        verifier.check_inclusion(inclusion)
    # the bundle's own key is used, with a warning, when no key is pinned
    pem = signing.public_key_to_pem(key.public_key()).decode()
    assert "WARNING" in verifier.check_inclusion(dict(inclusion, public_key=pem))
    assert "WARNING" not in verifier.check_inclusion(dict(inclusion, public_key=pem), ring)
    other_pem = signing.public_key_to_pem(other.public_key()).decode()
    with pytest.raises(verifier.VerificationFailed, match="unknown key"):
        verifier.check_inclusion(dict(inclusion, public_key=other_pem))
    unsigned = {k: v for k, v in inclusion.items() if k != "signed_tree_head"}
    assert "not signed" in verifier.check_inclusion(unsigned)
    with pytest.raises(verifier.VerificationFailed, match="no signed tree head"):
        verifier.check_inclusion(unsigned, ring)
    assert signing.SignedTreeHead.from_json(sth) is not None
