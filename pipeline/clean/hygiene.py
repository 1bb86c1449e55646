"""Text as a reader sees it: no invisible characters, no layout whitespace, one Unicode form."""

from __future__ import annotations

import re

from pipeline.records import normalize_text

# Zero-width space, word joiner, BOM, soft hyphen, Mongolian vowel separator: characters that
# are invisible on screen but split a word in two for any program reading the text. The
# zero-width (non-)joiners stay: Persian and Indic scripts and emoji sequences need them.
# C0/C1 control characters other than whitespace are debris of bad encodings.
_JUNK = re.compile("[\u00ad\u180e\u200b\u2060\ufeff\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def tidy(text: str) -> str:
    """NFC, one space between words (nbsp and other layout spaces included), no junk."""
    return normalize_text(_JUNK.sub("", text))
