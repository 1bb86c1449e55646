"""Page furniture that survives extraction: bylines, share prompts, "Other reports by".

A short list of patterns, not a model: what they match is kept in the record (flagged as not
belonging to the story) but never reaches NER, the off-topic scores or the duplicate
signatures. Patterns are anchored and length-limited, so a sentence of the story that happens
to start with "Follow" or "Read" is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SHORT = 16  # words: furniture lines are short; a long paragraph is prose whatever its start
_SOCIAL = r"(?:twitter|facebook|instagram|linkedin|telegram|youtube|tiktok|threads|x|google news)"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"

# Whole paragraphs that are furniture (matched case-insensitively against the whole text).
_FURNITURE = re.compile(
    r"(?:other|more) (?:reports|stories|articles|news) (?:by|from)\b.*"
    r"|discuss this (?:article|story)|(?:show|view|load|hide) comments?.*|comments?(?: \(\d+\))?"
    r"|(?:join|start) the (?:conversation|discussion).*|leave a (?:comment|reply)"
    r"|share (?:this|on|via|the)\b.*"
    r"|(?:share|tweet|email|print|save)(?: this)?(?: article| story)?"
    r"|read (?:more|next|also|the full story)\b.*"
    r"|related(?: stories| articles| coverage| content)?:?"
    r"|advertisement|sponsored(?: content)?|story continues below.*|copy link"
    r"|listen to this (?:article|story).*|click here\b.*"
    r"|(?:sign up|subscribe)\b.*\b(?:newsletter|updates|inbox|alerts)\b.*"
    rf"|follow (?:us|@\w+|[\w'’ .-]{{1,40}}) on {_SOCIAL}\b.*"
    r"|follow [\w'’ .-]{1,40}(?:'s|’s)? (?:feed|updates|coverage|live).*"
    r"|(?:copyright|©).*|all rights reserved\.?",
    re.IGNORECASE,
)
# Bylines and datelines: "By Clay Curtis", "February 16, 2020", "Updated 12:30 GMT".
_BYLINE = re.compile(r"by [A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3}(?:,? .*)?")
_DATELINE = re.compile(
    rf"(?:(?:published|updated|posted|last updated)\b:? ?)?(?:\w+day,? )?"
    rf"(?:{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}|\d{{1,2}} {_MONTH},? \d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}})(?:,? (?:at )?\d{{1,2}}[:.]\d{{2}}.*)?",
    re.IGNORECASE,
)
# A name alone on a line near the top ("Clay Curtis"): two to four capitalized words, none a
# stop word, no sentence punctuation.
_NAME_LINE = re.compile(r"[A-Z][a-z'’.-]+(?: [A-Z][a-z'’.-]*){1,3}")
_NAME_LINE_WITHIN = 3  # paragraphs from the top
_NOT_NAMES = frozenset(
    {
        "The",
        "A",
        "An",
        "This",
        "That",
        "In",
        "On",
        "How",
        "Why",
        "What",
        "Read",
        "More",
        "Our",
        "Your",
        "Top",
        "Latest",
        "Related",
        "News",
    }
)

# Furniture inside a paragraph of prose: removed from the text NER sees, the rest is kept.
_INLINE = re.compile(
    r"Follow [\w'’ .-]{1,40}? (?:Feed|on " + _SOCIAL + r")\b[^.!?\"“]{0,40}[.!?]\s*"
    r"|(?:Click here|Sign up|Subscribe)\b[^.!?\"“]{0,80}"
    r"\b(?:newsletter|updates|alerts)[^.!?]*[.!?]\s*",
    re.IGNORECASE,
)


def is_furniture(text: str, position: int, authors: Sequence[str] = ()) -> bool:
    """Whether the paragraph `text`, the `position`-th of its article (from 0), is page
    furniture, a byline or a dateline rather than part of the story."""
    text = text.strip()
    words = text.split()
    if not words or len(words) > _SHORT:
        return False
    folded = text.casefold().rstrip(".!:")
    if any(folded in {a.casefold(), f"by {a.casefold()}"} for a in authors):
        return True
    if _FURNITURE.fullmatch(text) or _DATELINE.fullmatch(text):
        return True
    if _BYLINE.fullmatch(text) and text[:3] in {"By ", "BY "}:
        return True
    return (
        position < _NAME_LINE_WITHIN
        and len(words) <= 4
        and _NAME_LINE.fullmatch(text) is not None
        and not any(word in _NOT_NAMES for word in words)
    )


# Every match of _INLINE starts with one of these words, in any case: a paragraph whose
# lower-cased text has none is not searched. Case-insensitive matching takes an ASCII letter
# for its other case, and for four other letters only (İ ı ſ K, as i i s k: a unit test checks
# every code point), in whose presence the paragraph is searched anyway.
_INLINE_WORDS = ("follow ", "click here", "sign up", "subscribe")
_CASE_ODDITIES = ("\u0130", "\u0131", "\u017f", "\u212a")


def prose_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) ranges of `text` left once inline furniture is cut out (usually one)."""
    lowered = text.lower()
    if not any(word in lowered for word in _INLINE_WORDS) and not any(
        char in text for char in _CASE_ODDITIES
    ):
        return [(0, len(text))] if text.strip() else []
    spans = []
    start = 0
    for match in _INLINE.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]
