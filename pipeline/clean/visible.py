"""Metadata as a reader sees it: the byline, `<time>` elements, "Published ..." lines.

Only consulted when the page declares nothing machine-readable. One walk over the page collects
the first few candidates of every kind, so a page full of dated comments costs no more than a
page without them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag

from pipeline.clean.authors import split_byline
from pipeline.clean.prune import class_and_id, is_boilerplate_name

_BYLINE_NAME = re.compile(r"byline|author", re.I)
_NOT_BYLINE_NAME = re.compile(r"bio|about|avatar|image|img|photo|pic|comment|form", re.I)
_BY_PREFIX = re.compile(r"^\s*by\s+\S", re.I)
_BYLINE_MAX_CHARS = 150
_CANDIDATES = 20
_PUBLISHED_HINT = re.compile(r"publish|posted|pubdate", re.I)
_UPDATED_HINT = re.compile(r"updated|modified", re.I)
_PUBLISHED_LINE = re.compile(r"\b(?:published|posted)\b\s*:?\s*(?:on\s+)?(.{6,60})", re.I)
_UPDATED_LINE = re.compile(r"\b(?:updated|modified)\b\s*:?\s*(?:on\s+)?(.{6,60})", re.I)
_PHOTO = frozenset({"figure", "figcaption"})
_NOT_TEXT = frozenset({"script", "style", "noscript", "template"})


@dataclass
class _Candidates:
    bylines: list[Tag] = field(default_factory=list)
    times: list[Tag] = field(default_factory=list)
    marked: dict[str, list[Tag]] = field(default_factory=dict)  # itemprop -> elements
    published_lines: list[str] = field(default_factory=list)
    updated_lines: list[str] = field(default_factory=list)


def _byline_element(element: Tag) -> bool:
    rel = element.get("rel")
    if (rel and "author" in rel) or element.get("itemprop") == "author":
        return True
    name = class_and_id(element)
    return bool(_BYLINE_NAME.search(name)) and not _NOT_BYLINE_NAME.search(name)


def _dates_the_story(element: Tag) -> bool:
    """False for a date in a photo's caption or in a comment, teaser or other widget."""
    return not any(
        parent.name in _PHOTO or is_boilerplate_name(class_and_id(parent))
        for parent in element.parents
        if parent.name not in ("html", "body", "[document]")
    )


def _add(bucket: list[Any], item: Any) -> None:
    if len(bucket) < _CANDIDATES:
        bucket.append(item)


class VisibleMetadata:
    """Bylines and dates shown on one page; the page is walked once, on first use."""

    def __init__(self, soup: BeautifulSoup) -> None:
        self._soup = soup

    @cached_property
    def _candidates(self) -> _Candidates:
        found = _Candidates()
        for node in (self._soup.body or self._soup).descendants:
            if isinstance(node, Tag):
                # The ancestor check is the costly part: only pay it while collecting.
                if node.name == "time" and len(found.times) < _CANDIDATES:
                    if _dates_the_story(node):
                        found.times.append(node)
                if isinstance(prop := node.get("itemprop"), str):
                    _add(found.marked.setdefault(prop, []), node)
                if _byline_element(node):
                    _add(found.bylines, node)
            elif type(node) is NavigableString and node.parent.name not in _NOT_TEXT:
                if _BY_PREFIX.match(node) and node.parent.name != "a":
                    _add(found.bylines, node.parent)
                for line in _PUBLISHED_LINE.findall(node):
                    _add(found.published_lines, line)
                for line in _UPDATED_LINE.findall(node):
                    _add(found.updated_lines, line)
        return found

    def authors(self) -> list[str]:
        """Names from the first byline that names anyone."""
        for element in self._candidates.bylines:
            name_node = element.find(itemprop="name") or element
            text = name_node.get("content") or name_node.get_text(" ", strip=True)
            if isinstance(text, str) and len(text) <= _BYLINE_MAX_CHARS:
                if names := split_byline(text):
                    return names
        return []

    def dates(self, prop: str, *, published: bool) -> list[str]:
        """Date strings for the publication (or update) date, best candidates first.

        In order: `itemprop` elements, `<time>`s marked as such by class or `pubdate`, a
        "Published ..." ("Updated ...") line, and for publication, any other `<time>`.
        """
        found = self._candidates
        hint = _PUBLISHED_HINT if published else _UPDATED_HINT
        hinted = [t for t in found.times if t.has_attr("pubdate") or hint.search(class_and_id(t))]
        values = []
        for element in [*found.marked.get(prop, []), *hinted]:
            value = element.get("datetime") or element.get("content") or element.get_text(" ")
            if isinstance(value, str) and value.strip():
                values.append(value)
        values += found.published_lines if published else found.updated_lines
        if published:
            values += [t.get("datetime") or t.get_text(" ") for t in found.times]
        return values
