"""The enrich stage: language, canonical entities, off-topic paragraphs, near-duplicates."""

from pipeline.enrich.enricher import Enriched, Enricher
from pipeline.enrich.jsonl import enrich_jsonl

__all__ = ["Enriched", "Enricher", "enrich_jsonl"]
