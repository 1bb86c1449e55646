"""The language of every record, detected offline (py3langid), and whether NER may run on it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

SUPPORTED_LANGUAGE = "en"

# The detector reads this much of the text: on the 91 pages of datasets/article-extraction-dev
# it gives the same language as the whole text for every page, at a quarter of the time.
SAMPLE_CHARS = 1000
# Below this the detector guesses ("Clay Curtis" → Somali at 0.04); the declared language, or
# the English model, decides instead.
MIN_CHARS = 40
# Normalized probability the detector must reach to overrule a declared language. Bodies of
# the dataset score 0.82 to 1.0 (one English page of sports scores: 0.66).
MIN_CONFIDENCE = 0.6


@dataclass(frozen=True)
class LanguageDecision:
    language: str | None  # what the enriched record says: detected, or else declared
    skipped: str | None  # why NER does not run, or None when it does


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str, float] | None:
    """(ISO 639-1 code, probability) of `text`, or None when it is too short to tell."""
    sample = text[:SAMPLE_CHARS]
    if sum(map(str.isalpha, sample)) < MIN_CHARS:
        return None
    language, probability = _identifier().classify(sample)
    return language, probability


def decide(declared: str | None, text: str) -> LanguageDecision:
    """The record's language and whether NER runs: a confident detection wins over the page's
    declaration (CMS templates often say "en" on every page); with neither, English is
    assumed for a text too short to tell, as tagging it costs little and skips nothing."""
    declared_primary = declared.split("-")[0].lower() if declared else None
    detected = detect(text)
    if detected is not None and detected[1] >= MIN_CONFIDENCE:
        language: str | None = detected[0]
        if language == declared_primary:
            language = declared  # keep the page's own form, e.g. "en-GB"
    else:
        language = declared
    primary = language.split("-")[0].lower() if language else SUPPORTED_LANGUAGE
    if primary == SUPPORTED_LANGUAGE:
        return LanguageDecision(language, None)
    reason = f"language {language} not supported"
    if declared and declared_primary != primary:
        reason += f" (page declares {declared})"
    return LanguageDecision(language, reason)
