"""Whether NER may run on a record: the record's language, decided by `pipeline.language` (the
cleaner's rule, so the enriched record says what the cleaned one said), and English only."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.language import choose_language, primary_subtag

SUPPORTED_LANGUAGE = "en"


@dataclass(frozen=True)
class LanguageDecision:
    language: str | None  # what the enriched record says
    skipped: str | None  # why NER does not run, or None when it does


def decide(declared: str | None, text: str) -> LanguageDecision:
    """The record's language and whether NER runs. With no language known, English is
    assumed for NER: tagging costs little and skips nothing."""
    language = choose_language(declared, text)
    primary = primary_subtag(language) if language else SUPPORTED_LANGUAGE
    if primary == SUPPORTED_LANGUAGE:
        return LanguageDecision(language, None)
    reason = f"language {language} not supported"
    if declared and primary_subtag(declared) != primary:
        reason += f" (page declares {declared})"
    return LanguageDecision(language, reason)
