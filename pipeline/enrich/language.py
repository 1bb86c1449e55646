"""Whether NER may run on a record: the record's language, decided by `pipeline.language` (the
cleaner's rule, so the enriched record says what the cleaned one said), and a model for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline.language import choose_language, primary_subtag

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class LanguageDecision:
    language: str | None  # what the enriched record says
    skipped: str | None  # why NER does not run, or None when it does

    @property
    def ner_language(self) -> str:
        """The primary subtag whose model tags the record (English when none is known)."""
        return primary_subtag(self.language) if self.language else DEFAULT_LANGUAGE


def _english_only(language: str) -> str | None:
    return None if language == DEFAULT_LANGUAGE else f"no NER model for {language} installed"


def decide(
    declared: str | None,
    text: str,
    skip_reason: Callable[[str], str | None] = _english_only,
) -> LanguageDecision:
    """The record's language and whether NER runs: `skip_reason(primary subtag)` says why
    not (no model for that language), None when a model tags it. With no language known,
    English is assumed for NER: tagging costs little and skips nothing."""
    language = choose_language(declared, text)
    primary = primary_subtag(language) if language else DEFAULT_LANGUAGE
    reason = skip_reason(primary)
    if reason is None:
        return LanguageDecision(language, None)
    if declared and primary_subtag(declared) != primary:
        reason += f" (page declares {declared})"
    return LanguageDecision(language, reason)
