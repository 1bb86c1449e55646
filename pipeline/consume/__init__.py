"""The consume stage: the enricher service between the cleaned topic and the warehouse."""

from pipeline.consume.runner import ConsumeStats, run_consumer

__all__ = ["ConsumeStats", "run_consumer"]
