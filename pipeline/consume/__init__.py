"""The consume stage: the enricher service between the cleaned topic and the warehouse."""

from pipeline.consume.runner import ConsumeStats, consume_cleaned

__all__ = ["ConsumeStats", "consume_cleaned"]
