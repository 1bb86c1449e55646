"""Entity mentions: the model's spans trimmed, named canonically, and junk rejected.

Pure functions over strings, so every rule here is tested without loading a model. How the
mentions of one article become entities is `pipeline.enrich.resolution`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Names worth storing; numeric and temporal types (DATE, CARDINAL, MONEY, …) are not entities
# anyone looks up in the warehouse.
KEPT_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "FAC", "PRODUCT", "WORK_OF_ART", "LAW"}
)

_ACRONYM_AFTER = re.compile(r"\s?\(([A-Z][A-Za-z&.\-]{1,11})\)")
_LEADING_THE = re.compile(r"the\s+", re.IGNORECASE)
# French and Italian elided articles the models take into a span ("l'OTAN", "L'Espagne",
# "dell'Onu"). Only outside English: there "L'Oréal" and "D'Angelo" are whole names.
_ELIDED_ARTICLE = re.compile(r"(?:l|d|dell|all|nell|sull|dall)['’](?=\w)", re.IGNORECASE)
# "non-NATO partner nations", "the anti-IS coalition": the name is what follows the prefix.
_PREFIX = re.compile(r"(?:non|anti|pro|ex|post|pre)[\-‐–](?=[A-Z])", re.IGNORECASE)
# Titles the small model often takes into a PERSON span ("President Trump"); royal and
# religious titles stay, they are part of how such people are named ("Prince Andrew").
_TITLE = re.compile(
    r"(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Capt|Prof)\.?\s+"
    r"|(?:President|Vice President|Prime Minister|Senator|Governor|Secretary|Chancellor)\s+"
)
_POSSESSIVE = re.compile(r"(?<=\w)['’]s$|(?<=s)['’]$")
_WORD_SPLIT = re.compile(r"[\s\-]+")
# Imperatives of page furniture the model tags as names ("Follow Sputnik's", "Click Here").
_IMPERATIVES = frozenset(
    {
        "follow",
        "click",
        "subscribe",
        "share",
        "read",
        "watch",
        "sign",
        "download",
        "listen",
        "join",
        "tap",
        "like",
        "comment",
        "discuss",
        "visit",
        "contact",
        "register",
        "log",
        "email",
        "see",
        "get",
        "find",
        "check",
    }
)


@dataclass(frozen=True)
class Mention:
    """One entity span as found in the record: `surface` is `record.text[offset:]`'s prefix."""

    surface: str
    label: str
    offset: int
    # The token of an "Organization (ORG)" definition right after the span; checked against the
    # long form's initials in resolution, so a stray parenthesis does not create an alias.
    acronym: str | None = None
    # For an acronym in parentheses, the words before them whose initials spell it, when the
    # model did not tag those words: "NATO Mission Iraq (NMI)" gives "NATO Mission Iraq".
    long_form: str | None = None
    paragraph: int = 0  # index of the record's paragraph the span is in


def _is_punct(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _trim_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past surrounding whitespace and punctuation.

    A final period stays when it closes a one-letter abbreviation ("U.S.", "D.C."), where it is
    part of the name; otherwise it is sentence punctuation the model swallowed ("IL-25.").
    """
    # A letter or digit is neither space nor punctuation: most spans start and end with one,
    # and that check is much cheaper than the Unicode category.
    while (
        start < end
        and not text[start].isalnum()
        and (text[start].isspace() or _is_punct(text[start]))
    ):
        start += 1
    while (
        start < end
        and not text[end - 1].isalnum()
        and (text[end - 1].isspace() or _is_punct(text[end - 1]))
    ):
        abbreviation = (
            text[end - 1] == "."
            and end - start >= 2
            and text[end - 2].isalpha()
            and (end - 3 < start or text[end - 3] in ". ")
        )
        if abbreviation:
            break
        end -= 1
    return start, end


def _long_form_before(paragraph: str, start: int, acronym: str) -> str | None:
    """The capitalized words right before "(ACRONYM)" at `start` whose initials spell it."""
    # paragraph[:start].rstrip() must end with "(": looked at in place rather than copied,
    # since almost no span has one before it.
    end = start
    while end > 0 and paragraph[end - 1].isspace():
        end -= 1
    if end == 0 or paragraph[end - 1] != "(":
        return None
    words = paragraph[: end - 1].split()
    letters = [char for char in acronym if char.isupper()]
    if len(letters) < 2:
        return None
    # Connectives do not give a letter ("Bank of England (BE)"), so look a little further back.
    window = words[-(2 * len(letters) + 1) :]
    for first in range(len(window)):
        candidate = " ".join(window[first:])
        if candidate[:1].isupper() and initials(candidate) == "".join(letters):
            return candidate.strip(",;:")
    return None


def mention_from_span(
    paragraph: str,
    start: int,
    end: int,
    label: str,
    paragraph_offset: int,
    paragraph_index: int = 0,
) -> Mention | None:
    """A Mention for the model's span [start, end) of `paragraph`, which starts at
    `paragraph_offset` in the record's text; None when only punctuation is left."""
    trimmed_start, trimmed_end = _trim_bounds(paragraph, start, end)
    if trimmed_start == trimmed_end:
        return None
    surface = paragraph[trimmed_start:trimmed_end]
    acronym = _ACRONYM_AFTER.match(paragraph, end)
    return Mention(
        surface=surface,
        label=label,
        offset=paragraph_offset + trimmed_start,
        acronym=acronym.group(1) if acronym else None,
        long_form=_long_form_before(paragraph, trimmed_start, surface),
        paragraph=paragraph_index,
    )


def canonical_form(surface: str, label: str = "", language: str = "en") -> str:
    """The name without a leading article, a prefix ("non-"), a possessive, line breaks, or
    (for a PERSON) a courtesy or office title: "The NATO’s" → "NATO"; in an article in
    another language than English, without an elided article: "l'OTAN" → "OTAN"."""
    name = " ".join(surface.split())
    name = _LEADING_THE.sub("", name, count=1)
    if language != "en":
        name = _ELIDED_ARTICLE.sub("", name, count=1)
    name = _PREFIX.sub("", name, count=1)
    if label == "PERSON":
        stripped = _TITLE.sub("", name, count=1)
        name = stripped if stripped[:1].isupper() else name
    name = _POSSESSIVE.sub("", name)
    start, end = _trim_bounds(name, 0, len(name))
    return name[start:end]


def is_junk(canonical: str, label: str) -> bool:
    """Spans the small model tags that name nothing: one character, no letter at all ("2020",
    "@"), all lower case ("the alliance", which a name only is for NORP: "muslim"), page
    furniture starting with an imperative ("Follow Sputnik's") and possessive fragments left
    over from a split word ("s Feed")."""
    if len(canonical) < 2 or not any(char.isalpha() for char in canonical):
        return True
    if canonical.islower() and label != "NORP":
        return True
    first, _, rest = canonical.partition(" ")
    if rest and first.casefold() in _IMPERATIVES:
        return True
    return first in {"s", "'s", "’s"} or canonical[0] in "'’"


def initials(name: str) -> str:
    # Capitalized words only, so "Bank of England" gives "BE" and "Procter & Gamble" gives "PG".
    return "".join(word[0] for word in _WORD_SPLIT.split(name) if word[:1].isupper())


def is_acronym(name: str) -> bool:
    letters = name.replace(".", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper()


def defines_acronym(long_form: str, acronym: str) -> bool:
    letters = "".join(char for char in acronym if char.isupper())
    return len(letters) >= 2 and letters == initials(long_form) and acronym != long_form
