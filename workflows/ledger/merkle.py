"""Merkle tree hashes and proofs of RFC 9162 §2.1 (the tree of Certificate Transparency).

Pure functions over bytes; no database. A tree of ``n`` leaves is addressed by perfect,
aligned subtrees: the node ``(level, index)`` covers leaves ``[index·2^level, (index+1)·2^level)``.
Level 0 holds the leaf hashes. Every hash the proofs need is either such a node or the hash
of a range that runs to the right edge of the tree, which is the right fold of the perfect
nodes that cover it; ``Frontier`` keeps the perfect nodes of the whole tree (its compact
range) so that appending a leaf and taking the root are O(log n).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeKey = tuple[int, int]  # (level, index)


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """k of RFC 9162: the largest power of two smaller than n (n > 1)."""
    if n < 2:
        raise ValueError("n must be at least 2")
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaves(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of leaf hashes, straight from the definition (for tests and small trees)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = largest_power_of_two_below(n)
    return node_hash(root_from_leaves(leaves[:k]), root_from_leaves(leaves[k:]))


def perfect_cover(start: int, end: int) -> list[NodeKey]:
    """The perfect aligned nodes, largest first, that cover ``[start, end)`` when ``start`` is
    the start of the subtrees RFC 9162's recursion splits off (a multiple of the first
    node's size): the binary digits of ``end - start``."""
    keys: list[NodeKey] = []
    position = start
    remaining = end - start
    while remaining:
        level = remaining.bit_length() - 1
        size = 1 << level
        if position % size:
            raise ValueError(f"[{start}, {end}) is not a right-edge range of the tree")
        keys.append((level, position >> level))
        position += size
        remaining -= size
    return keys


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a right-edge range from the hashes of its perfect cover, largest first."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


# A range of the tree whose hash a proof needs: [start, end).
Range = tuple[int, int]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees whose hashes make up PATH(index, D[size]), in proof order (RFC 9162
    §2.1.3.1): nearest the leaf first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    ranges: list[Range] = []

    def path(m: int, start: int, end: int) -> None:
        n = end - start
        if n == 1:
            return
        k = largest_power_of_two_below(n)
        if m < k:
            path(m, start, start + k)
            ranges.append((start + k, end))
        else:
            path(m - k, start + k, end)
            ranges.append((start, start + k))

    path(index, 0, size)
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The subtrees whose hashes make up PROOF(old_size, D[new_size]) (RFC 9162 §2.1.4.1)."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size}")
    ranges: list[Range] = []

    def subproof(m: int, start: int, end: int, complete: bool) -> None:
        n = end - start
        if m == n:
            if not complete:
                ranges.append((start, end))
            return
        k = largest_power_of_two_below(n)
        if m <= k:
            subproof(m, start, start + k, complete)
            ranges.append((start + k, end))
        else:
            subproof(m - k, start + k, end, False)
            ranges.append((start, start + k))

    subproof(old_size, 0, new_size, True)
    return ranges


def hashes_of_ranges(ranges: Iterable[Range], lookup: Callable[[list[NodeKey]], dict[NodeKey, bytes]]) -> list[bytes]:
    """The hash of each range, from the perfect nodes ``lookup`` returns for a list of keys
    (one call, so a database can answer it with one query)."""
    ranges = list(ranges)
    covers = [perfect_cover(start, end) for start, end in ranges]
    wanted = sorted({key for cover in covers for key in cover})
    nodes = lookup(wanted) if wanted else {}
    missing = [key for key in wanted if key not in nodes]
    if missing:
        raise LookupError(f"tree nodes missing: {missing[:5]}")
    return [fold([nodes[key] for key in cover]) for cover in covers]


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2); ValueError if malformed."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} outside a tree of size {size}")
    if len(leaf) != HASH_SIZE or any(len(p) != HASH_SIZE for p in proof):
        raise ValueError("every hash must be 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ValueError("proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("proof is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    try:
        return root_from_inclusion_proof(index, size, leaf, proof) == root
    except ValueError:
        return False


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: the tree of ``new_size`` extends the tree of ``old_size``."""
    if old_size < 0 or new_size < old_size:
        return False
    if any(len(p) != HASH_SIZE for p in proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


@dataclass
class Frontier:
    """The perfect nodes covering a tree of ``size`` leaves, largest first: enough to append
    leaves and to take the root. ``append`` returns every node it completes, so the caller can
    store them for proofs."""

    size: int = 0
    nodes: list[tuple[int, bytes]] = field(default_factory=list)  # (level, hash)

    @classmethod
    def cover_keys(cls, size: int) -> list[NodeKey]:
        return perfect_cover(0, size)

    @classmethod
    def from_nodes(cls, size: int, hashes: Sequence[bytes]) -> Frontier:
        keys = cls.cover_keys(size)
        if len(keys) != len(hashes):
            raise ValueError("a frontier needs one hash per perfect node of its size")
        return cls(size=size, nodes=[(level, h) for (level, _index), h in zip(keys, hashes, strict=True)])

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; returns the (level, index, hash) of the leaf and of every node it
        completes."""
        index = self.size
        made = [(0, index, leaf)]
        self.nodes.append((0, leaf))
        self.size += 1
        level = 0
        while len(self.nodes) >= 2 and self.nodes[-1][0] == self.nodes[-2][0]:
            (_l1, left), (_l2, right) = self.nodes[-2], self.nodes[-1]
            level += 1
            merged = node_hash(left, right)
            self.nodes[-2:] = [(level, merged)]
            made.append((level, index >> level, merged))
        return made

    def root(self) -> bytes:
        return fold([h for _level, h in self.nodes])
