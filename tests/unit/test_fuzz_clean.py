"""Fuzzing the cleaner: 10,000 mutated golden pages, each a record or one ExtractionError.

Mutations are cheap byte edits (cuts, deletions, repeats, swaps, flipped bytes, and inserted
markup that parsers find awkward), drawn from a seeded generator: a failure names the case
number, and `mutated_page(case)` rebuilds that exact input.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from functools import cache

import pytest

from devtools.golden import golden_pages
from pipeline.clean import clean
from pipeline.errors import ExtractionError
from pipeline.records import CleanedArticle

CASES = 10_000
SEED = 20250601
FETCHED_AT = datetime(2025, 6, 1, tzinfo=UTC)
AWKWARD = [
    b"<div>", b"</div>", b"</p>", b"<p>", b"<br>", b"<br><br>", b"<!--", b"-->", b"<script>",
    b"</script>", b"<style>", b"<![CDATA[", b"]]>", b"<table><tr><td>", b"</td>", b"<a href='",
    b'"', b"'", b"<", b">", b"&", b"&#0;", b"&#x110000;", b"&nbsp;", b"\x00", b"\xff\xfe",
    b"\xef\xbb\xbf", b"\xed\xa0\x80", b"\xc3", b"<html>", b"</body>", b"<head>", b"<svg>",
    b"<math>", b"<?xml version='1.0'?>", b"<!DOCTYPE html>", b"<article>", b"<nav>",
    b"<h1>", b"<figcaption>", b"<meta charset='utf-16'>", b"<time datetime='9999-99-99'>",
    b'<script type="application/ld+json">{"@type": "NewsArticle", "author": [[[[',
    b"<span style='display:none'>", b"<form>", b"<template>", b"\r\n", b"\t" * 50,
    "\u200b\u00ad\u2028".encode(), "ẞ́̈".encode(),
]  # fmt: skip


@cache
def _sources() -> list[bytes]:
    return [page.html_path.read_bytes() for page in golden_pages()]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    size = len(data)
    if not size:
        return rng.choice(AWKWARD)
    at, other = rng.randrange(size), rng.randrange(size)
    low, high = min(at, other), max(at, other)
    match rng.randrange(7):
        case 0:
            return data[:at]
        case 1:
            return data[:low] + data[high:]
        case 2:
            return data[:high] + data[low:high] * rng.randint(1, 5) + data[high:]
        case 3:
            middle = rng.randrange(low, high + 1)
            return data[:low] + data[middle:high] + data[low:middle] + data[high:]
        case 4:
            flipped = bytearray(data)
            for _ in range(rng.randint(1, 20)):
                flipped[rng.randrange(size)] = rng.randrange(256)
            return bytes(flipped)
        case _:
            return data[:at] + rng.choice(AWKWARD) * rng.randint(1, 3) + data[at:]


def mutated_page(case: int) -> bytes:
    rng = random.Random(SEED * CASES + case)
    data = rng.choice(_sources())
    for _ in range(rng.randint(1, 4)):
        data = _mutate(data, rng)
    return data


@pytest.mark.timeout(600)
def test_ten_thousand_mutated_pages_give_a_record_or_an_extraction_error():
    assert len(_sources()) >= 30
    outcomes = {"record": 0, "rejected": 0}
    for case in range(CASES):
        data = mutated_page(case)
        try:
            article = clean(
                data, "https://fuzz.example/page", source_id="fuzz", fetched_at=FETCHED_AT
            )
        except ExtractionError:
            outcomes["rejected"] += 1
            continue
        except Exception as exc:  # noqa: BLE001 - any other exception is what this test hunts
            pytest.fail(f"case {case}: {type(exc).__name__}: {exc} (rebuild: mutated_page({case}))")
        assert isinstance(article, CleanedArticle)
        assert article.text, f"case {case}: a record without text"
        outcomes["record"] += 1
    # Most mutations leave a readable story; a fuzzer that only produced garbage would test little.
    assert outcomes["record"] > CASES // 2, outcomes
