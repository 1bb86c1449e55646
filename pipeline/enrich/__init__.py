"""The enrich stage: language, canonical entities, off-topic paragraphs, near-duplicates.

`Enricher` and `enrich_jsonl` load spaCy, so they are imported on first use: the consumer
imports `pipeline.enrich.port` and `pipeline.enrich.duplicates` without paying for a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.enrich.enricher import Enricher
    from pipeline.enrich.jsonl import enrich_jsonl

__all__ = ["Enricher", "enrich_jsonl"]


def __getattr__(name: str) -> Any:
    if name == "Enricher":
        from pipeline.enrich.enricher import Enricher

        return Enricher
    if name == "enrich_jsonl":
        from pipeline.enrich.jsonl import enrich_jsonl

        return enrich_jsonl
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
