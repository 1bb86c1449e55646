"""A substring test in front of a case-insensitive pattern: most lines (and most pages) hold
none of the words such a pattern needs, and `word in lower` costs far less than the
pattern's search.

The test must never say no where the pattern would match. Lower-casing agrees with the
pattern's case-insensitive matching for every character but three that it takes for an ASCII
letter while str.lower() does not give that letter: dotless ı and İ ("i"), and the long ſ ("s").
A text holding one of them is always handed to the pattern.
"""

from __future__ import annotations

import re

_FOLDS_TO_ASCII = re.compile("[\u0131\u0130\u017f]")


def may_match(text: str, lower: str, words: tuple[str, ...]) -> bool:
    """Whether a case-insensitive pattern that needs one of `words` (in lower case) anywhere
    in its match can match `text`; `lower` is `text.lower()`."""
    return any(word in lower for word in words) or bool(_FOLDS_TO_ASCII.search(text))
