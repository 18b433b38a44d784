"""Append-only Merkle tree of RFC 6962 / RFC 9162 (section 2.1), pure Python, no I/O.

Hashes
    ``leaf_hash(d) = SHA-256(0x00 || d)``, ``node_hash(l, r) = SHA-256(0x01 || l || r)``, and the root of
    the empty tree is ``SHA-256("")``. A tree of ``n`` leaves splits at ``k``, the largest power of two
    below ``n``: ``MTH(D[n]) = node_hash(MTH(D[0:k]), MTH(D[k:n]))``.

Proofs
    ``inclusion_proof`` is RFC 9162's ``PATH(m, D[n])`` and ``consistency_proof`` its ``PROOF(m, D[n])``
    (``SUBPROOF``); both list hashes from the bottom of the tree up. ``verify_inclusion`` and
    ``verify_consistency`` are the verification algorithms of sections 2.1.3.2 and 2.1.4.2, written
    so that every malformed input (index past the tree, proof too long or too short, a hash that is
    not 32 bytes, sizes going backwards) yields ``False``; only arguments of the wrong *type* (a hex
    ``str`` where bytes are due, a float size) raise ``TypeError``.

Appending: ``MerkleAccumulator`` (alias ``CompactRange``)
    Keeps only the roots of the perfect subtrees that make up the tree so far, one per set bit of the
    size (the "frontier", at most 64 hashes): an append costs one leaf and on average one node hash, the
    root costs ``popcount(size) - 1`` hashes, and the frontier, a list of ``(height, hash)`` pairs from
    the tallest subtree down, is all a store must persist to resume after a restart.

Proofs at ten million entries: ``NodeSource`` / ``TreeStore`` and ``MemoryTreeStore``
    Every subtree hash that PATH and SUBPROOF ask for covers a range ``[a, b)`` whose start is aligned
    to a power of two at least as large as its length. Such a range is one *perfect* subtree
    (``b - a`` a power of two) or, on the right edge of the tree, the concatenation of at most
    ``log2 n`` perfect subtrees, one per set bit of ``b - a``, folded right to left. Perfect subtrees
    are immutable once complete, so a store keeps each one, addressed by ``(level, index)`` (it covers
    leaves ``[index * 2**level, (index + 1) * 2**level)``); these are fewer than ``2n`` hashes in all.
    The accumulator reports each subtree as it completes (``on_node``), so the store fills the table
    during appends without rehashing anything. A proof then reads ``O(log n)`` stored nodes: the
    ragged right-edge range is met at most once per proof, every other sibling is a single perfect
    node. ``tree_root``, ``tree_inclusion_proof`` and ``tree_consistency_proof`` run on any
    ``NodeSource``; ``MemoryTreeStore`` keeps the table in one ``bytearray`` per level (32 bytes a
    node), and a database store can keep a ``(level, idx, hash)`` table filled from ``on_node``. The
    list-based functions (``inclusion_proof(leaf_hashes, ...)``) wrap a plain sequence of leaf hashes
    in ``LeafListStore``, which hashes perfect subtrees on demand: ``O(n)`` work, for small trees and
    tests.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "LeafListStore",
    "MemoryTreeStore",
    "MerkleAccumulator",
    "NodeSource",
    "TreeStore",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "tree_consistency_proof",
    "tree_inclusion_proof",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256

#: Called with ``(level, index, hash)`` for every perfect subtree completed by an append (leaves are
#: level 0).
NodeCallback = Callable[[int, int, bytes], None]


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one log entry."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node."""
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_int(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")


def _check_bytes(name: str, value: object) -> None:
    if not isinstance(value, bytes | bytearray):
        raise TypeError(f"{name} must be bytes, not {type(value).__name__}")


def _check_proof(proof: object) -> None:
    if not isinstance(proof, list | tuple):
        raise TypeError(f"proof must be a list of bytes, not {type(proof).__name__}")
    for i, p in enumerate(proof):
        _check_bytes(f"proof[{i}]", p)


# --------------------------------------------------------------------------------------------------
# Incremental appends


class MerkleAccumulator:
    """The right frontier of a growing tree: O(log n) memory, the root after every append.

    ``on_node`` (optional) receives ``(level, index, hash)`` for every perfect subtree completed by an
    append, the leaf itself included, so that a store can keep them for O(log n) proofs.
    """

    __slots__ = ("_frontier", "_on_node", "_root", "_size")

    def __init__(self, on_node: NodeCallback | None = None) -> None:
        self._frontier: list[bytes] = []  # perfect subtree roots, tallest first
        self._size = 0
        self._root: bytes | None = EMPTY_ROOT
        self._on_node = on_node

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash (``leaf_hash(entry)``, 32 bytes)."""
        if type(leaf) is not bytes:
            _check_bytes("leaf", leaf)
            leaf = bytes(leaf)
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, got {len(leaf)}")
        frontier = self._frontier
        n = self._size
        h = leaf
        on_node = self._on_node
        if on_node is None:
            while n & 1:
                h = _sha256(b"\x01" + frontier.pop() + h).digest()
                n >>= 1
        else:
            level = 0
            on_node(0, n, h)
            while n & 1:
                h = _sha256(b"\x01" + frontier.pop() + h).digest()
                n >>= 1
                level += 1
                on_node(level, n, h)
        frontier.append(h)
        self._size += 1
        self._root = None

    def extend(self, leaves: Sequence[bytes]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """MTH of the leaves so far (``EMPTY_ROOT`` for none); ``popcount(size) - 1`` hashes."""
        if self._root is None:
            frontier = self._frontier
            r = frontier[-1]
            for i in range(len(frontier) - 2, -1, -1):
                r = _sha256(b"\x01" + frontier[i] + r).digest()
            self._root = r
        return self._root

    def frontier(self) -> list[tuple[int, bytes]]:
        """The state to persist: ``(height, hash)`` of each perfect subtree, tallest first.

        The heights are the set bits of ``size``, so the size is ``sum(2**h)``.
        """
        heights = [h for h in range(self._size.bit_length() - 1, -1, -1) if self._size >> h & 1]
        return list(zip(heights, self._frontier, strict=True))

    @classmethod
    def from_frontier(
        cls,
        nodes: Sequence[tuple[int, bytes]],
        size: int | None = None,
        on_node: NodeCallback | None = None,
    ) -> MerkleAccumulator:
        """Resume from ``frontier()``; ``size``, when given, must agree with the heights."""
        acc = cls(on_node)
        total = 0
        previous = 64
        for i, (height, h) in enumerate(nodes):
            _check_int(f"nodes[{i}] height", height)
            _check_bytes(f"nodes[{i}] hash", h)
            if not 0 <= height < previous:
                raise ValueError("frontier heights must be distinct, decreasing and below 64")
            if len(h) != HASH_SIZE:
                raise ValueError(f"frontier hash {i} is {len(h)} bytes, not {HASH_SIZE}")
            previous = height
            total += 1 << height
            acc._frontier.append(bytes(h))
        if size is not None and size != total:
            raise ValueError(f"frontier describes {total} leaves, not {size}")
        acc._size = total
        acc._root = EMPTY_ROOT if total == 0 else None
        return acc

    def to_dict(self) -> dict[str, object]:
        """JSON-ready state: ``{"size": n, "frontier": [[height, "hex"], ...]}``."""
        return {"size": self._size, "frontier": [[h, x.hex()] for h, x in self.frontier()]}

    @classmethod
    def from_dict(cls, data: dict[str, object], on_node: NodeCallback | None = None) -> MerkleAccumulator:
        size = data.get("size")
        raw = data.get("frontier")
        _check_int("size", size)
        if not isinstance(raw, list):
            raise TypeError("frontier must be a list of [height, hex] pairs")
        nodes: list[tuple[int, bytes]] = []
        for item in raw:
            if not (isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[1], str)):
                raise TypeError("frontier must be a list of [height, hex] pairs")
            nodes.append((item[0], bytes.fromhex(item[1])))
        assert isinstance(size, int)
        return cls.from_frontier(nodes, size, on_node)


CompactRange = MerkleAccumulator


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of a sequence of leaf hashes; ``SHA-256("")`` for the empty tree."""
    acc = MerkleAccumulator()
    acc.extend(leaf_hashes)
    return acc.root()


# --------------------------------------------------------------------------------------------------
# Stores of perfect subtree hashes


class NodeSource(Protocol):
    """What proofs need: the size, and the hash of any complete (perfect) subtree."""

    @property
    def size(self) -> int: ...

    def subtree_root(self, level: int, index: int) -> bytes:
        """Hash of the perfect subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``."""
        ...


class TreeStore(NodeSource, Protocol):
    """A stored log: perfect subtree hashes for proofs, leaf hashes by range for audits."""

    def leaf_hashes(self, start: int, end: int) -> Sequence[bytes]: ...


class LeafListStore:
    """A ``TreeStore`` over a plain sequence of leaf hashes: subtree hashes are computed on demand
    (``2**level`` leaf reads each), so proofs cost O(n). For small trees and tests."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self._leaves = leaf_hashes

    @property
    def size(self) -> int:
        return len(self._leaves)

    def leaf_hashes(self, start: int, end: int) -> Sequence[bytes]:
        return self._leaves[start:end]

    def subtree_root(self, level: int, index: int) -> bytes:
        start = index << level
        end = start + (1 << level)
        if index < 0 or end > len(self._leaves):
            raise IndexError(f"no complete subtree ({level}, {index}) in a tree of {len(self._leaves)}")
        return root(self._leaves[start:end])


class MemoryTreeStore:
    """A ``TreeStore`` in memory that keeps every perfect subtree hash (< 2n hashes, 32 bytes each in
    one ``bytearray`` per level), filled incrementally by appends; proofs read O(log n) nodes."""

    def __init__(self) -> None:
        self._levels: list[bytearray] = []
        self._acc = MerkleAccumulator(self._put)

    def _put(self, level: int, index: int, h: bytes) -> None:
        if level == len(self._levels):
            self._levels.append(bytearray())
        self._levels[level] += h

    @property
    def size(self) -> int:
        return self._acc.size

    @property
    def node_count(self) -> int:
        """Perfect subtree hashes kept (leaves included): fewer than ``2 * size``."""
        return sum(len(row) for row in self._levels) // HASH_SIZE

    def append(self, leaf: bytes) -> None:
        self._acc.append(leaf)

    def extend(self, leaves: Sequence[bytes]) -> None:
        self._acc.extend(leaves)

    def root(self) -> bytes:
        return self._acc.root()

    def frontier(self) -> list[tuple[int, bytes]]:
        return self._acc.frontier()

    def subtree_root(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0 or level >= len(self._levels):
            raise IndexError(f"no complete subtree ({level}, {index})")
        row = self._levels[level]
        start = index * HASH_SIZE
        if start + HASH_SIZE > len(row):
            raise IndexError(f"no complete subtree ({level}, {index})")
        return bytes(row[start : start + HASH_SIZE])

    def leaf_hashes(self, start: int, end: int) -> Sequence[bytes]:
        if not self._levels:
            return []
        row = self._levels[0]
        end = min(end, self.size)
        return [bytes(row[i * HASH_SIZE : (i + 1) * HASH_SIZE]) for i in range(max(start, 0), end)]


def _range_root(source: NodeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range whose start is aligned to a power of two >= its length: the
    perfect subtrees for the set bits of ``end - start``, tallest first, folded right to left."""
    parts: list[bytes] = []
    pos = start
    length = end - start
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            parts.append(source.subtree_root(level, pos >> level))
            pos += 1 << level
    r = parts[-1]
    for i in range(len(parts) - 2, -1, -1):
        r = node_hash(parts[i], r)
    return r


def _path(source: NodeSource, m: int, start: int, n: int) -> list[bytes]:
    """RFC 9162 PATH(m, D[start:start+n])."""
    out: list[bytes] = []
    while n > 1:  # PATH recursion unrolled: siblings are found top-down, reported bottom-up
        k = _split(n)
        if m < k:
            out.append(_range_root(source, start + k, start + n))
            n = k
        else:
            out.append(_range_root(source, start, start + k))
            m -= k
            start += k
            n -= k
    out.reverse()
    return out


def _subproof(source: NodeSource, m: int, start: int, n: int) -> list[bytes]:
    """RFC 9162 SUBPROOF(m, D[start:start+n], true)."""
    out: list[bytes] = []
    complete = True  # the "b" flag: is D[start:start+m] the old tree's own root?
    while m != n:
        k = _split(n)
        if m <= k:
            out.append(_range_root(source, start + k, start + n))
            n = k
        else:
            out.append(_range_root(source, start, start + k))
            m -= k
            start += k
            n -= k
            complete = False
    if not complete:
        out.append(_range_root(source, start, start + n))
    out.reverse()
    return out


def _check_size(source: NodeSource, size: int) -> None:
    _check_int("size", size)
    if not 0 <= size <= source.size:
        raise ValueError(f"tree size {size} is outside the stored tree (0..{source.size})")


def tree_root(source: NodeSource, size: int | None = None) -> bytes:
    """MTH of the first ``size`` leaves (default: all) from O(log n) stored nodes."""
    size = source.size if size is None else size
    _check_size(source, size)
    return EMPTY_ROOT if size == 0 else _range_root(source, 0, size)


def tree_inclusion_proof(source: NodeSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) from O(log n) stored nodes."""
    _check_size(source, size)
    _check_int("index", index)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    return _path(source, index, 0, size)


def tree_consistency_proof(source: NodeSource, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]) from O(log n) stored nodes; empty when old_size is 0 or equal."""
    _check_size(source, new_size)
    _check_int("old_size", old_size)
    if not 0 <= old_size <= new_size:
        raise ValueError(f"old size {old_size} must be between 0 and the new size {new_size}")
    if old_size in (0, new_size):
        return []
    return _subproof(source, old_size, 0, new_size)


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) over the first ``size`` of ``leaf_hashes``."""
    return tree_inclusion_proof(LeafListStore(leaf_hashes), index, size)


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]) over ``leaf_hashes``."""
    return tree_consistency_proof(LeafListStore(leaf_hashes), old_size, new_size)


# --------------------------------------------------------------------------------------------------
# Verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2)


def _all_hashes(*values: bytes | bytearray) -> bool:
    return all(len(v) == HASH_SIZE for v in values)


def _equal(a: bytes | bytearray, b: bytes | bytearray) -> bool:
    return hmac.compare_digest(bytes(a), bytes(b))


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Does ``proof`` show the leaf with hash ``leaf_hash`` at ``index`` in the tree ``(size, root)``?"""
    _check_bytes("leaf_hash", leaf_hash)
    _check_int("index", index)
    _check_int("size", size)
    _check_proof(proof)
    _check_bytes("root", root)
    if not _all_hashes(leaf_hash, root, *proof) or not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return False  # proof too long
        if fn & 1 or fn == sn:
            r = node_hash(bytes(p), r)
            while fn and not fn & 1:  # a right-edge node: climb to where it is a right child
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, bytes(p))
        fn >>= 1
        sn >>= 1
    return sn == 0 and _equal(r, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Does ``proof`` show that the tree ``(old_size, old_root)`` is a prefix of ``(new_size, new_root)``?

    Equal sizes need an empty proof and equal roots. An old size of 0 needs an empty proof and the
    empty-tree root ``SHA-256("")`` as ``old_root`` (stricter than RFC 9162, which leaves 0 out).
    """
    _check_int("old_size", old_size)
    _check_int("new_size", new_size)
    _check_bytes("old_root", old_root)
    _check_bytes("new_root", new_root)
    _check_proof(proof)
    if not _all_hashes(old_root, new_root, *proof) or not 0 <= old_size <= new_size:
        return False
    if old_size == 0 and not _equal(old_root, EMPTY_ROOT):
        return False
    if old_size == new_size:
        return len(proof) == 0 and _equal(old_root, new_root)
    if old_size == 0:
        return len(proof) == 0
    if len(proof) == 0:
        return False
    path = [bytes(p) for p in proof]
    if old_size & (old_size - 1) == 0:  # the old tree is a perfect subtree: its root starts the path
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False  # proof too long
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and _equal(fr, old_root) and _equal(sr, new_root)
