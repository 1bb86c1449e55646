"""The article's language, decided in one place: as the page declares it, checked against the
text itself.

The cleaner fills the record's `language` with `choose_language`; the enricher asks the same
function again with the record's language as the declaration and the record's text, which
gives the record's own language back for every record the cleaner made (the rule is
idempotent), so the cleaned and the enriched record never disagree. It only differs for
records made by other producers.

Detection is py3langid (offline, model bundled with the package, about 140 languages). A
declaration is kept unless the text says otherwise with near certainty: templates that say
`lang="en"` on every page of a German edition are common, a detector that is sure and wrong on
a paragraph of prose is not.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from typing import Any

# The detector is as sure as it gets after a few hundred characters; more only costs time.
SAMPLE_CHARS = 600
# Below this many letters the detector guesses ("Clay Curtis" → Somali at 0.04).
MIN_LETTERS = 40
MIN_CHARS = 200  # below this, detection does not decide anything
MIN_CONFIDENCE = 0.9  # to fill in a language the page does not declare
OVERRIDE_CONFIDENCE = 0.999  # to overrule the page's declaration
OVERRIDE_MIN_CHARS = 600
# English is what page templates say when nobody chose ("en-US" in a CMS's default theme), so
# a declared "en" is weaker evidence than a declared "fr": text this long overrules it.
TEMPLATE_LANGUAGE = "en"
TEMPLATE_OVERRIDE_MIN_CHARS = MIN_CHARS
# Languages the detector tells apart less reliably than pages label them.
_CLOSE = (
    frozenset({"no", "nb", "nn", "da"}),
    frozenset({"sr", "hr", "bs"}),
    frozenset({"ms", "id"}),
)
_ISO_639_1 = re.compile(r"^[a-z]{2}$")


_LOADING = threading.Lock()


@cache
def _load_identifier() -> Any:
    from pipeline.language_model import default_cache_dir, load_identifier

    return load_identifier(default_cache_dir())


def _identifier() -> Any:
    # The model is loaded once per process, on first use (or in the background, see
    # `load_in_background`), from its uncompressed copy when there is one (pipeline/
    # language_model.py); the lock makes a caller wait for a load under way.
    with _LOADING:
        return _load_identifier()


def load_in_background() -> None:
    """Start loading the detector in a thread, for a process that will need it after a
    slower start of its own (the enricher loads its spaCy model meanwhile). With the model's
    uncompressed copy this takes little; the first load, which decompresses the model's LZMA
    (releasing the GIL) and writes the copy, takes about half a second."""
    threading.Thread(target=_identifier, name="load-language-detector", daemon=True).start()


def detect(text: str) -> tuple[str, float] | None:
    """(ISO 639-1 code, the detector's confidence) of `text`, or None when there is too little
    text to tell or the detector names no ISO 639-1 language."""
    # The middle of the text: the start may be a dateline, the end a boilerplate sign-off.
    middle = max(0, len(text) // 2 - SAMPLE_CHARS // 2)
    sample = text[middle : middle + SAMPLE_CHARS]
    if sum(map(str.isalpha, sample)) < MIN_LETTERS:
        return None
    language, confidence = _identifier().classify(sample)
    return (language, confidence) if _ISO_639_1.match(language) else None


def primary_subtag(language: str) -> str:
    """ "en-GB" → "en"."""
    return language.split("-")[0].lower()


def _close(a: str, b: str) -> bool:
    return any(a in group and b in group for group in _CLOSE)


def detection(text: str) -> tuple[str, float] | None:
    """What `choose_language` reads of `text`: `detect(text)`, None for text too short."""
    return detect(text) if len(text) >= MIN_CHARS else None


def choose_language(declared: str | None, text: str) -> str | None:
    """The declared language (in its own form, e.g. "en-GB"), unless the text is long and
    clearly in another one; with none declared, the detected one when the detector is sure."""
    return choose_detected(declared, text, detection(text))


def choose_detected(declared: str | None, text: str, found: tuple[str, float] | None) -> str | None:
    """`choose_language` given `found`, the `detection(text)` a caller already has (the
    enricher asks the detector's answer again: one detection serves both)."""
    if found is None:
        return declared
    detected, confidence = found
    if declared is None:
        return detected if confidence >= MIN_CONFIDENCE else None
    primary = primary_subtag(declared)
    if detected == primary or _close(detected, primary) or confidence < OVERRIDE_CONFIDENCE:
        return declared
    needed = TEMPLATE_OVERRIDE_MIN_CHARS if primary == TEMPLATE_LANGUAGE else OVERRIDE_MIN_CHARS
    return detected if len(text) >= needed else declared
