"""`newsflow bench enrich --per-language`: the enricher's speed for each language, model load
apart.

One process, one `Enricher`, as a consumer runs it. For each language:

- the model load: the seconds `load_pipeline` takes for that language's model, the first time
  in this process (English is loaded when the enricher starts; every other model on the first
  article in its language). A language without a model but with gazetteer names (de, es, it,
  pt) gets the gazetteer's rule-based pipeline: its load is building that pipeline.
- articles/s and words/s of `enrich_each` over `--articles` articles in that language, in
  batches of 100 (the consumer's default batch), fastest of `--rounds` rounds, the model
  already loaded. Every step of the enricher is in the figure: language detection, furniture,
  NER where a model exists, resolution, near-duplicates.

English articles are the curated dataset articles (tests/fixtures/enrich, about 600 words, the
corpus of `bench enrich`); the other languages are the NATO summit reports of
tests/fixtures/enrich/languages (about 300 words each), each copy under its own URL, so
compare words/s across the two corpora. Figures, never assertions.
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
LANGUAGES = ("en", "fr", "de", "es", "it", "pt")
BATCH = 100
_FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "enrich" / "languages"


def _language_records(language: str, count: int) -> list[CleanedArticle]:
    if language == "en":
        from devtools.bench.enrich import _records

        return _records(count)[1]
    data = json.loads((_FIXTURES / f"{language}.json").read_text(encoding="utf-8"))
    paragraphs = [Paragraph(text=p) for p in data["paragraphs"]]
    text = "\n\n".join(p.text for p in paragraphs)
    records = []
    for n in range(count):
        url = f"{data['url']}?copy={n}"
        records.append(
            CleanedArticle(
                article_id=article_id_for(url),
                url=url,
                canonical_url=url,
                source_id=f"bench-{language}",
                title=data["title"],
                fetched_at=datetime.now(UTC),
                language=language,
                text=text,
                paragraphs=paragraphs,
                word_count=len(text.split()),
                content_hash=content_hash(text),
                extractor=Extractor(name="bench", version="0"),
            )
        )
    return records


def measure(articles: int, rounds: int, meter: Meter | None = None) -> dict[str, Any]:
    from pipeline.enrich import Enricher
    from pipeline.enrich.duplicates import MemoryDuplicateIndex
    from pipeline.enrich.ner_models import ENGLISH_MODEL, load_pipeline

    meter = meter if meter is not None else LogMeter()
    started = time.perf_counter()
    load_pipeline(ENGLISH_MODEL)  # imports and first load out of the way, then timed below
    warm_up = time.perf_counter() - started
    started = time.perf_counter()
    enricher = Enricher()
    english_load = time.perf_counter() - started
    meter.start(len(LANGUAGES) * rounds, "bench enrich per language", "rounds")
    figures: list[dict[str, Any]] = []
    for language in LANGUAGES:
        records = _language_records(language, articles)
        skipped = enricher.models.skip_reason(language)
        load = english_load if language == "en" else None
        if skipped is None and language != "en":
            enricher.models.pipeline(language)
            load = enricher.models.load_seconds[language]
        best = float("inf")
        entities = 0
        for _ in range(rounds):
            # A fresh near-duplicate index each round, as the copies are near-duplicates.
            enricher.duplicates = MemoryDuplicateIndex()
            began = time.perf_counter()
            entities = 0
            for at in range(0, len(records), BATCH):
                for result in enricher.enrich(records[at : at + BATCH]):
                    entities += len(result.entities)
            best = min(best, time.perf_counter() - began)
            meter.advance(1, step=language)
        words = sum(r.word_count for r in records)
        figures.append(
            {
                "language": language,
                "model": None if skipped else enricher.models.description(language),
                "skipped": skipped,
                # "gazetteer entities only: …" for a language tagged by the gazetteer's rules
                "partial": enricher.models.partial_reason(language),
                "model_load_seconds": None if load is None else round(load, 2),
                "articles": len(records),
                "words_per_article": round(words / len(records)),
                "articles_per_s": round(len(records) / best, 1),
                "words_per_s": round(words / best),
                "entities_per_article": round(entities / len(records), 1),
            }
        )
    return {
        "articles": articles,
        "rounds": rounds,
        "batch": BATCH,
        "first_spacy_load_seconds": round(warm_up, 2),
        "languages": figures,
    }


def run(
    *,
    articles: int = 200,
    rounds: int = 3,
    as_json: bool = False,
    echo: Echo = print,
    meter: Meter | None = None,
) -> dict[str, Any]:
    figures = measure(articles, rounds, meter)
    if as_json:
        echo(json.dumps(figures))
        return figures
    columns = (
        "language",
        "model",
        "model load s",
        "words/article",
        "articles/s",
        "words/s",
        "entities/article",
    )
    rows = [
        (
            f["language"],
            (f["model"] + (" (rules: gazetteer entities only)" if f.get("partial") else ""))
            if f["model"]
            else f"none: {f['skipped']}",
            "-" if f["model_load_seconds"] is None else f"{f['model_load_seconds']:.2f}",
            f["words_per_article"],
            f["articles_per_s"],
            f["words_per_s"],
            f["entities_per_article"],
        )
        for f in figures["languages"]
    ]
    echo(
        f"{figures['articles']} articles per language, one enricher in this process, batches "
        f"of {figures['batch']}, fastest of {figures['rounds']} rounds, model load apart "
        f"(spaCy's first import and load: {figures['first_spacy_load_seconds']:.2f} s, not in "
        "any row)"
    )
    echo(format_table(columns, rows))
    return figures
