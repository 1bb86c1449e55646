"""Which records the English NER model may tag, and why the others are skipped."""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

SUPPORTED_LANGUAGE = "en"

# Below this many words the stop-word ratio says little, and tagging a short text costs little:
# such texts are tagged rather than skipped.
MIN_WORDS = 20
# Share of English stop words among the words of a text. On the 91 pages of
# datasets/article-extraction-dev, English bodies score 0.15 to 0.56 (except one page of sports
# scores, mostly names and numbers, at 0.01, which is skipped) and German, Portuguese,
# Indonesian, Russian and Japanese ones 0.08 at most.
MIN_STOPWORD_RATIO = 0.12

_WORD = re.compile(r"[^\W\d_]+")


def english_stopword_ratio(text: str) -> tuple[float, int]:
    """(share of English stop words among the words of `text`, number of words)."""
    words = _WORD.findall(text.lower())
    if not words:
        return 0.0, 0
    return sum(word in STOP_WORDS for word in words) / len(words), len(words)


def skip_reason(language: str | None, text: str) -> str | None:
    """Why NER must not run on `text`, or None when it should.

    A declared language decides ("en-GB" counts as English); with none, a cheap offline guess
    from the stop-word ratio does, so untagged English is tagged and anything else is skipped
    with a reason instead of getting a silent, empty entity list.
    """
    if language is not None:
        primary = language.split("-")[0].lower()
        return None if primary == SUPPORTED_LANGUAGE else f"language {language} not supported"
    ratio, words = english_stopword_ratio(text)
    if words < MIN_WORDS or ratio >= MIN_STOPWORD_RATIO:
        return None
    return f"language unknown and text does not look English (stop-word ratio {ratio:.2f})"
