"""`newsflow bench enrich`: enrichment throughput per process, beside NER alone.

Articles of about 600 words are built from real article text: the curated dataset articles of
tests/fixtures/enrich/articles.jsonl when run from a checkout (whole paragraphs, cut once 600
words are reached; articles under 500 words left out), the sample site's stories otherwise.
The full enricher (furniture, language, NER, entity resolution, off-topic scores, duplicate
signatures and the in-memory LSH index, the enriched record) and the model alone on the same
body paragraphs (what the enricher did before normalization: `nlp.pipe` with only `ner`)
run on the same articles in the same process, alternating chunk by chunk, so a noisy
neighbour slows both alike. Figures, never assertions.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.progress import LogMeter, Meter
from pipeline.records import CleanedArticle, Extractor, Paragraph, article_id_for, content_hash
from pipeline.table import format_table

Echo = Callable[..., None]
TARGET_WORDS = 600
MIN_WORDS = 500
CHUNK = 50  # articles per alternation between the two runs
WARM_UP = 8
_FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "enrich" / "articles.jsonl"


def _bodies() -> tuple[str, list[tuple[str, list[str]]]]:
    """(corpus name, [(title, paragraphs)]) of the articles to cycle through."""
    if _FIXTURE.exists():
        bodies = []
        for line in _FIXTURE.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            kept: list[str] = []
            for paragraph in row["paragraphs"]:
                kept.append(paragraph)
                if sum(len(p.split()) for p in kept) >= TARGET_WORDS:
                    break
            if sum(len(p.split()) for p in kept) >= MIN_WORDS:
                bodies.append((row["title"], kept))
        return "dataset articles (tests/fixtures/enrich)", bodies
    from devtools.sample_site import stories

    return "sample site stories", [
        (s.title, [t for k, t in s.paragraphs if k != "caption"]) for s in stories()
    ]


def _records(count: int) -> tuple[str, list[CleanedArticle]]:
    corpus, bodies = _bodies()
    records = []
    for n in range(count):
        title, paragraphs = bodies[n % len(bodies)]
        text = "\n\n".join(paragraphs)
        url = f"https://bench.example.org/{n}"
        records.append(
            CleanedArticle(
                article_id=article_id_for(url),
                url=url,
                canonical_url=url,
                source_id="bench",
                title=title,
                fetched_at=datetime.now(UTC),
                language="en",
                text=text,
                paragraphs=[Paragraph(text=p) for p in paragraphs],
                word_count=len(text.split()),
                content_hash=content_hash(text),
                extractor=Extractor(name="bench", version="0"),
            )
        )
    return corpus, records


def measure(articles: int, echo: Echo, meter: Meter | None = None) -> dict[str, Any]:
    from pipeline.enrich import Enricher
    from pipeline.enrich.enricher import EnrichStats

    meter = meter if meter is not None else LogMeter()
    corpus, records = _records(articles)
    meter.start(len(records), "bench enrich", "articles")
    meter.advance(step="loading the model, warming up")
    enricher = Enricher()
    enricher.enrich_each(records[:WARM_UP])
    enricher.stats = EnrichStats()  # the warm-up does not count
    ner_only = 0.0
    for number, start in enumerate(range(0, len(records), CHUNK)):
        chunk = records[start : start + CHUNK]
        # Which run goes first alternates: the second reads texts whose words the tokenizer
        # has just cached.
        if number % 2:
            enricher.enrich_each(chunk)
        began = time.perf_counter()
        texts = [p.text for r in chunk for p in r.paragraphs]
        for doc in enricher.nlp.pipe(texts, batch_size=enricher.batch_size):
            _ = doc.ents
        ner_only += time.perf_counter() - began
        if not number % 2:
            enricher.enrich_each(chunk)
        meter.advance(len(chunk), step="enriching, and NER alone on the same chunk")
    words = sum(r.word_count for r in records)
    stats = enricher.stats
    return {
        "corpus": corpus,
        "articles": len(records),
        "words_per_article": round(words / len(records)),
        "articles_per_s": round(len(records) / stats.total_seconds, 1),
        "words_per_s": round(words / stats.total_seconds),
        "ner_share": round(stats.ner_seconds / stats.total_seconds, 3),
        "rest_share": round(1 - stats.ner_seconds / stats.total_seconds, 3),
        "ner_only": {
            "articles_per_s": round(len(records) / ner_only, 1),
            "words_per_s": round(words / ner_only),
        },
        "speed_ratio": round(ner_only / stats.total_seconds, 3),
    }


def run(
    *, articles: int = 200, as_json: bool = False, echo: Echo = print, meter: Meter | None = None
) -> dict[str, Any]:
    """The figures; `meter` hears each chunk of articles (default: plain log lines)."""
    figures = measure(articles, echo, meter)
    if as_json:
        echo(json.dumps(figures))
        return figures
    columns = ("run", "articles/s", "words/s", "NER share")
    rows = [
        (
            "enrich (all of it)",
            figures["articles_per_s"],
            figures["words_per_s"],
            f"{figures['ner_share']:.0%}",
        ),
        (
            "NER only, same run",
            figures["ner_only"]["articles_per_s"],
            figures["ner_only"]["words_per_s"],
            "100%",
        ),
    ]
    echo(
        f"{figures['articles']} articles of {figures['words_per_article']} words on average "
        f"({figures['corpus']}), one process"
    )
    echo(format_table(columns, rows))
    echo(f"enrich runs at {figures['speed_ratio']:.2f}x the speed of NER alone")
    return figures
