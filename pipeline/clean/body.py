"""Main-content extraction: pick the container that holds the story, then keep its paragraphs.

A container's score is the story-like text under it minus the navigation-like text under it, so
the winner is the smallest element that still holds the whole story: growing it further adds
more menus, teasers and link lists than prose, and shrinking it loses paragraphs.
"""

from __future__ import annotations

import re

from bs4 import Tag

from pipeline.clean.authors import split_byline
from pipeline.clean.blocks import Block, PageBlocks, page_blocks
from pipeline.clean.dates import parse_date
from pipeline.clean.prune import WRAPPER_TAGS, class_and_id, is_boilerplate_name
from pipeline.records import Paragraph

# A block this long with few links reads as prose; shorter ones are labels, bylines, buttons.
PROSE_CHARS = 80
MAX_LINK_DENSITY = 0.5
MAX_QUOTE_LINK_DENSITY = 0.8
# Prose with no prose beside it counts this much: a lone blurb between links is a teaser.
ISOLATED = 0.25
_WRAPPER_PARAGRAPHS = 2
_CONTENT_HINT = re.compile(r"article|story|content|body|entry|post|text|main", re.I)
# Enough to settle a near tie between a story container and its wrapper, no more.
_CONTENT_HINT_BONUS = 1.1

_BOILERPLATE_LINE = re.compile(
    r"^(?:advertisement|advertisements|ad|sponsored|share|share this( article| story)?|"
    r"email|print|tweet|comments?|read more|continue reading|loading\.*|"
    r"scroll to continue with content|story continues below|discuss this (?:article|story)|"
    r"other (?:reports|stories|articles) by)\W*$",
    re.I,
)
# "Read more: <headline>" lines point to other stories even when they are not links.
_POINTER_LINE = re.compile(
    r"^(?:read more|related|see also|also read|read also|more|recommended|watch|listen|"
    r"related (?:articles?|stories|coverage|content)|more (?:on|from) [^:]{0,40})\s*[:>»|-]",
    re.I,
)
_POINTER_MAX_CHARS = 200
_BARE_URL = re.compile(r"^(?:https?://|www\.)\S+$")
_FINE_PRINT = re.compile(r"©|\(c\) \d{4}|\ball rights reserved\b|\bcopyright \d{4}", re.I)
_FINE_PRINT_MAX_CHARS = 300
_LINE_MAX_CHARS = 100
_LABEL_MAX_CHARS = 20
_BY = re.compile(r"^by\s", re.I)
_SENTENCE_END = re.compile(r"[.!?…\"'”’)»:]$")


def _is_noise(block: Block) -> bool:
    """Lines that are never story text, wherever they stand: labels, pointers, fine print."""
    text = block.text
    if _BOILERPLATE_LINE.match(text) or _BARE_URL.match(text):
        return True
    if _POINTER_LINE.match(text) and (block.link_chars or len(text) < _POINTER_MAX_CHARS):
        return True
    if len(text) < _FINE_PRINT_MAX_CHARS and _FINE_PRINT.search(text):
        return True
    return block.kind == "body" and _is_dateline_or_byline(text)


def _is_prose(block: Block) -> bool:
    return (
        block.kind in ("body", "quote")
        and block.link_density < MAX_LINK_DENSITY
        and (len(block.text) >= PROSE_CHARS or bool(_SENTENCE_END.search(block.text)))
    )


def _block_value(block: Block, noise: bool) -> float:
    """Positive for prose, negative for navigation-like text."""
    if _is_prose(block) and not noise:
        return len(block.text) - block.link_chars
    if block.kind in ("heading", "caption") and block.link_density < MAX_LINK_DENSITY:
        return 0.0
    if block.tag in ("td", "th"):
        # Short cells are the norm in a data table; only links in them hint at a layout table.
        return -float(block.link_chars)
    return -float(len(block.text))


def _subtree_sums(page: PageBlocks, own: dict[int, float]) -> dict[int, float]:
    """Per element, the sum of `own` over it and its descendants."""
    sums = dict(own)
    # Children come after their parents in document order, so a reverse sweep sums subtrees.
    for element in reversed(page.elements):
        parent = element.parent
        if parent is not None and id(parent) in page.start and (value := sums.get(id(element))):
            sums[id(parent)] = sums.get(id(parent), 0.0) + value
    return sums


def _boilerplate_elements(page: PageBlocks, noisy: set[int]) -> set[int]:
    """Ids of the elements named like widgets, and of everything inside them.

    A widget-named element that holds most of the page's prose, in several paragraphs, is the
    story's wrapper (a "theiaStickySidebar" or "article-body pagination-first" div) and is kept.
    """
    prose: dict[int, float] = {}
    paragraphs: dict[int, float] = {}
    for block in page.blocks:
        if _is_prose(block) and id(block) not in noisy:
            key = id(block.owner)
            prose[key] = prose.get(key, 0.0) + len(block.text)
            paragraphs[key] = paragraphs.get(key, 0.0) + 1
    prose, paragraphs = _subtree_sums(page, prose), _subtree_sums(page, paragraphs)
    total = prose.get(id(page.elements[0]), 0.0) if page.elements else 0.0
    excluded: set[int] = set()
    for element in page.elements:  # parents before children
        key = id(element)
        parent = element.parent
        if parent is not None and id(parent) in excluded:
            excluded.add(key)
        elif element.name not in WRAPPER_TAGS and is_boilerplate_name(class_and_id(element)):
            if prose.get(key, 0.0) * 2 < total or paragraphs.get(key, 0.0) < _WRAPPER_PARAGRAPHS:
                excluded.add(key)
    return excluded


def _damp_isolated(values: list[float]) -> list[float]:
    """Scale down prose with no prose next to it; headings and captions do not separate."""
    neighboured = [False] * len(values)
    for order in (range(len(values)), range(len(values) - 1, -1, -1)):
        previous = 0.0
        for i in order:
            if values[i]:
                neighboured[i] = neighboured[i] or (values[i] > 0 and previous > 0)
                previous = values[i]
    return [
        value * ISOLATED if value > 0 and not near else value
        for value, near in zip(values, neighboured, strict=True)
    ]


def _best_container(page: PageBlocks, blocks: list[Block], noisy: set[int]) -> Tag | None:
    """The element whose subtree has the best balance of prose over navigation text."""
    values = [_block_value(block, id(block) in noisy) for block in blocks]
    own: dict[int, float] = {}
    for block, value in zip(blocks, _damp_isolated(values), strict=True):
        own[id(block.owner)] = own.get(id(block.owner), 0.0) + value
    score = _subtree_sums(page, own)
    best, best_score = None, 0.0
    for element in page.elements:
        weighted = score.get(id(element), 0.0)
        if _has_content_hint(element):
            weighted *= _CONTENT_HINT_BONUS
        if weighted > best_score:
            best, best_score = element, weighted
    return best


def _has_content_hint(element: Tag) -> bool:
    if element.name in ("article", "main"):
        return True
    # The page's own wrappers ("ArticlePage-body") are never the story's container.
    return element.name not in ("html", "body") and bool(
        _CONTENT_HINT.search(class_and_id(element))
    )


def _is_dateline_or_byline(text: str) -> bool:
    """A short unpunctuated line that is a date ("May 1, 2024") or names the authors."""
    if len(text) > _LINE_MAX_CHARS or _SENTENCE_END.search(text):
        return False
    if _BY.match(text) and split_byline(text):
        return True
    return parse_date(text) is not None


def _keep(block: Block, noise: bool) -> bool:
    # The page title lives in metadata; an <h1> inside the story container repeats it.
    if block.tag == "h1" or noise:
        return False
    if block.kind == "quote":
        # Embedded posts quote with their links ("— Jane (@jane) November 18, 2019").
        return block.link_density < MAX_QUOTE_LINK_DENSITY
    return block.link_density < MAX_LINK_DENSITY


def extract_body(root: Tag) -> list[Paragraph]:
    """The story's paragraphs, in document order; empty when the page has no prose."""
    page = page_blocks(root)
    noisy = {id(block) for block in page.blocks if _is_noise(block)}
    excluded = _boilerplate_elements(page, noisy)
    blocks = [block for block in page.blocks if id(block.owner) not in excluded]
    container = _best_container(page, blocks, noisy)
    if container is None:
        return []
    kept = [
        block
        for block in blocks
        if page.contains(container, block.owner) and _keep(block, id(block) in noisy)
    ]
    # Labels at the edges of the container ("2 min", "Photo") belong to the page's furniture,
    # and a heading with nothing after it introduces something that is not there.
    start, end = 0, len(kept)
    while start < end and _is_label(kept[start]):
        start += 1
    while end > start and (_is_label(kept[end - 1]) or kept[end - 1].kind == "heading"):
        end -= 1
    return [Paragraph(text=block.text, kind=block.kind) for block in kept[start:end]]


def _is_label(block: Block) -> bool:
    return (
        block.kind == "body"
        and len(block.text) < _LABEL_MAX_CHARS
        and not _SENTENCE_END.search(block.text)
    )
