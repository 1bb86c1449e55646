"""The headline among the titles a page states: JSON-LD, og:title, twitter:title, `<title>`, h1.

A page often names its story in several places, some of them with the site's name before or
after a separator ("Headline | Site", "Site - Headline", "Headline - Section - Site.com",
"Site: Headline") and some rewritten for search engines or social media. A visible heading that
another of them repeats (once the site's name is cut) is the page agreeing with itself, and
that is the title; without one, the first declared title, without the site's name.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from bs4 import NavigableString, Tag

from pipeline.clean.hygiene import tidy

# Separators between a headline and the site's or section's name; a colon only ever sets
# off a name the page declares ("Gazette: Headline"), never a guessed one.
_TITLE_SEPARATOR = re.compile(r"\s+(?:[|–—·•»«›~/]|::|--?)\s+")
_COLON = re.compile(r":\s+")
# A site's or section's name in brackets after the headline: "Headline [Site]".
_BRACKETED = re.compile(r"\s+\[([^\[\]]{1,60})\]$")
_WORD = re.compile(r"\w+")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});", re.I)
_KICKER_WORDS = 3  # "Exclusive", "Opinion", "Live updates", "In pictures"
_KICKER_ENDS = ":|-–—·•»/"
_LOGO_EXTRA_WORDS = 1  # "Archive of Our Own beta"
_SITE_SUFFIX_WORDS = 4
_SITE_NAME_WORDS = 5
_MIN_NAME = 3  # "bbc", "cnn"
_MIN_SHORTER_NAME = 4
_NOT_ALNUM = re.compile(r"[\W_]+")
# A heading's permalink mark ("Shared history ¶") is not part of its text.
_ANCHOR_MARKS = " ¶§#🔗"
_MAX_HEADINGS = 8
# Inline text with no space between its elements reads as one word ("Metroid</a>, One").
_BREAKING_TAGS = frozenset({"br", "div", "p", "li", "h1", "h2", "h3", "h4", "h5", "h6"})
_SILENT_TAGS = frozenset({"script", "style", "noscript", "template", "svg"})
# The labels of a host that name no site: "www.bbc.co.uk" is "bbc", "edition.cnn.com" "cnn".
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac", "edu", "ne", "or", "go"})


def squash(name: str) -> str:
    """A site's name without case, spaces or punctuation: "Old Gazette" is "old-gazette"."""
    return _NOT_ALNUM.sub("", name.casefold().removeprefix("the "))


def host_brand(host: str) -> str | None:
    """The label of a host that names the site: "bbc" for "www.bbc.co.uk"."""
    labels = [label for label in host.lower().split(".") if label]
    if len(labels) < 2:
        return None
    labels.pop()
    if len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
        labels.pop()
    return labels[-1]


def _is_site(part: str, names: set[str]) -> bool:
    """The part names the site: its name, or a short longer or shorter form of it
    ("The Real Deal" for "The Real Deal New York", "BBC News" for bbc.co.uk)."""
    key = squash(part)
    if not key:
        return False
    if key in names:
        return True
    if len(part.split()) > _SITE_NAME_WORDS:
        return False
    return any(
        (len(name) >= _MIN_NAME and key.startswith(name))
        or (len(key) >= _MIN_SHORTER_NAME and name.startswith(key))
        for name in names
    )


def strip_site_name(title: str, site_names: Iterable[str], *, guess: bool = True) -> str:
    """The title without the site's name (and a section's) after or before a separator.

    With `guess`, one short last part counts as the site's name even when the page never
    declares its name ("Headline - Springfield Times").
    """
    names = {squash(n) for n in site_names if n}
    names.discard("")
    title = title.strip()
    tag = _BRACKETED.search(title)
    if tag and title[: tag.start()].strip() and (guess or _is_site(tag.group(1), names)):
        # "LWN.net Weekly Edition [LWN.net]", "Chapter 1 [Archive of Our Own]"
        title = title[: tag.start()].strip()
    while separators := list(_TITLE_SEPARATOR.finditer(title)):
        last = separators[-1]
        head, tail = title[: last.start()].strip(), title[last.end() :].strip()
        if head and _is_site(tail, names):
            title = head
            continue
        first = separators[0]
        head, rest = title[: first.start()].strip(), title[first.end() :].strip()
        if rest and _is_site(head, names):
            title = rest
            continue
        if guess and len(tail.split()) <= min(_SITE_SUFFIX_WORDS, len(head.split())):
            title, guess = head, False
            continue
        break
    colon = _COLON.search(title)
    if colon and title[colon.end() :].strip() and squash(title[: colon.start()]) in names:
        return title[colon.end() :].strip()
    return title


def heading_text(heading: Tag) -> str:
    """A heading's text as it reads: inline parts joined as they are, without a permalink."""
    parts: list[str] = []
    stack: list[Tag | NavigableString] = [heading]
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name in _SILENT_TAGS:
                continue
            if node.name in _BREAKING_TAGS:
                parts.append(" ")
            stack.extend(
                child
                for child in reversed(node.contents)
                if isinstance(child, Tag) or type(child) is NavigableString
            )
        else:
            parts.append(str(node))
    # A CMS that escapes twice shows "&amp;" in the heading: the page meant "&".
    text = _ENTITY.sub(lambda entity: html.unescape(entity.group()), "".join(parts))
    return tidy(text).rstrip(_ANCHOR_MARKS)


def choose_title(
    declared: Sequence[str | None],
    h1s: Sequence[str],
    h2s: Sequence[str],
    site_names: Sequence[str],
    *,
    title_tag: str | None,
) -> str | None:
    """The headline: a heading the page also declares, else the first declared title.

    `declared` are the JSON-LD headline, og:title and twitter:title in that order; the
    `<title>` comes last, its site name cut more eagerly (a short last part is taken for one).
    An `<h1>` (the first that a declared title repeats) wins; then an `<h2>` that one repeats
    (a site whose `<h1>` holds a section's name); then the declared titles in order, the
    first `<h1>`, and the `<title>`.
    """
    names = {squash(name) for name in site_names if name}
    # A host's label keeps the article that `squash` drops from a name: "thepoliticalinsider"
    # is "The Political Insider".
    names |= {name.removeprefix("the") for name in names if len(name) > len("the")}

    # The parts the `<title>` sets off as the site's ("Chapter 1 | Fandom [Archive of Our Own]").
    logos = _site_parts(title_tag, strip_site_name(title_tag, site_names)) if title_tag else []

    def usable(candidate: str | None) -> str | None:
        # A site that puts its own name in og:title or its logo in an <h1> names no article.
        if not candidate or squash(candidate) in names:
            return None
        return None if any(_is_logo(candidate, part) for part in logos) else candidate

    stated = [
        *(strip_site_name(text, site_names, guess=False) for text in declared if text),
        *([strip_site_name(title_tag, site_names)] if title_tag else []),
    ]
    raw = [*(text for text in declared if text), *([title_tag] if title_tag else [])]
    guessed = [strip_site_name(text, site_names) for text in raw]
    keys = {squash(text) for text in [*stated, *raw, *guessed]}
    keys.discard("")
    h1s = [h for h in h1s[:_MAX_HEADINGS] if usable(h)]
    # A title as written counts where a heading repeats it (the site's name was a guess).
    shown = {squash(h) for h in h1s}
    statements = [
        [cut, *([text] if squash(text) in shown else [])]
        for text, cut in zip(raw, stated, strict=True)
    ]
    # "Headline — Site" where another <h1> is the headline: the tail is the site, no kicker.
    headed = any(_starts_with_heading(text, heading) for text in raw for heading in h1s)
    for heading in [] if headed else h1s:
        # A kicker before the same headline ("EXCLUSIVE: Headline", "Analysis" glued to the
        # heading): the shorter, without it.
        for text in (*stated, *guessed):
            if _kicked(text, heading):
                return heading
            if _kicked(heading, text) and usable(text):
                return text
    if title_tag and (agreed := _most_stated([*statements, h1s])):
        if usable(agreed):
            return agreed
    for heading in h1s:
        if usable(heading) and squash(heading) in keys:
            return heading
    # The page's one <h1> as one part of a declared title: "Artist – Song" with the song in
    # the <h1> and the artist in an <h2> (a section's name is a cut part of the `<title>`,
    # not `usable`; of two <h1>s, one may be the site's).
    parts = {squash(part) for text in raw for part in _TITLE_SEPARATOR.split(text)}
    if len(h1s) == 1 and usable(h1s[0]) and squash(h1s[0]) in parts:
        return h1s[0]
    for heading in h2s[:_MAX_HEADINGS]:
        if usable(heading) and squash(heading) in keys:
            return heading
    for heading in h1s:
        # "Headline | Section | Site": the heading, then a separator, then names.
        if any(_starts_with_heading(text, heading) for text in raw):
            return heading
    for candidate in (*stated[: len(raw) - (1 if title_tag else 0)], *h1s[:1], *stated[-1:]):
        if usable(candidate):
            return candidate
    return None


def _most_stated(statements: Sequence[Sequence[str]]) -> str | None:
    """The headline most of the page's statements give, when the `<title>` is among them.

    `statements` are the declared titles (JSON-LD headline, og:title, twitter:title), then the
    `<title>` (each as written and without the site's name) and last the `<h1>`s (one vote
    for all). A page whose `<h1>` was rewritten after its `<title>` and og:title were set
    states the `<title>`'s headline at least as often as the heading's; a tie goes to the
    `<title>`, which is what browsers and search results show. Without a majority that
    includes the `<title>`, None: the visible heading decides.
    """
    voters: dict[str, set[int]] = {}
    for source, forms in enumerate(statements):
        for key in {squash(text) for text in forms} - {""}:
            voters.setdefault(key, set()).add(source)
    title = len(statements) - 2
    most = max((len(v) for v in voters.values()), default=0)
    best = [key for key, v in voters.items() if len(v) == most and title in v]
    if most < 2 or not best:
        return None
    # The heading as it reads, else the declared title, else the `<title>`'s words.
    texts = [*statements[-1], *(text for forms in statements[:-1] for text in forms[::-1])]
    return next((text for key in best for text in texts if squash(text) == key), None)


def _site_parts(title: str, kept: str) -> list[str]:
    """The parts of a title that `strip_site_name` cut: the site's and sections' names."""
    tag = _BRACKETED.search(title)
    parts = [
        part.strip() for part in _TITLE_SEPARATOR.split(title[: tag.start()] if tag else title)
    ]
    found = [part for part in parts if part and part not in kept]
    return [*found, tag.group(1).strip()] if tag and tag.group(1) not in kept else found


def _is_logo(heading: str, site: str) -> bool:
    """The heading is the site's name, give or take a word after a name of several words
    ("Archive of Our Own beta"); a one-word name must be all of it ("Weather warning" is not
    the logo of "Storm | Weather")."""
    words, name = _WORD.findall(heading.casefold()), _WORD.findall(site.casefold())
    extra = _LOGO_EXTRA_WORDS if len(name) > 1 else 0
    return bool(name) and words[: len(name)] == name and len(words) - len(name) <= extra


def _kicked(text: str, headline: str) -> bool:
    """The text is the headline after a kicker of a few words: "Exclusive: Headline",
    "Opinion | Headline", "AnalysisHeadline" (a kicker `<span>` glued to an `<h1>`)."""
    key, end = squash(text), squash(headline)
    if not end or len(end) == len(key) or not key.endswith(end):
        return False
    # Where the headline starts in the text, its first word's letters onwards.
    first = _WORD.search(headline)
    start = text.casefold().rfind(first.group().casefold()) if first else -1
    while start > 0 and squash(text[start:]) != end:
        start = text.casefold().rfind(first.group().casefold(), 0, start) if first else -1
    if start <= 0 or len(_WORD.findall(text[:start])) > _KICKER_WORDS:
        return False
    before = text[:start].rstrip()
    if not before:
        return False
    # Set off by a separator or a colon, or glued on: "Analysis" + "Harbour reopens".
    glued = before == text[:start] and before[-1].isalpha() and text[start].isupper()
    return glued or before[-1] in _KICKER_ENDS


def _starts_with_heading(text: str, heading: str) -> bool:
    first = _TITLE_SEPARATOR.search(text)
    return first is not None and squash(text[: first.start()]) == squash(heading)
