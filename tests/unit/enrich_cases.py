"""Evaluation cases for the enricher, built from fixture articles with fixed seeds.

Articles: the sample site's 27 stories and the curated dataset articles of
tests/fixtures/enrich/articles.jsonl (see build_articles.py there). Every article has a
`story`; two articles of one story (three reports of the Doobie Brothers' reunion) are never
used as "unrelated". The dataset's stories are split in two by their sorted position: the
off-topic weights were fit on the sample site plus the `fit` half, tests measure on the
`held_out` half.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devtools.sample_site import stories
from pipeline.records import CleanedArticle, Extractor, Paragraph, article_id_for, content_hash

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ARTICLES = FIXTURES / "enrich" / "articles.jsonl"
REFERENCE = FIXTURES / "reference-article.txt"
# A spliced paragraph is prose: at least this many words (a one-line "Advertisement" or a
# photo credit is furniture, not text from another story).
MIN_SPLICED_WORDS = 12
MIN_HOST_PARAGRAPHS = 5


@dataclass(frozen=True)
class Article:
    slug: str
    story: str
    title: str
    paragraphs: tuple[str, ...]


def dataset_articles() -> list[Article]:
    rows = [json.loads(line) for line in ARTICLES.read_text(encoding="utf-8").splitlines()]
    return [Article(r["id"], r["story"], r["title"], tuple(r["paragraphs"])) for r in rows]


def sample_site_articles() -> list[Article]:
    return [
        Article(
            s.slug, s.slug, s.title, tuple(text for kind, text in s.paragraphs if kind != "caption")
        )
        for s in stories()
    ]


def split(articles: list[Article]) -> tuple[list[Article], list[Article]]:
    """(fit, held_out): the dataset's stories alternately, by sorted story key."""
    keys = sorted({a.story for a in articles})
    fit = set(keys[::2])
    return [a for a in articles if a.story in fit], [a for a in articles if a.story not in fit]


def make_record(
    title: str,
    paragraphs: list[str] | tuple[str, ...],
    *,
    slug: str,
    language: str | None = "en",
    published: datetime | None = None,
    authors: tuple[str, ...] = (),
) -> CleanedArticle:
    text = "\n\n".join(paragraphs)
    url = f"https://news.example.org/{slug}"
    return CleanedArticle(
        article_id=article_id_for(url),
        url=url,
        canonical_url=url,
        source_id="example",
        title=title,
        authors=list(authors),
        published_at=published,
        fetched_at=datetime(2020, 2, 16, 12, 0, tzinfo=UTC),
        language=language,
        text=text,
        paragraphs=[Paragraph(text=p) for p in paragraphs],
        word_count=len(text.split()),
        content_hash=content_hash(text),
        extractor=Extractor(name="test", version="0"),
    )


def reference_record() -> CleanedArticle:
    """The seed article as a cleaner would give it: first line the title, each other line a
    paragraph (its byline, date line and furniture included)."""
    lines = [line.strip() for line in REFERENCE.read_text(encoding="utf-8").splitlines()]
    title, *body = [line for line in lines if line]
    return make_record(title, body, slug="nato-iraq", language=None)


@dataclass(frozen=True)
class SpliceCase:
    record: CleanedArticle
    spliced: frozenset[int]  # indexes of the paragraphs taken from another story


def splice_cases(articles: list[Article], count: int, seed: int) -> list[SpliceCase]:
    """k = 1..3 paragraphs of article B inserted into article A at random positions."""
    rng = random.Random(seed)
    hosts = [a for a in articles if len(a.paragraphs) >= MIN_HOST_PARAGRAPHS]
    cases: list[SpliceCase] = []
    while len(cases) < count:
        host, donor = rng.choice(hosts), rng.choice(articles)
        prose = [p for p in donor.paragraphs if len(p.split()) >= MIN_SPLICED_WORDS]
        k = rng.randint(1, 3)
        if donor.story == host.story or len(prose) < k:
            continue
        paragraphs: list[tuple[str, bool]] = [(p, False) for p in host.paragraphs]
        for text in rng.sample(prose, k):
            paragraphs.insert(rng.randint(0, len(paragraphs)), (text, True))
        record = make_record(
            host.title, [text for text, _ in paragraphs], slug=f"splice-{len(cases)}"
        )
        cases.append(SpliceCase(record, frozenset(i for i, (_, s) in enumerate(paragraphs) if s)))
    return cases


_FURNITURE_LINES = (
    "Follow us on Twitter for the latest updates.",
    "Advertisement",
    "Share this article",
    "Copyright 2020 The Associated Press. All rights reserved.",
    "Read more: Today's top stories",
    "Sign up for our morning newsletter and get the news in your inbox.",
)
_ADDED = (
    "This story has been updated with additional reporting and a statement from officials.",
    "Editor's note: an earlier version of this article misstated a figure in the fourth "
    "paragraph; it has been corrected.",
    "Additional reporting by the news desk, which contributed to this report from the scene.",
)


def _edited(article: Article, rng: random.Random) -> tuple[str, list[str]]:
    """A light edit of `article`, the way a syndicated copy or an update differs: a new
    headline, and one or two of: a paragraph added, different furniture, a few words changed."""
    paragraphs = list(article.paragraphs)
    for edit in rng.sample(["add", "furniture", "words"], rng.randint(1, 2)):
        if edit == "add":
            paragraphs.insert(rng.randint(1, len(paragraphs)), rng.choice(_ADDED))
        elif edit == "furniture":
            paragraphs = [
                *rng.sample(_FURNITURE_LINES, 2)[:1],
                *paragraphs,
                rng.choice(_FURNITURE_LINES),
            ]
        else:
            for _ in range(3):
                i = rng.randrange(len(paragraphs))
                words = paragraphs[i].split()
                words[rng.randrange(len(words))] = rng.choice(["also", "then", "now", "only"])
                paragraphs[i] = " ".join(words)
    title = re.sub(r"\s*[|–-]\s*[^|–-]+$", "", article.title) or article.title
    return f"UPDATED: {title}", paragraphs


@dataclass(frozen=True)
class DuplicatePair:
    first: CleanedArticle
    second: CleanedArticle
    duplicate: bool


def duplicate_pairs(articles: list[Article], count: int, seed: int) -> list[DuplicatePair]:
    """`count` near-duplicate pairs (an article and a light edit of it) and `count` unrelated
    pairs (two reports of one story from different sites, then two articles of different
    stories), the second of each published an hour later."""
    rng = random.Random(seed)
    usable = [a for a in articles if len(" ".join(a.paragraphs).split()) >= 150]
    pairs: list[DuplicatePair] = []
    first_seen = datetime(2020, 2, 16, 8, 0, tzinfo=UTC)
    for n in range(count):
        article = rng.choice(usable)
        title, paragraphs = _edited(article, rng)
        pairs.append(
            DuplicatePair(
                make_record(
                    article.title, article.paragraphs, slug=f"dup-{n}-a", published=first_seen
                ),
                make_record(
                    title, paragraphs, slug=f"dup-{n}-b", published=first_seen + timedelta(hours=1)
                ),
                duplicate=True,
            )
        )
    # Unrelated, the hard ones first: two reports of one story from different sites.
    same_story = [
        (a, b) for i, a in enumerate(articles) for b in articles[i + 1 :] if a.story == b.story
    ]
    while len(pairs) < 2 * count:
        n = len(pairs)
        if n - count < len(same_story):
            a, b = same_story[n - count]
        else:
            a, b = rng.sample(articles, 2)
            if a.story == b.story:
                continue
        pairs.append(
            DuplicatePair(
                make_record(a.title, a.paragraphs, slug=f"other-{n}-a", published=first_seen),
                make_record(
                    b.title,
                    b.paragraphs,
                    slug=f"other-{n}-b",
                    published=first_seen + timedelta(hours=1),
                ),
                duplicate=False,
            )
        )
    return pairs
