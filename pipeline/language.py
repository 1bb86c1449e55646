"""The article's language: as the page declares it, checked against the text itself.

Detection is py3langid (offline, model bundled with the package, about 140 languages). A
declaration is kept unless the text says otherwise with near certainty: templates that say
`lang="en"` on every page of a German edition are common, a detector that is sure and wrong on
a paragraph of prose is not.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# The detector is as sure as it gets after a few hundred characters; more only costs time.
SAMPLE_CHARS = 600
MIN_CHARS = 200  # below this, detection is a guess
MIN_CONFIDENCE = 0.9  # to fill in a language the page does not declare
OVERRIDE_CONFIDENCE = 0.999  # to overrule the page's declaration
OVERRIDE_MIN_CHARS = 600
# Languages the detector tells apart less reliably than pages label them.
_CLOSE = (
    frozenset({"no", "nb", "nn", "da"}),
    frozenset({"sr", "hr", "bs"}),
    frozenset({"ms", "id"}),
)
_ISO_639_1 = re.compile(r"^[a-z]{2}$")


@cache
def _identifier() -> Any:
    # Loading the model takes most of a second: once per process, on first use.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str | None, float]:
    """The language of `text` (ISO 639-1) and the detector's confidence; None if too short."""
    if len(text) < MIN_CHARS:
        return None, 0.0
    # The middle of the text: the start may be a dateline, the end a boilerplate sign-off.
    middle = max(0, len(text) // 2 - SAMPLE_CHARS // 2)
    language, confidence = _identifier().classify(text[middle : middle + SAMPLE_CHARS])
    return (language if _ISO_639_1.match(language) else None), confidence


def _close(a: str, b: str) -> bool:
    return any(a in group and b in group for group in _CLOSE)


def choose_language(declared: str | None, text: str) -> str | None:
    """The declared language, unless the text is long and clearly in another one."""
    detected, confidence = detect(text)
    if declared is None:
        return detected if confidence >= MIN_CONFIDENCE else None
    if (
        detected
        and detected != declared
        and not _close(detected, declared)
        and confidence >= OVERRIDE_CONFIDENCE
        and len(text) >= OVERRIDE_MIN_CHARS
    ):
        return detected
    return declared
