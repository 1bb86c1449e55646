"""Metadata as a reader sees it: the byline, `<time>` elements, "Published ..." lines.

Only consulted when the page declares nothing machine-readable. The candidates come from what
the page walk in blocks.py collected (`<time>`s, `itemprop`s, every element and text node); only
the first few of every kind are kept, so a page full of dated comments costs no more than a page
without them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from itertools import islice
from typing import Any

from bs4 import NavigableString, Tag

from pipeline.clean.authors import split_byline
from pipeline.clean.blocks import PageBlocks
from pipeline.clean.furniture import class_and_id, name_reason
from pipeline.clean.lines import dateline_or_byline
from pipeline.clean.substrings import may_match

# "By", "Written by" and their translations ("di" lower case only: Italian, not a name).
_BY_WORD = r"^\s*(?:(?i:(?:written\s+)?by|von|par|por|door|av|af)|di)"
_BY_PREFIX = re.compile(_BY_WORD + r"\s+\S")
_BY_ALONE = re.compile(_BY_WORD + r"\s*:?\s*$")
# Inside a byline, the elements that hold one name each: `<span class="writer">`,
# `<a class="author-name">`, `<span itemprop="name">`.
_NAME_NODE = re.compile(
    r"(?:^|[\s_-])(?:writer|author|author-?name|name|reporter)(?:$|[\s_-])", re.I
)
_BYLINE_MAX_CHARS = 150
_CANDIDATES = 20
_PUBLISHED_HINT = re.compile(r"publish|posted|pubdate", re.I)
_UPDATED_HINT = re.compile(r"updated|modified", re.I)
_PUBLISHED_LINE = re.compile(
    r"\b(?:published|posted|ver[öo]ffentlicht|publi[ée]|publicado)\b\s*:?\s*"
    r"(?:on\s+|am\s+|le\s+|el\s+)?(.{6,60})",
    re.I,
)
_UPDATED_LINE = re.compile(
    r"\b(?:updated|modified|aktualisiert|mis à jour|actualizado)\b\s*:?\s*"
    r"(?:on\s+|am\s+|le\s+|el\s+)?(.{6,60})",
    re.I,
)
# What each of the two needs (substrings.py): most pages say neither.
_PUBLISHED_WORDS = ("publi", "posted", "ffentlicht")
_UPDATED_WORDS = ("updated", "modified", "aktualisiert", "mis à jour", "actualizado")
_PHOTO = frozenset({"figure", "figcaption"})
_CLAUSE_TAGS = frozenset({"div", "p", "li", "br", "ul", "ol", "time", "section", "header"})
# Widgets whose bylines name other stories' authors or commenters.
_OTHER_PEOPLE = frozenset({"related", "comments"})


def _dates_the_story(element: Tag) -> bool:
    """False for a date in a photo's caption or in a comment, teaser or other widget.

    A byline is furniture for the body text, not for dates: the story's own `<time>` often
    sits in it (`<p class="byline">By ... <time datetime=...>`), and without it the day-only
    dateline of the same paragraph would be all that is left.
    """
    return not any(
        parent.name in _PHOTO or name_reason(class_and_id(parent)) not in (None, "byline")
        for parent in element.parents
        if parent.name not in ("html", "body", "[document]")
    )


def _names_the_story(element: Tag) -> bool:
    """False for a byline in a teaser, comment or other widget ("related-links-author"): it
    names the author of another story, or a commenter."""
    # Only teasers and comments: a story's header is often named for its share buttons.
    return name_reason(class_and_id(element)) not in _OTHER_PEOPLE and not any(
        parent.name in _PHOTO or name_reason(class_and_id(parent)) in _OTHER_PEOPLE
        for parent in element.parents
        if parent.name not in ("html", "body", "[document]")
    )


def _byline_names(element: Tag) -> list[str]:
    """The names in one byline element: from the elements in it that hold a name each, when
    there are any (the rest is "By", a role, a date), else from its whole text."""
    name_nodes = element.find_all(itemprop="name") or [
        node for node in element.find_all(class_=_NAME_NODE) if not node.find(class_=_NAME_NODE)
    ]
    names = []
    for node in name_nodes or [element]:
        text = node.get("content") or node.get_text(" ", strip=True)
        if isinstance(text, str) and len(text) <= _BYLINE_MAX_CHARS:
            found = split_byline(text)
            if not found and _BY_PREFIX.match(text):
                # "By Joe Davidson" and "Washington Post" in two `<div>`s: a name, an outlet.
                found = split_byline(_byline_text(node))
            names += found
    return names


def _byline_text(element: Tag) -> str:
    """The byline's text, each block inside it set off as a clause."""
    parts: list[str] = []
    for node in element.descendants:
        if isinstance(node, Tag):
            if node.name in _CLAUSE_TAGS:
                parts.append(" | ")
        elif type(node) is NavigableString:
            parts.append(str(node))
    return " ".join(" ".join(parts).split()).strip(" |")


def _add(bucket: list[Any], item: Any) -> None:
    if len(bucket) < _CANDIDATES:
        bucket.append(item)


class VisibleMetadata:
    """Bylines and dates shown on one page, each kind gathered on first use only."""

    def __init__(self, page: PageBlocks) -> None:
        self._page = page

    @cached_property
    def _times(self) -> list[Tag]:
        # The ancestor check is the costly part: only pay it for the first few.
        times = []
        for node in self._page.found.get("time", []):
            if _dates_the_story(node):
                times.append(node)
                if len(times) >= _CANDIDATES:
                    break
        return times

    @cached_property
    def _marked(self) -> dict[str, list[Tag]]:
        marked: dict[str, list[Tag]] = {}
        for node in self._page.marked:
            if isinstance(prop := node.get("itemprop"), str):
                _add(marked.setdefault(prop, []), node)
        return marked

    @cached_property
    def _bylines(self) -> list[Tag]:
        """Byline elements and the parents of "By ..." text, in page order."""
        page = self._page
        marked = [node for node in page.marked if node.get("itemprop") == "author"]
        found = [(page.start[id(node)], node) for node in [*page.bylines, *marked][:_CANDIDATES]]
        for string in page.strings:
            parent = string.parent
            if parent is None or parent.name == "a":
                continue
            if _BY_PREFIX.match(string):
                found.append((page.start[id(parent)], parent))
            elif _BY_ALONE.match(string):
                # "By " in an element of its own, the name in the next one: `<span>By </span>
                # <a>Jane Doe</a>`. The byline is the element that holds both.
                holder = parent.parent if _BY_ALONE.match(parent.get_text()) else parent
                if holder is not None and id(holder) in page.start:
                    found.append((page.start[id(holder)], holder))
        # The first byline on the page is the story's.
        return [node for _, node in sorted(found, key=lambda pair: pair[0])]

    @cached_property
    def _text(self) -> str:
        # One string, one regex pass: far cheaper than a pass per text node. Newlines keep a
        # match from running from one text node into the next.
        return "\n".join(self._page.strings)

    @cached_property
    def _lower_text(self) -> str:
        return self._text.lower()

    def _datelines(self) -> Iterator[str]:
        for block in self._page.blocks:
            if block.kind == "body" and not block.dropped and dateline_or_byline(block.text):
                if _dates_the_story(block.owner):
                    yield block.text

    def authors(self) -> list[str]:
        """Names from the first byline that names anyone, and from the bylines beside it:
        co-authors marked up one by one (`<a rel=author>Jane</a>, <a rel=author>John</a>`).
        Failing that, the same from the links to authors' pages."""
        return self._first_named(self._bylines) or self._first_named(
            self._page.author_links[:_CANDIDATES]
        )

    def _first_named(self, bylines: list[Tag]) -> list[str]:
        for position, element in enumerate(bylines):
            if not _names_the_story(element):
                continue
            if names := _byline_names(element):
                for other in bylines[position + 1 :]:
                    if other.parent is element.parent and other is not element:
                        names += _byline_names(other)
                return names
        return []

    def dates(self, prop: str, *, published: bool) -> Iterator[str]:
        """Date strings for the publication (or update) date, best candidates first.

        In order: `itemprop` elements, `<time>`s marked as such by class or `pubdate`, a
        "Published ..." ("Updated ...") line, and for publication, any other `<time>`, then
        a line of text that is only a date (a dateline), outside captions and widgets.
        """
        hint = _PUBLISHED_HINT if published else _UPDATED_HINT
        hinted = [t for t in self._times if t.has_attr("pubdate") or hint.search(class_and_id(t))]
        for element in [*self._marked.get(prop, []), *hinted]:
            value = element.get("datetime") or element.get("content") or element.get_text(" ")
            if isinstance(value, str) and value.strip():
                yield value
        pattern, words = (
            (_PUBLISHED_LINE, _PUBLISHED_WORDS) if published else (_UPDATED_LINE, _UPDATED_WORDS)
        )
        if may_match(self._text, self._lower_text, words):
            lines = pattern.finditer(self._text)
            yield from (match.group(1) for match in islice(lines, _CANDIDATES))
        if published:
            for element in self._times:
                value = element.get("datetime") or element.get_text(" ")
                if isinstance(value, str):
                    yield value
            yield from islice(self._datelines(), _CANDIDATES)
