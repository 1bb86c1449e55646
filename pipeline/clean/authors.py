"""Author names out of bylines and metadata: "By Jane Doe and John Roe, Staff Writers"."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from pipeline.clean.hygiene import tidy

# "By", and its German, French, Spanish/Portuguese, Dutch and Scandinavian forms; Italian "di"
# only in lower case, since "Di" starts surnames.
_BY = re.compile(r"^\s*(?:(?i:(?:written\s+)?(?:by|von|par|por|door|av|af))|di)[\s:]+")
_CLAUSE_SEPARATORS = re.compile(r"\s*(?:,|;|\||[·•]|\s[-–—/]\s)\s*")
# What a byline holds besides names: its date ("· February 16, 2020", "Feb. 16, 2020 3:04 PM
# EST", "2020-02-16"), an email address, a handle ("(@janedoe)"). Each becomes a clause break.
_MONTH_WORD = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"  # English only: a
    # byline in another language names its date with digits often enough.
)
_NOT_NAME_PARTS = re.compile(
    # "Edited by ...", "Photos by ...": the rest of the byline credits someone else.
    r"(?i:\b(?:edited|reviewed|fact[- ]checked|photos?|photographs|illustrations?|video)"
    r"\s+by\b.*$)|"
    r"(?i:\b(?:updated|published|posted|last\s+modified)\b:?)|"
    r"(?i:\b(?:\d{1,3}|an?)\s+(?:sec|min|minute|hour|hr|day|week)s?\s+ago\b|"
    r"\b(?:yesterday|today|just\s+now)\b)|"
    r"(?i:\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+(?=" + _MONTH_WORD + r"\s+\d))|"
    r"(?i:\b" + _MONTH_WORD + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})|"
    r"(?i:\b\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH_WORD + r",?\s+\d{4})|"
    r"\b\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?|"
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|"
    r"(?i:(?:\bat\s+)?\b\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?(?:\s+[A-Z]{2,4}\b)?)|"
    r"\(?\s*[\w.+-]+@[\w-]+(?:\.[\w-]+)+\s*\)?|"
    r"(?i:\b(?:follow\s+(?:\w+\s+)?on\s+)?twitter:?\s*)?\(?@\w+\)?"
)
# A word left hanging where a date or a handle was cut: "Clay Curtis on", "Jane Doe at".
_DANGLING = re.compile(r"\s+(?i:on|at|am|le|el|the)\s*$")
_LIST_SEPARATORS = re.compile(r"\s*(?:\band\b|&|\bund\b|\bet\b|\by\b|\bwith\b)\s*", re.I)
# Words that make a byline part a role, an outlet or a date rather than a person's name.
_NOT_A_NAME = re.compile(
    r"\b(?:writer|reporter|correspondent|editor|staff|contributor|columnist|photographer|"
    r"producer|analyst|critic|author|journalist|team|desk|newsroom|bureau|press|reuters|afp|"
    r"bloomberg|news|media|times|post|herald|tribune|daily|magazine|updated|published|posted|"
    r"follow|twitter|email|contact|for|from|copyright|redaktion|rédaction|redacción|redazione|"
    r"agentur|agence|agencia|sign|log|register|subscribe|terms|privacy|policy|cookies?|menu|"
    r"search|home|control|share|comments?|agency|institute|university|association|council|"
    r"department|ministry|organi[sz]ation|foundation|society|"
    # A byline's buttons and links: "View All", "Link Copied", "Jane's Most Recent Stories".
    r"view|profile|copied|recent|stories|orcid)\b|@|\d|https?:|www\.|"
    # A credit's connecting word: "Jane Doe at MSA Models", "Michael Larabel in Valve".
    r"(?-i:\s(?:at|in|using|via|of)\s)",
    re.I,
)
# Names are letters, spaces, apostrophes, hyphens and dots: "Terms of Use . >" is a link.
_NAME_CHARS = re.compile(r"^(?:[^\W\d_]|[\s'’.\-])+$")
_LONG_WORD = re.compile(r"[^\W\d_]{2}")
_INITIALISM = re.compile(r"^(?:[A-Z]{1,5}|Ph\.?D|M\.?D|Jr|Sr)\.?$")
_LOWER_PARTICLES = frozenset("de da del della der di du la le van von bin al el ten ter y".split())
MAX_NAME_WORDS = 5
MAX_NAME_CHARS = 60


def split_byline(text: str) -> list[str]:
    """The people a byline names, without "By", roles or outlets."""
    text = _BY.sub("", tidy(html.unescape(text)))
    text = _BY.sub("", _NOT_NAME_PARTS.sub(" | ", text).strip(" |"))
    names = []
    for position, clause in enumerate(_CLAUSE_SEPARATORS.split(text)):
        for part in _LIST_SEPARATORS.split(_DANGLING.sub("", clause)):
            name = clean_name(part) or _capitals_before_outlet(part)
            # After a comma or a bar, a single word is a place or an outlet ("Jane Doe, Paris").
            if name and (position == 0 or " " in name):
                names.append(name)
    return names


def _capitals_before_outlet(part: str) -> str | None:
    """The name in wire-service style, "RAUL SANTOS Associated Press": the capitals first."""
    words = part.split()
    capitals = []
    for word in words:
        if not (word.isupper() and word.isalpha()):
            break
        capitals.append(word)
    if len(capitals) < 2 or len(capitals) == len(words):
        return None
    return clean_name(" ".join(capitals))


def clean_name(value: str) -> str | None:
    """A person's name as a byline part or metadata value gives it, or None if it is not one."""
    name = _BY.sub("", tidy(html.unescape(value))).strip(" .,:;-–—|")
    if _BY.sub("", name + " ") == "":  # "By" alone, its name on the next line
        return None
    if not name or len(name) > MAX_NAME_CHARS or _NOT_A_NAME.search(name):
        return None
    if _INITIALISM.match(name):  # "AP", "PTI", "RDN": an agency or a credential
        return None
    # "J J" is initials with no name to them.
    if not _NAME_CHARS.match(name) or not _LONG_WORD.search(name):
        return None
    words = name.split()
    initials = [w[0] for w in words if w[0].isupper() or w[0].islower()]
    # All-lower-case words are a phrase ("posted in news"); scripts without case are exempt.
    if len(words) > MAX_NAME_WORDS or (initials and not any(c.isupper() for c in initials)):
        return None
    if name.isupper():
        # "JANE DOE" from a styled byline; keep "de", "van" particles lower-case.
        name = " ".join(
            w.lower() if w.lower() in _LOWER_PARTICLES else w.capitalize() for w in words
        )
    return name


def unique_names(names: Iterable[str], not_authors: Iterable[str] = ()) -> list[str]:
    """Names in first-seen order, once each, without the site or publisher posing as author.

    Names are compared without case, spaces or dots, so "Business Insider" matches the site
    name "businessinsider" taken from the host name.
    """
    excluded = {_squash(n) for n in not_authors if n}
    seen: set[str] = set()
    result = []
    for name in names:
        key = _squash(name)
        if key not in seen and key not in excluded:
            seen.add(key)
            result.append(name)
    return result


def _squash(name: str) -> str:
    return re.sub(r"[\s.]+", "", name).casefold()
