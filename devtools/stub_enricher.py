"""The stub enricher (NEWSFLOW_ENRICHER=stub): a stand-in for spaCy in tests and benchmarks.

The delivery tests and `newsflow bench delivery` are about Kafka and PostgreSQL: loading a
spaCy model into every consumer process they start and kill would make them slow without
testing anything more. The stub is deterministic and fast and is never meant for real data.
The consumer finds it through the `newsflow.enrichers` entry point of the development install
(devtools/pyproject.toml), so an installed newsflow does not contain it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from pipeline.records import CleanedArticle, EnrichedArticle, EnrichedParagraph
from pipeline.records import Enricher as EnricherInfo

_CAPITALIZED = re.compile(r"\b[A-Z]\w+")


class StubEnricher:
    """Every capitalized word of the text is an entity of label MISC."""

    info = EnricherInfo(name="newsflow-stub", model="capitalized-words (tests only)")

    def enrich_each(self, records: Sequence[CleanedArticle]) -> list[EnrichedArticle]:
        return [self._enrich(record) for record in records]

    def _enrich(self, record: CleanedArticle) -> EnrichedArticle:
        found = [(m.group(), m.start()) for m in _CAPITALIZED.finditer(record.text)]
        counts = Counter(word for word, _ in found)
        first: dict[str, int] = {}
        for word, offset in found:
            first.setdefault(word, offset)
        return EnrichedArticle.model_validate(
            {
                **record.model_dump(),
                "paragraphs": [
                    EnrichedParagraph(text=p.text, kind=p.kind) for p in record.paragraphs
                ],
                "entities": [
                    {
                        "name": word,
                        "label": "MISC",
                        "canonical": word,
                        "count": counts[word],
                        "first_offset": first[word],
                        "surface_forms": [word],
                    }
                    for word in sorted(first)
                ],
                "enricher": self.info,
            }
        )
