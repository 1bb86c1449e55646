"""Near-duplicates: signatures, the in-memory LSH index, and precision/recall on 100 pairs of
lightly edited copies and 100 unrelated pairs (two reports of one story from different sites
among them). Thresholds: precision at least 0.95 (the issue's bar is 0.9; measured 1.0),
recall at least 0.9 (measured 0.98: the misses are short articles where an added paragraph
and three changed words bring the true similarity to about 0.78)."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from enrich_cases import dataset_articles, duplicate_pairs, make_record, sample_site_articles

from pipeline.enrich import Enricher
from pipeline.enrich.duplicates import (
    BANDS,
    NUM_PERM,
    MemoryDuplicateIndex,
    Probe,
    band_keys,
    signature,
    similarity,
)
from pipeline.records import EnrichedArticle

T0 = datetime(2020, 2, 16, 8, 0, tzinfo=UTC)
STORY = " ".join(
    f"Sentence {n} of the story says something about the harbour and its ferries."
    for n in range(12)
)


def probe(article_id: str, text: str, hours: float = 0) -> Probe:
    return Probe(article_id, signature(text), T0 + timedelta(hours=hours))


def test_signature_is_stable_and_too_short_texts_have_none() -> None:
    sig = signature(STORY)
    assert sig is not None and sig.dtype == np.uint32 and sig.shape == (NUM_PERM,)
    assert np.array_equal(sig, signature(STORY.upper()))  # case does not matter
    assert signature("Too short to say anything.") is None
    assert len(set(band_keys(sig))) == BANDS


def test_similarity_estimates_jaccard() -> None:
    edited = STORY.replace("Sentence 3 of", "Paragraph three of")
    assert similarity(signature(STORY), signature(STORY)) == 1.0
    assert 0.8 <= similarity(signature(STORY), signature(edited)) < 1.0
    assert similarity(signature(STORY), signature(STORY[::-1])) < 0.1


# A story written for this test: no spaces between words, as Japanese is written.
HARBOUR_JA = (
    "北港は三週間に及ぶ防波堤の修理を終え、火曜日の朝に再開した。十月の嵐で壊れた防波堤は、"
    "地域議会と港湾局が費用を分担して修復された。漁船は夜明け前から列を作り、午前中には"
    "ほとんどの船が元の係留場所に戻った。港長は記者会見で、週末までに交通は通常に戻ると述べた。"
    "島へのフェリーは木曜日から通常の時刻表で運航を再開する予定だという。修理費は約四百万クローネで、"
    "春にはさらに工事が計画されている。地元の商店主は、観光客が戻ってくることを期待していると話した。"
)
TRAINS_JA = (
    "大雪の影響で、北部の鉄道は日曜日の夜から全線で運転を見合わせている。鉄道会社によると、"
    "線路の除雪作業は月曜日の午後まで続く見通しで、約二万人の利用者に影響が出ている。"
    "代替のバスが主要な駅の間で運行されているが、道路も渋滞しており、到着が大幅に遅れている。"
    "気象台は、火曜日にかけてさらに雪が降るおそれがあるとして、不要な外出を控えるよう呼びかけた。"
)


def test_japanese_copies_are_near_duplicates_and_other_stories_are_not() -> None:
    edited = HARBOUR_JA.replace("火曜日の朝", "火曜日の早朝") + "港の食堂も営業を再開した。"
    original = signature(HARBOUR_JA)
    assert original is not None  # one word per character: enough shingles
    assert similarity(original, signature(edited)) >= 0.8
    assert similarity(original, signature(TRAINS_JA)) < 0.2


def test_signatures_are_datasketchs_affine32_minhash() -> None:
    # Signatures stored in the warehouse were made by datasketch's MinHash: the numpy version
    # must give the same values, or old articles would stop matching new copies.
    from datasketch import MinHash

    from pipeline.enrich import duplicates

    articles = [*sample_site_articles()[:5], *dataset_articles()[:20]]
    for text in (STORY, HARBOUR_JA, *("\n\n".join(a.paragraphs) for a in articles)):
        words = duplicates._WORD.findall(text.lower())
        sig = signature(text)
        assert sig is not None
        hashes = np.array([zlib.crc32(w.encode()) for w in words], dtype=np.uint64)
        shingles = np.zeros(len(words) - duplicates.SHINGLE_WORDS + 1, dtype=np.uint64)
        for offset in range(duplicates.SHINGLE_WORDS):
            shingles = shingles * duplicates._MULTIPLIER + hashes[offset : len(shingles) + offset]
        folded = (shingles ^ (shingles >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
        reference = MinHash(
            num_perm=NUM_PERM, seed=duplicates.SEED, scheme="affine32", hashfunc=int
        )
        reference.update_batch(np.unique(folded).tolist())
        assert np.array_equal(sig, np.asarray(reference.hashvalues, dtype=np.uint32))


def test_words_outside_chinese_japanese_and_korean_are_split_as_before() -> None:
    # Stored signatures stay valid: for other scripts the tokens are what `\w+` gave.
    import re

    from pipeline.enrich.duplicates import _WORD

    text = "Ferry_2 fares rose 4% in Tromsø; цены выросли; ارتفعت الأسعار; café-crème 1,5 €"
    assert _WORD.findall(text) == re.findall(r"\w+", text)


def test_copy_points_at_the_earliest_published_match_seen_before() -> None:
    index = MemoryDuplicateIndex()
    assert index.assign([probe("late", STORY, hours=2), probe("early", STORY, hours=1)]) == {
        "late": None,
        "early": "late",
    }
    # Both were seen before the third copy: the earliest published wins.
    assert index.assign([probe("third", STORY, hours=3)]) == {"third": "early"}


def test_article_enriched_again_never_matches_itself_nor_later_copies() -> None:
    index = MemoryDuplicateIndex()
    index.assign([probe("first", STORY), probe("copy", STORY, hours=1)])
    assert index.assign([probe("first", STORY)]) == {"first": None}
    assert index.assign([probe("copy", STORY, hours=1)]) == {"copy": "first"}


def test_texts_without_signature_are_never_duplicates() -> None:
    index = MemoryDuplicateIndex()
    assert index.assign([probe("a", "Short."), probe("b", "Short.")]) == {"a": None, "b": None}


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher()


def test_near_duplicate_pairs_precision_and_recall(enricher: Enricher) -> None:
    pairs = duplicate_pairs(dataset_articles() + sample_site_articles(), 100, seed=6)
    hits = found = 0
    for pair in pairs:
        enricher.duplicates = MemoryDuplicateIndex()  # each pair on its own
        first, second = enricher.enrich_each([pair.first, pair.second])
        assert isinstance(first, EnrichedArticle) and isinstance(second, EnrichedArticle)
        assert first.near_duplicate_of is None
        matched = second.near_duplicate_of == pair.first.article_id
        found += matched
        hits += matched and pair.duplicate
    duplicates = sum(p.duplicate for p in pairs)
    precision, recall = hits / found, hits / duplicates
    print(
        f"\nnear-duplicates: {duplicates} edited pairs, {len(pairs) - duplicates} unrelated; "
        f"matched {found}, precision {precision:.3f}, recall {recall:.3f}"
    )
    assert duplicates == 100 and len(pairs) == 200
    assert precision >= 0.95
    assert recall >= 0.9


def test_furniture_does_not_make_unrelated_articles_duplicates(enricher: Enricher) -> None:
    furniture = [
        "Follow us on Twitter for the latest updates.",
        "Advertisement",
        "Copyright 2020 The Associated Press. All rights reserved.",
    ]
    # Short articles, so that counted furniture would be a large share of their shingles.
    a, b = [x for x in dataset_articles() if 30 <= len(x.paragraphs[0].split()) <= 40][:2]
    enricher.duplicates = MemoryDuplicateIndex()
    records = [
        make_record(a.title, [*furniture, a.paragraphs[0]], slug="a"),
        make_record(b.title, [*furniture, b.paragraphs[0]], slug="b"),
    ]
    assert [r.near_duplicate_of for r in enricher.enrich_each(records)] == [None, None]
