"""What a consumer needs of an enricher: the one shape every enricher has.

Implemented by `pipeline.enrich.Enricher` (spaCy) and by the consumer's stand-in for tests;
importing this module loads no model, so the consumer can name the port without spaCy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pipeline.errors import PoisonRecord
from pipeline.records import CleanedArticle, EnrichedArticle


class ArticleEnricher(Protocol):
    def enrich_each(
        self, records: Sequence[CleanedArticle]
    ) -> Sequence[EnrichedArticle | PoisonRecord]:
        """One result per record, in order: the enriched record (each entity carrying its
        surface forms), or the `PoisonRecord` (stage "enrich") of a record the enricher cannot
        handle, so that record alone is dead-lettered. Raising fails the whole batch."""
        ...
