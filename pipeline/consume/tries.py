"""A record the enricher cannot handle after three tries becomes a dead letter, not a crash.

The enricher reports records it knows it cannot handle as `PoisonRecord` results. Anything it
raises instead (a model choking on odd input) fails the whole batch; then each record is tried
alone, up to `TRIES` times. A record that still fails is poison only if the enricher handles a
plain sample article meanwhile: when even that fails, the enricher itself is broken, and the
error stops the consumer instead of dead-lettering the whole topic.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from kafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError

from pipeline.enrich.port import ArticleEnricher
from pipeline.errors import NewsflowError, PoisonRecord, TransientError
from pipeline.records import (
    CleanedArticle,
    EnrichedArticle,
    Extractor,
    Paragraph,
    content_hash,
    count_words,
)

log = logging.getLogger(__name__)

TRIES = 3
# Failures of the infrastructure, not of a record: retried by the consumer's backoff.
_NOT_THE_RECORD = (TransientError, KafkaError, DBAPIError)


def _sample() -> CleanedArticle:
    text = "Ada Lovelace wrote about the Analytical Engine in London."
    return CleanedArticle(
        article_id="0" * 64,
        url="https://newsflow.invalid/sample",
        canonical_url="https://newsflow.invalid/sample",
        source_id="newsflow-sample",
        title="Sample",
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        language="en",
        text=text,
        paragraphs=[Paragraph(text=text)],
        word_count=count_words(text),
        content_hash=content_hash(text),
        extractor=Extractor(name="newsflow-sample", version="1"),
    )


def enrich_with_tries(
    enricher: ArticleEnricher,
    records: Sequence[CleanedArticle],
) -> list[EnrichedArticle | PoisonRecord]:
    """One result per record: what `enrich_each` returned for it, or a PoisonRecord (stage
    "enrich") for a record that made the enricher raise `TRIES` times on its own."""
    try:
        return list(enricher.enrich_each(records))
    except _NOT_THE_RECORD:
        raise
    except Exception as exc:  # noqa: BLE001 - a model fails in ways of its own; isolated below
        log.warning(
            "the enricher failed on a batch of %d records (%s: %s); trying each alone",
            len(records),
            type(exc).__name__,
            exc,
        )
    results: list[EnrichedArticle | PoisonRecord] = []
    failures = 0
    for record in records:
        for attempt in range(1, TRIES + 1):
            try:
                [result] = enricher.enrich_each([record])
                results.append(result)
                break
            except _NOT_THE_RECORD:
                raise
            except Exception as exc:  # noqa: BLE001 - see above
                if attempt == TRIES:
                    failures += 1
                    poison = PoisonRecord(
                        f"the enricher failed on this record {TRIES} times: "
                        f"{type(exc).__name__}: {exc}",
                        stage="enrich",
                    )
                    poison.__cause__ = exc  # the dead letter's cause in the metrics
                    results.append(poison)
    if failures and failures == len(records):
        # No record went through: make sure the enricher works at all before blaming them.
        try:
            enricher.enrich_each([_sample()])
        except Exception as exc:
            raise NewsflowError(
                f"the enricher fails on every record and on a plain sample "
                f"article ({type(exc).__name__}: {exc}); it is broken, so "
                "nothing is dead-lettered"
            ) from exc
    return results
