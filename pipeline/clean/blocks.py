"""One walk over the parsed page: text blocks, element numbering, furniture, metadata elements.

A block is what a reader sees as a separate paragraph. It starts and ends at every block-level
element, so text held directly in a `<div>` (or between the paragraphs of one) becomes a block
of its own, and two `<br>`s in a row split a block the way they split a paragraph on screen.

The same pass numbers the elements in document order (which lets body.py score containers
without walking the tree again), marks the blocks that sit in structural furniture with the
reason, and collects the elements metadata is read from. Nothing else walks the tree, and the
walk uses an explicit stack: pages nested thousands of levels deep must not hit Python's
recursion limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING

from bs4 import CData, NavigableString, PageElement, Tag

from pipeline.clean.furniture import (
    CONTROL_TAGS,
    SILENT_TAGS,
    STRUCTURAL,
    WRAPPER_TAGS,
    class_and_id,
    describe,
    is_comment_item,
    structural_reason,
)
from pipeline.clean.hygiene import tidy
from pipeline.records import ParagraphKind

BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main menu nav ol "
    "p pre section summary table tbody td tfoot th thead tr ul".split()
)
# Collected by name in the walk: what metadata is read from, and the pictures photo_boxes.py
# looks for.
METADATA_TAGS = frozenset({"meta", "link", "title", "script", "h1", "h2", "time", "img", "picture"})
_KIND_OF: dict[str, ParagraphKind] = {
    **{f"h{level}": "heading" for level in range(1, 7)},
    "blockquote": "quote",
    "figcaption": "caption",
    "figure": "caption",
}
# A caption or credit box set inline ("<p><span class='caption'>© Agency</span>Story...</p>")
# is a paragraph of its own, as a reader sees it: beside or under the photo, not in the text.
_INLINE_BOXES = frozenset({"span", "small"})
_ENTER, _EXIT, _EXIT_BLOCK = 0, 1, 2
_ENTERING = repeat(_ENTER)


@dataclass(slots=True)
class Block:
    text: str
    kind: ParagraphKind
    tag: str  # the block element that holds the text: "p", "li", "div", ...
    owner: Tag
    link_chars: int
    dropped: str | None = None  # the structural furniture it sits in ("navigation", ...)
    # Every structural element around it, outermost first, with its reason: body.py drops the
    # outermost one (`dropped`) unless it holds the story, and then the next one decides.
    furniture: tuple[tuple[Tag, str], ...] = ()

    @property
    def link_density(self) -> float:
        return min(1.0, self.link_chars / len(self.text)) if self.text else 0.0


@dataclass
class PageBlocks:
    blocks: list[Block] = field(default_factory=list)
    elements: list[Tag] = field(default_factory=list)  # every element, in document order
    start: dict[int, int] = field(default_factory=dict)  # id(element) -> document position
    end: dict[int, int] = field(default_factory=dict)  # id(element) -> last position inside it
    named: dict[int, str] = field(default_factory=dict)  # id(element) -> widget its name names
    found: dict[str, list[Tag]] = field(default_factory=dict)  # METADATA_TAGS by name
    marked: list[Tag] = field(default_factory=list)  # elements with itemprop or itemscope
    bylines: list[Tag] = field(default_factory=list)  # named like a byline, or rel=author
    # Links to an author's page ("/author/jane-doe"): teasers and menus have them too, so they
    # are read only when no byline names anyone.
    author_links: list[Tag] = field(default_factory=list)
    strings: list[NavigableString] = field(default_factory=list)  # visible text nodes
    silent: list[tuple[str, str]] = field(default_factory=list)  # (reason, text) cut inline

    def contains(self, container: Tag, element: Tag) -> bool:
        where = self.start[id(element)]
        return self.start[id(container)] <= where <= self.end[id(container)]


class _Builder:
    def __init__(self) -> None:
        self.page = PageBlocks()
        self.parts: list[str] = []
        self.has_text = False  # whether `parts` holds more than spaces
        self.link_chars = 0
        self.pending_br = False
        self.owners: list[tuple[Tag, ParagraphKind]] = []
        self.drops: list[tuple[Tag, str]] = []  # the structural furniture, outermost first
        # The page's main landmarks found inside furniture, each with the furniture set aside.
        self.landmarks: list[tuple[Tag, list[tuple[Tag, str]]]] = []
        # The outermost element whose text is cut without ending the paragraph, its reason
        # (None: not worth reporting, like <head>) and its text.
        self.quiet: tuple[Tag, str | None, list[str]] | None = None

    def flush(self) -> None:
        """End the paragraph being gathered. With `parts` empty there is none, and nothing to
        do: `pending_br` is only set with a space in `parts`."""
        if self.has_text:
            text = tidy("".join(self.parts))
            if text and self.owners:
                owner, kind = self.owners[-1]
                drops = self.drops
                block = Block(text, kind, owner.name, owner, self.link_chars)
                if drops:
                    block.dropped = drops[0][1]
                    block.furniture = tuple(drops)
                self.page.blocks.append(block)
            self.has_text = False
            self.link_chars = 0
        self.parts.clear()
        self.pending_br = False

    def text(self, value: NavigableString, in_link: bool) -> None:
        if self.quiet is not None:
            self.quiet[2].append(value)
        elif value.isspace():
            self.parts.append(" ")
        else:
            self.page.strings.append(value)
            self.has_text = True
            self.pending_br = False
            if in_link:
                self.link_chars += len(" ".join(value.split()))  # as tidy() will space it
            self.parts.append(value)

    def line_break(self) -> None:
        if self.pending_br:
            self.flush()
        else:
            self.pending_br = True
            self.parts.append(" ")

    def end_quiet(self) -> None:
        assert self.quiet is not None
        _, reason, parts = self.quiet
        self.quiet = None
        if reason and (text := tidy("".join(parts))):
            self.page.silent.append((reason, text))


def _kind(name: str, caption_name: bool, inherited: ParagraphKind) -> ParagraphKind:
    if kind := _KIND_OF.get(name):
        # A heading in a caption box or a gallery titles the photo ("3/50 Rogue trader freed").
        return "caption" if kind == "heading" and inherited == "caption" else kind
    if name == "p" and inherited == "heading":
        # A heading holds phrasing only: a paragraph in it means the heading was left open, and
        # the parser nested the story in it.
        return "body"
    # Sites that do not use <figcaption> still name their caption and credit boxes as such.
    if inherited == "body" and caption_name and name not in WRAPPER_TAGS:
        return "caption"
    return inherited


def _is_main_landmark(node: Tag, is_block: bool, drops: list[tuple[Tag, str]]) -> bool:
    """Whether `node` is the page's main content inside header, footer or sidebar furniture.
    HTML allows no `<main>` there: the furniture is a tag left open, or a theme's wrapper
    around the whole page, and what the landmark holds is not chrome. Hidden furniture stays
    furniture: a second copy of the page for another screen is hidden."""
    if not is_block or not (node.name == "main" or node.attrs.get("role") == "main"):
        return False
    return all(reason != "hidden" for _, reason in drops)


# A link to the author's page: "/author/jane-doe" (WordPress and many others), "/authors/...",
# "/about/editors/...".
_AUTHOR_PAGE = re.compile(r"/(?:authors?|writers?|editors|reporters?|journalists?)/[^/?#]+/?$")
_AUTHOR_PAGE_WORDS = ("/author", "/writer", "/editors/", "/reporter", "/journalist")


def _is_author_page(href: object) -> bool:
    # Most links name none of these words: the substring tests spare them the regex.
    return (
        isinstance(href, str)
        and any(word in href for word in _AUTHOR_PAGE_WORDS)
        and bool(_AUTHOR_PAGE.search(href))
    )


def _is_author_link(rel: str | list[str]) -> bool:
    return "author" in (rel.lower().split() if isinstance(rel, str) else rel)


def page_blocks(root: Tag, *, noscript: bool = False) -> PageBlocks:
    """The text blocks under `root` (a soup or an element) in document order, and the rest;
    with `noscript`, what `<noscript>` holds is read like any other element's content."""
    silent = SILENT_TAGS - {"noscript"} if noscript else SILENT_TAGS
    builder = _Builder()
    page = builder.page
    elements, start, end, found, named = page.elements, page.start, page.end, page.found, {}
    links = articles = 0
    stack: list[tuple[PageElement, int]] = [(root, _ENTER)]
    while stack:
        node, state = stack.pop()
        kind = type(node)
        # The checks below compare exact types, faster than isinstance on every node; the
        # TYPE_CHECKING asserts tell mypy what they prove, at no cost at run time.
        if kind is not Tag:
            if kind is NavigableString or kind is CData:
                if TYPE_CHECKING:
                    assert isinstance(node, NavigableString)
                builder.text(node, links > 0)
                continue
            if node is not root:
                continue  # comments, doctypes, processing instructions
        if TYPE_CHECKING:
            assert isinstance(node, Tag)  # a Tag, or the root (a soup is a Tag subclass)
        name = node.name
        if state != _ENTER:
            if state == _EXIT_BLOCK:
                if builder.parts:  # nothing to flush otherwise (see `flush`): most often so
                    builder.flush()
                builder.owners.pop()
            elif name == "a" and "href" in node.attrs:
                links -= 1
            if name == "article":
                articles -= 1
            if builder.quiet is not None and builder.quiet[0] is node:
                builder.end_quiet()
            if builder.drops and builder.drops[-1][0] is node:
                builder.drops.pop()
            elif builder.landmarks and builder.landmarks[-1][0] is node:
                builder.drops = builder.landmarks.pop()[1]
            end[id(node)] = len(elements) - 1
            continue
        key = id(node)
        start[key] = len(elements)
        elements.append(node)
        if name in METADATA_TAGS:
            found.setdefault(name, []).append(node)
        attrs = node.attrs
        if "itemprop" in attrs or "itemscope" in attrs:
            page.marked.append(node)
            if is_comment_item(node):
                named[key] = "comments"
        if name in silent:
            end[key] = start[key]
            continue
        # Inline for the common case, a class string and no id: this runs for every element.
        names = attrs.get("class") or "" if attrs else ""
        if attrs and ("id" in attrs or names.__class__ is not str):
            names = class_and_id(node)
        if TYPE_CHECKING:
            assert isinstance(names, str)
        caption = False
        if names:
            described = describe(names)
            if described.reason:
                named[key] = described.reason
            caption = described.caption
            if described.byline:
                page.bylines.append(node)
        if name == "a":
            if "rel" in attrs and _is_author_link(attrs["rel"]):
                page.bylines.append(node)
            elif "href" in attrs and _is_author_page(attrs["href"]):
                page.author_links.append(node)
        quiet = builder.quiet is not None
        reason = None
        if not quiet and (
            name in STRUCTURAL or "role" in attrs or "hidden" in attrs or "style" in attrs
        ):
            reason = structural_reason(node, articles > 0)
        elif (
            not quiet
            and name not in BLOCK_TAGS
            and named.get(key) == "hidden"
            and builder.owners
            and builder.owners[-1][0].name == "p"
        ):
            # Inside a paragraph, text named as hidden ("sr-only", a hover card's "tooltip")
            # is not read where it stands: "Gov. Kristi Noem(her latest stories) (R) said".
            reason = "hidden"
        if not quiet and (name in CONTROL_TAGS or name == "head"):
            builder.quiet = (node, None if name == "head" else named.get(key, "controls"), [])
            quiet = True
        elif reason and name not in BLOCK_TAGS and builder.drops:
            reason = None  # inline furniture inside furniture: its text goes with the block's
        elif reason and name not in BLOCK_TAGS:
            builder.quiet = (node, reason, [])
            quiet = True
        is_block = not quiet and (
            name in BLOCK_TAGS
            or node is root
            # Set apart from body text only: a credit inside a caption stays with it.
            or (
                caption
                and name in _INLINE_BOXES
                and bool(builder.owners)
                and builder.owners[-1][1] == "body"
            )
        )
        contents = node.contents
        if not is_block and reason is None and len(contents) == 1:
            child = contents[0]
            quiet_root = builder.quiet is not None and builder.quiet[0] is node
            if type(child) is NavigableString and not quiet_root:
                # A link or other inline element around one string, the commonest element of
                # all: its text is all there is to it, no need for a second visit.
                builder.text(child, links > 0 or (name == "a" and "href" in attrs))
                end[key] = start[key]
                continue
        if is_block:
            if builder.parts:
                builder.flush()
            inherited: ParagraphKind = builder.owners[-1][1] if builder.owners else "body"
            builder.owners.append((node, _kind(name, caption, inherited)))
        elif name == "a" and "href" in attrs:
            # An <a> without href is an anchor ("<a name=comments>"), text like any other.
            links += 1
        elif name == "br" and not quiet:
            builder.line_break()
        if name == "article":
            articles += 1
        if reason and is_block:
            builder.drops.append((node, reason))
        elif builder.drops and _is_main_landmark(node, is_block, builder.drops):
            builder.landmarks.append((node, builder.drops))
            builder.drops = []
        stack.append((node, _EXIT_BLOCK if is_block else _EXIT))
        stack.extend(zip(reversed(contents), _ENTERING, strict=False))
    page.named = named
    return page
