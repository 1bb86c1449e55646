"""Near-duplicates: MinHash signatures over word shingles, an LSH index, the earliest match.

An article is a near-duplicate of another when the estimated Jaccard similarity of their
word 5-gram sets is at least 0.8. Chinese, Japanese and Korean characters count as one word
each: those scripts put no spaces between words, so `\\w+` would make a clause one "word" and
a one-character edit would change every shingle it is in.

Signatures are datasketch's MinHash, scheme "affine32" (the same values, computed here with
numpy: importing datasketch costs more than a second per process, see `_permutations`; a unit
test checks them against datasketch's); the LSH index splits each into 16 bands of 8
values, and two articles sharing any band's key are candidates, whose similarity is then
estimated from the full signatures. With 16 × 8 a pair at Jaccard 0.8 shares a band with
probability 0.95 (0.99 at 0.85), while an unrelated pair at 0.3 almost never does, so few
candidates are checked.

`near_duplicate_of` names the earliest match among the articles the index saw before this one
(earliest published, then first seen): pointers always go to older entries, so there is no
cycle, and enriching an article again gives the same answer and never matches itself.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Protocol

import numpy as np

from pipeline.records import CJK_CHARS

THRESHOLD = 0.8
NUM_PERM = 128
BANDS, ROWS = 16, 8
SHINGLE_WORDS = 5
# Below this many words a text has too few shingles for the estimate to mean much (and short
# stubs, "page not found" and paywall teasers, would all be "duplicates" of each other).
MIN_WORDS = 30
_CHUNK = 4096  # shingles permuted at once
SEED = 1  # the permutations; stored signatures are only comparable under the same seed

_WORD = re.compile(rf"[{CJK_CHARS}]|[^\W{CJK_CHARS}]+")  # one token per CJK character
_MULTIPLIER = np.uint64(0x100000001B3)  # FNV prime: mixes the word hashes of a shingle

assert BANDS * ROWS == NUM_PERM  # noqa: S101 - a constant mistake, caught on import


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature (NUM_PERM uint32 values) of `text`'s word 5-grams, or None when it
    has fewer than MIN_WORDS words."""
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return None
    # Each word is hashed once; a shingle's hash is a polynomial of its words' hashes, computed
    # for all shingles at once, so the cost is per word, not per shingle and character.
    word_hashes = np.fromiter(map(zlib.crc32, map(str.encode, words)), np.uint64, len(words))
    shingles = np.zeros(len(words) - SHINGLE_WORDS + 1, dtype=np.uint64)
    for offset in range(SHINGLE_WORDS):
        shingles = shingles * _MULTIPLIER + word_hashes[offset : len(shingles) + offset]
    folded = (shingles ^ (shingles >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    # Repeated shingles are not removed first: a minimum is the same with or without them, and
    # `np.unique` costs a sort, plus numpy.ma's import (0.15 s) on its first call in a process.
    return _minhash(folded.astype(np.uint32))


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations for NUM_PERM and SEED: h → a·h + b mod 2³², a odd."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _minhash(hashes: np.ndarray) -> np.ndarray:
    """datasketch's MinHash(scheme="affine32").update_batch(hashes).hashvalues, for uint32
    hashes: MurmurHash3's finalizer, then each permutation, then the minimum per permutation
    (uint32 arithmetic wraps around, which is the modulo 2³²)."""
    a, b = _permutations()
    hv = hashes ^ (hashes >> np.uint32(16))  # a new array: the steps below work in place
    hv *= np.uint32(0x85EBCA6B)
    hv ^= hv >> np.uint32(13)
    hv *= np.uint32(0xC2B2AE35)
    hv ^= hv >> np.uint32(16)
    # A (hashes × permutations) array per chunk, the offsets added in place, then the minima;
    # chunks bound the memory a very long text takes (CHUNK × NUM_PERM × 4 bytes, 2 MB).
    minima = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    for start in range(0, len(hv), _CHUNK):
        permuted = np.multiply.outer(hv[start : start + _CHUNK], a)
        permuted += b
        np.minimum(minima, permuted.min(axis=0), out=minima)
    return minima


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (a PostgreSQL bigint), the band's number mixed in, so the
    same values in two different bands are different keys."""
    keys = []
    for band in range(BANDS):
        chunk = sig[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, salt=band.to_bytes(16, "little")).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two signatures' shingle sets."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


@dataclass(frozen=True)
class Entry:
    """An article as the index keeps it."""

    article_id: str
    signature: np.ndarray
    published: datetime  # published_at, or fetched_at for a page without a date
    seq: int  # order in which the index first saw the article


@dataclass(frozen=True)
class Probe:
    """An article of a batch to look up and then add."""

    article_id: str
    signature: np.ndarray | None
    published: datetime


class DuplicateIndex(Protocol):
    def assign(self, probes: Sequence[Probe]) -> dict[str, str | None]:
        """article_id → near_duplicate_of for each probe, in batch order, adding them all."""
        ...


def earliest_match(probe: Entry, candidates: Sequence[Entry]) -> tuple[str, float] | None:
    """(article_id, estimated Jaccard) of the article `probe` is a near-duplicate of: among
    the candidates seen before it at THRESHOLD or more, the earliest published."""
    matches = [
        (c, similar)
        for c in candidates
        if c.seq < probe.seq
        and c.article_id != probe.article_id
        and (similar := similarity(c.signature, probe.signature)) >= THRESHOLD
    ]
    if not matches:
        return None
    match, similar = min(matches, key=lambda m: (m[0].published, m[0].seq))
    return match.article_id, similar


class MemoryDuplicateIndex:
    """The index in this process's memory: for `newsflow enrich`, tests and benchmarks. The
    consumer uses the warehouse's (pipeline.warehouse.dedup), which survives restarts and is
    shared by every consumer."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._bands: dict[int, set[str]] = {}

    def assign(self, probes: Sequence[Probe]) -> dict[str, str | None]:
        result: dict[str, str | None] = {}
        for probe in probes:
            if probe.signature is None:
                result[probe.article_id] = None
                continue
            previous = self._entries.get(probe.article_id)
            seq = previous.seq if previous else len(self._entries)
            entry = Entry(probe.article_id, probe.signature, probe.published, seq)
            keys = band_keys(probe.signature)
            found = {aid for key in keys for aid in self._bands.get(key, ())}
            match = earliest_match(entry, [self._entries[a] for a in found])
            result[probe.article_id] = match[0] if match else None
            self._entries[probe.article_id] = entry
            for key in keys:
                self._bands.setdefault(key, set()).add(probe.article_id)
        return result
