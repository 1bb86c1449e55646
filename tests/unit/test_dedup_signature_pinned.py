"""MinHash signatures pinned to the values the warehouse already stores: any change to how
`signature` splits words or hashes them must give these same bytes, or stored signatures and
band keys would stop matching new ones."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline.enrich.duplicates import signature

_REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "reference-article.txt"

# SHA-256 of signature(text).tobytes(), as computed by the signature of 0ec042f.
PINNED = {
    "reference": "f40c53b0bc7e10a64265674a296159940433ad86b870308092d9a019ffa77e18",
    "cjk": "3c0d2daaa4d9ce151336e1565d5d7b1315b4078459504c35d47143ed48634e47",
    "accents_digits": "ce8424a1648cb71d4e48ab3d3478a37fe3ce0b815d18e704e6cd0385d22f20eb",
}


def _texts() -> dict[str, str]:
    return {
        "reference": _REFERENCE.read_text(encoding="utf-8"),
        "cjk": "東京 서울 ソウル are cities; 東京都の人口は約1400万人です。 " * 12,
        "accents_digits": " ".join(
            f"Ünïcode_{n} café İstanbul ΣΊΣΥΦΟΣ 2020-02-{n % 28 + 1:02d} naïve" for n in range(40)
        ),
    }


@pytest.mark.parametrize("name", sorted(PINNED))
def test_signature_bytes_are_pinned(name: str) -> None:
    found = signature(_texts()[name])
    assert found is not None
    assert hashlib.sha256(found.tobytes()).hexdigest() == PINNED[name]


def test_a_text_under_the_minimum_has_no_signature() -> None:
    assert signature("too few words here") is None
