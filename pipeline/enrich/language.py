"""Whether NER may run on a record: the record's language, decided by `pipeline.language` (the
cleaner's rule, so the enriched record says what the cleaned one said), and a model for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline.language import MIN_CHARS, choose_detected, detection, primary_subtag

DEFAULT_LANGUAGE = "en"
# A page declaring English whose text the detector reads as another language this surely keeps
# its declared language (the shared rule needs 0.999 to overrule a declaration, so the cleaned
# and enriched records agree), but the English model does not tag it: a Spanish report under an
# English template read 0.998 "es". No English article of the test corpora (81 dataset and
# sample-site stories) is read as another language at all.
FOREIGN_TEXT_CONFIDENCE = 0.99


@dataclass(frozen=True)
class LanguageDecision:
    language: str | None  # what the enriched record says
    skipped: str | None  # why NER does not run, or None when it does
    # When NER runs but finds less than a model would: what the record says about its
    # entities ("gazetteer entities only: no NER model for de installed"), or None.
    partial: str | None = None

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
    partial_reason: Callable[[str], str | None] | None = None,
) -> LanguageDecision:
    """The record's language and whether NER runs: `skip_reason(primary subtag)` says why
    not (no model for that language), None when a model tags it; `partial_reason(primary
    subtag)` what a record tagged by rules alone says. With no language known, English is
    assumed for NER: tagging costs little and skips nothing."""
    # One detection for both questions: the detector reads the same sample each time.
    found = detection(text)
    language = choose_detected(declared, text, found)
    primary = primary_subtag(language) if language else DEFAULT_LANGUAGE
    if primary == DEFAULT_LANGUAGE and declared and len(text) >= MIN_CHARS:
        if found and found[0] != DEFAULT_LANGUAGE and found[1] >= FOREIGN_TEXT_CONFIDENCE:
            return LanguageDecision(
                language,
                f"text reads as {found[0]} ({found[1]:.3f}) though the page declares "
                f"{declared}: no English NER on it",
            )
    mismatch = (
        f" (page declares {declared})" if declared and primary_subtag(declared) != primary else ""
    )
    reason = skip_reason(primary)
    if reason is None:
        partial = partial_reason(primary) if partial_reason else None
        return LanguageDecision(language, None, partial and partial + mismatch)
    return LanguageDecision(language, reason + mismatch)
