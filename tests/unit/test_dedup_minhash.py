"""The MinHash signature computed in place gives what the earlier out-of-place form gave, so
stored signatures and band keys stay comparable."""

from __future__ import annotations

import random
import subprocess
import sys
import zlib

import numpy as np

from pipeline.enrich import duplicates
from pipeline.enrich.duplicates import _WORD, MIN_WORDS, SHINGLE_WORDS, _permutations, signature


def _earlier_signature(text: str) -> np.ndarray | None:
    # pipeline/enrich/duplicates.py's signature before its in-place form (b123a2b).
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return None
    word_hashes = np.fromiter(map(zlib.crc32, map(str.encode, words)), np.uint64, len(words))
    shingles = np.zeros(len(words) - SHINGLE_WORDS + 1, dtype=np.uint64)
    for offset in range(SHINGLE_WORDS):
        shingles = shingles * duplicates._MULTIPLIER + word_hashes[offset : len(shingles) + offset]
    folded = (shingles ^ (shingles >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    a, b = _permutations()
    hv = np.unique(folded).astype(np.uint32).reshape(-1, 1)
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    hv = hv ^ (hv >> np.uint32(16))
    return np.asarray((hv * a + b).min(axis=0), dtype=np.uint32)


def test_signatures_are_the_earlier_ones() -> None:
    rng = random.Random(14)
    vocabulary = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyzé") for _ in range(rng.randint(1, 9)))
        for _ in range(400)
    ] + ["東", "京", "ソウル", "서울"]
    texts = [
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(MIN_WORDS - 1, 900)))
        for _ in range(300)
    ]
    texts += ["word " * MIN_WORDS, " ".join(["same"] * 200)]  # one distinct shingle
    # Longer than one chunk of permuted shingles, with repeated stretches.
    long_text = " ".join(rng.choice(vocabulary) for _ in range(3 * duplicates._CHUNK + 17))
    texts += [long_text, long_text + " " + long_text[: len(long_text) // 3]]
    for text in texts:
        new, old = signature(text), _earlier_signature(text)
        if old is None:
            assert new is None
            continue
        assert new is not None and new.dtype == np.uint32
        assert np.array_equal(new, old)


def test_a_signature_does_not_import_numpy_ma() -> None:
    # np.unique imports numpy.ma on its first call (0.15 s of every enricher's start).
    code = (
        "import sys; from pipeline.enrich.duplicates import signature; "
        "signature(' '.join(str(n % 97) for n in range(500))); "
        "print('numpy.ma' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
