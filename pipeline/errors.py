"""The error taxonomy: every failure newsflow raises on purpose is one of these."""

from __future__ import annotations


class NewsflowError(Exception):
    """Root of newsflow's errors. The CLI prints these as one line, without a traceback."""


class ConfigError(NewsflowError):
    """Bad configuration or sources file: the message names the input and the fix."""


class PrerequisiteError(NewsflowError):
    """Something the local stack needs is missing (Java, Maven, a free port)."""


class TransientError(NewsflowError):
    """Worth retrying with backoff: broker down, database restarting, HTTP 503."""


class FetchError(NewsflowError):
    """A page could not be fetched; `outcome` is the short reason stored in fetch_log."""

    def __init__(self, message: str, outcome: str = "failed") -> None:
        super().__init__(message)
        self.outcome = outcome


class PoisonRecord(NewsflowError):
    """A record that can never be processed; it goes to the dead-letter topic with its bytes."""

    def __init__(self, message: str, stage: str = "validate") -> None:
        super().__init__(message)
        self.stage = stage


class ExtractionError(PoisonRecord):
    """A page the cleaner cannot turn into an article record (empty, binary, no body)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, stage="clean")
