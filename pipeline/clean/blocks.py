"""Flatten a (pruned) page into text blocks: the units a reader sees as separate paragraphs.

A block starts and ends at every block-level element, so text held directly in a `<div>` (or
between the paragraphs of one) becomes a block of its own, and two `<br>`s in a row split a block
the way they split a paragraph on screen. One pass over the tree also numbers the elements in
document order, which is what lets body.py score containers without walking the tree again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import CData, NavigableString, Tag

from pipeline.clean.prune import WRAPPER_TAGS, class_and_id, is_caption_name
from pipeline.records import ParagraphKind, normalize_text

BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main nav ol p "
    "pre section summary table tbody td tfoot th thead tr ul".split()
)
_KIND_OF: dict[str, ParagraphKind] = {
    **{f"h{level}": "heading" for level in range(1, 7)},
    "blockquote": "quote",
    "figcaption": "caption",
    "figure": "caption",
}
_SPACES = re.compile(r"\s+")
# Invisible characters that would split a word into two tokens.
_INVISIBLE = re.compile("[\u00ad\u200b\ufeff]")


@dataclass(slots=True)
class Block:
    text: str
    kind: ParagraphKind
    tag: str  # the block element that holds the text: "p", "li", "div", ...
    owner: Tag
    link_chars: int

    @property
    def link_density(self) -> float:
        return min(1.0, self.link_chars / len(self.text)) if self.text else 0.0


@dataclass
class PageBlocks:
    blocks: list[Block]
    elements: list[Tag]  # every element, in document order
    start: dict[int, int] = field(default_factory=dict)  # id(element) -> its document position
    end: dict[int, int] = field(default_factory=dict)  # id(element) -> last position inside it

    def contains(self, container: Tag, element: Tag) -> bool:
        where = self.start[id(element)]
        return self.start[id(container)] <= where <= self.end[id(container)]


class _Builder:
    def __init__(self) -> None:
        self.page = PageBlocks(blocks=[], elements=[])
        self.parts: list[str] = []
        self.link_chars = 0
        self.pending_br = False
        self.owners: list[tuple[Tag, ParagraphKind]] = []

    def flush(self) -> None:
        text = normalize_text(_INVISIBLE.sub("", "".join(self.parts)))
        if text and self.owners:
            owner, kind = self.owners[-1]
            self.page.blocks.append(Block(text, kind, owner.name, owner, self.link_chars))
        self.parts.clear()
        self.link_chars = 0
        self.pending_br = False

    def text(self, value: str, in_link: bool) -> None:
        value = _SPACES.sub(" ", value)
        if value.strip():
            self.pending_br = False
            if in_link:
                self.link_chars += len(value.strip())
        self.parts.append(value)

    def line_break(self) -> None:
        if self.pending_br:
            self.flush()
        else:
            self.pending_br = True
            self.parts.append(" ")


def _kind(element: Tag, name: str, inherited: ParagraphKind) -> ParagraphKind:
    if kind := _KIND_OF.get(name):
        return kind
    # Sites that do not use <figcaption> still name their caption and credit boxes as such.
    if inherited == "body" and name not in WRAPPER_TAGS and is_caption_name(class_and_id(element)):
        return "caption"
    return inherited


def page_blocks(root: Tag) -> PageBlocks:
    """The text blocks under `root` in document order, with the element numbering."""
    builder = _Builder()
    page = builder.page
    links = 0
    # (node, exiting): an explicit stack, because recursion dies on deeply nested markup.
    stack: list[tuple[Tag | NavigableString, bool]] = [(root, False)]
    while stack:
        node, exiting = stack.pop()
        if not isinstance(node, Tag):
            if type(node) in (NavigableString, CData):
                builder.text(node, links > 0)
            continue
        name = node.name
        # The root owns stray text even when it is not a block element (a bare document).
        is_block = name in BLOCK_TAGS or node is root
        if exiting:
            if is_block:
                builder.flush()
                builder.owners.pop()
            elif name == "a":
                links -= 1
            page.end[id(node)] = len(page.elements) - 1
            continue
        page.start[id(node)] = len(page.elements)
        page.elements.append(node)
        if is_block:
            builder.flush()
            inherited: ParagraphKind = builder.owners[-1][1] if builder.owners else "body"
            builder.owners.append((node, _kind(node, name, inherited)))
        elif name == "a":
            links += 1
        elif name == "br":
            builder.line_break()
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    return page
