"""A pass over the raw markup before BeautifulSoup sees it: cut what is never article text.

Scripts, styles, inline SVG and comments are most of a modern page's bytes, and BeautifulSoup
builds Python objects for every element it parses, so cutting them from the text first is the
cheapest speed-up there is. The cut follows the browser: a script ends at the first `</script`,
a comment at the first `-->`. JSON-LD scripts stay, they carry the metadata.

Whitespace between two tags, one of them block-level, is not text in any browser, and each run
of it would become a string object of its own: it goes too (a third of the parse time).

Every search here moves forward through the text, and an opening with no end stops the cutting,
so a hostile page costs linear time. A page with more tags than any article page has is
truncated: BeautifulSoup needs about 1.5 KB of memory per element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Tags, opening and closing. Real pages have a few thousand (the most in the dev set: 3,229).
MAX_TAGS = 200_000

_OPENING = re.compile(r"<(script|style|svg|noscript|template)\b([^>]*)>|<!--", re.I)
# As a browser reads it: "</script" then space, "/" or ">" ends the element, and the end tag
# runs to the next ">" ("</script\n<!-- a comment -->" is one end tag, whatever it holds).
_CLOSING = {
    name: re.compile(rf"</{name}(?:[\s/][^>]*)?>", re.I)
    for name in ("script", "style", "svg", "noscript", "template")
}
_COMMENT_END = re.compile(r"--!?>")
_JSON_LD = re.compile(r"ld\+json", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,200}>", re.I)
# The elements blocks.py ends a paragraph at, plus <head>'s elements: space beside them is layout.
_LAYOUT_TAGS = (
    "address article aside blockquote body br caption center dd details dialog div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html li link "
    "main menu meta nav ol option p pre script section select summary table tbody td tfoot th "
    "thead title tr ul"
).split()
_LAYOUT = frozenset(_LAYOUT_TAGS)
# At a "<": a layout tag, opening or closing, starts here.
_LAYOUT_TAG_AT = re.compile(
    r"</?(?:" + "|".join(sorted(_LAYOUT_TAGS, key=len, reverse=True)) + r")[\s/>]", re.I
)
_SPACE_BETWEEN_TAGS = re.compile(r">\s+<")
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")
# A tag whose name is all ASCII and ends as a name does: for it, `_LAYOUT_TAG_AT` says what a
# set lookup says, without trying each name in turn. Other tags ask that pattern.
_ASCII_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)[\s/>]")


@dataclass(frozen=True)
class Markup:
    html: str
    truncated_chars: int = 0  # cut from the end because the page had too many tags


def cut_code(html: str, *, noscript: bool = False) -> str:
    """The page without scripts (JSON-LD excepted), styles, SVG, `<noscript>` and comments;
    with `noscript`, `<noscript>` and what it holds stay (the code inside it still goes)."""
    parts: list[str] = []
    position = 0
    while match := _OPENING.search(html, position):
        name = match.group(1)
        if noscript and name is not None and name.lower() == "noscript":
            parts.append(html[position : match.end()])
            position = match.end()
            continue
        if name is None:
            end = _COMMENT_END.search(html, match.end())
        elif name.lower() == "script" and _JSON_LD.search(match.group(2)):
            end = _CLOSING["script"].search(html, match.end())
            if end is None:
                break
            parts.append(html[position : end.end()])
            position = end.end()
            continue
        else:
            end = _CLOSING[name.lower()].search(html, match.end())
        if end is None:
            break  # an opening with no end: leave the rest to the parser
        # No space in its place: "3<!-- --> items" is how React writes "3 items".
        parts.append(html[position : match.start()])
        position = end.end()
    parts.append(html[position:])
    return "".join(parts)


def prepare(html: str, *, noscript: bool = False) -> Markup:
    """The markup to parse: code and layout whitespace cut out, at most `MAX_TAGS` tags;
    `noscript` keeps what `<noscript>` holds (see `cut_code`)."""
    # An XML declaration means nothing to an HTML parser (the text is decoded already), and
    # BeautifulSoup warns about every page that starts with one.
    html = _XML_DECLARATION.sub("", html, count=1)
    html = _SPACE_BETWEEN_TAGS.sub(_layout_space, cut_code(html, noscript=noscript))
    if html.count("<") <= MAX_TAGS:
        return Markup(html)
    position = -1
    for _ in range(MAX_TAGS + 1):
        position = html.find("<", position + 1)
    return Markup(html[:position], truncated_chars=len(html) - position)


def _layout_space(gap: re.Match[str]) -> str:
    """No space between two tags when either is a layout tag: one pass over the page (two
    passes, the space before a layout tag first, made the same text in more time)."""
    html = gap.string
    following = _ASCII_TAG.match(html, gap.end() - 1)
    if following:
        if following.group(1).lower() in _LAYOUT:
            return "><"
    elif _LAYOUT_TAG_AT.match(html, gap.end() - 1):
        return "><"
    opening = html.rfind("<", 0, gap.start())
    tag = _TAG_NAME.match(html, opening) if opening >= 0 else None
    return "><" if tag and tag.group(1).lower() in _LAYOUT else gap.group()
