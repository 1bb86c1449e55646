"""The enrich stage: named entities per article (later: near-duplicates, off-topic paragraphs)."""

from pipeline.enrich.enricher import Enriched, Enricher
from pipeline.enrich.jsonl import enrich_jsonl

__all__ = ["Enriched", "Enricher", "enrich_jsonl"]
