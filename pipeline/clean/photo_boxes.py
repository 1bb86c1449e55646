"""Captions found by structure: the text set in a photo's own box.

Sites that write captions without `<figcaption>` mostly name the box ("caption", "credit"),
and blocks.py reads those names. A site whose class names say nothing (hashed CSS names, or
words no list holds) still sets a caption the same way: the photo and one or two short lines
in a small box of their own. So a body block is a caption when the smallest element around it
that also holds a picture holds nothing else: at most `_BOX_BLOCKS` blocks, no heading (a
teaser card: picture, linked headline, blurb) and few characters. A picture inside a
`<figure>` that does not hold the text is not the text's photo: that figure is the photo's
box, and the text beside it is the story's.

Many sites also write the caption into the picture's `alt` text: a line that a long `alt`
repeats is that picture's caption wherever it sits (a gallery's caption strip, a slide). A
story paragraph that an `alt` only starts like ("… invaded the country 2001 [File: Reuters]")
is not.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from bs4 import Tag

from pipeline.clean.blocks import Block, PageBlocks
from pipeline.clean.titles import squash

MEDIA_TAGS = ("img", "picture")
_BOX_BLOCKS = 2
_BOX_CHARS = 400
# How far up from a block's own element the photo's box may be: a caption sits beside its
# photo, one or two wrappers away, not at the other end of the article.
_LEVELS = 3
# An alt text this long (letters and digits) describes a photo; shorter ones name it
# ("photo", "logo", "John Smith"), as a line of the story may too.
_ALT_MIN = 40
# The part of the line that must be in the alt text: all of it but a "more"/"less" toggle or a
# credit at its end.
_ALT_SHARE = 0.85
_STOP = frozenset({"body", "html", "article", "main", "[document]"})
# Rows, cells and list items beside an icon are data or menus, not a photo and its caption.
_NOT_BOXES = frozenset("table thead tbody tfoot tr td th ul ol li dl dt dd".split())
# A picture declared this small is an icon, a logo or a formula, not a photo.
_ICON_PIXELS = 80


def _media_positions(page: PageBlocks) -> list[int]:
    start = page.start
    positions = []
    for name in MEDIA_TAGS:
        for element in page.found.get(name, []):
            if not _in_figure(element) and not _is_icon(element):
                positions.append(start[id(element)])
    return sorted(positions)


def _is_icon(element: Tag) -> bool:
    for attribute in ("width", "height"):
        value = element.get(attribute)
        if isinstance(value, str) and value.strip().isdigit() and int(value) < _ICON_PIXELS:
            return True
    return False


def _in_figure(element: Tag) -> bool:
    parent = element.parent
    for _ in range(_LEVELS):
        if parent is None:
            return False
        if parent.name == "figure":
            return True
        parent = parent.parent
    return False


def _alt_texts(page: PageBlocks) -> str:
    alts = []
    for element in page.found.get("img", []):
        alt = element.get("alt")
        if isinstance(alt, str) and len(squashed := squash(alt)) >= _ALT_MIN:
            alts.append(squashed)
    return "|".join(alts)


def _repeats_alt(block: Block, alts: str) -> bool:
    if len(block.text) < _ALT_MIN:  # squashing only shortens it
        return False
    text = squash(block.text)
    return len(text) >= _ALT_MIN and text[: max(_ALT_MIN, int(len(text) * _ALT_SHARE))] in alts


def photo_box_captions(page: PageBlocks, blocks: list[Block]) -> set[int]:
    """Ids of the body blocks in `blocks` (page order) that sit in a photo's own box or
    repeat a photo's description."""
    media = _media_positions(page)
    if not media or not blocks:
        return set()
    alts = _alt_texts(page)
    start, end = page.start, page.end
    where: list[tuple[int, int]] = []  # (position, index) of every block, sorted when needed
    found: set[int] = set()
    for block in blocks:
        if block.kind != "body" or len(block.text) > _BOX_CHARS:
            continue
        if alts and _repeats_alt(block, alts):
            found.add(id(block))
            continue
        if block.tag in _NOT_BOXES:
            continue
        owner = block.owner
        own_first, own_last = start[id(owner)], end[id(owner)]
        boxes = _boxes(owner, start)
        if not boxes or not _media_beside(media, boxes[-1], start, end, own_first, own_last):
            continue
        for box in boxes:
            first, last = start[id(box)], end[id(box)]
            if _media_beside(media, box, start, end, own_first, own_last):
                if not where:
                    # Text after a nested block belongs to the outer element again: sort.
                    where = sorted((start[id(b.owner)], i) for i, b in enumerate(blocks))
                if _holds_only(blocks, where, first, last):
                    found.add(id(block))
                break
    return found


def _boxes(owner: Tag, start: dict[int, int]) -> list[Tag]:
    """The elements around `owner` that may be its photo's box, innermost first."""
    boxes = []
    box = owner.parent
    for _ in range(_LEVELS):
        if box is None or box.name in _STOP or box.name in _NOT_BOXES or id(box) not in start:
            break
        boxes.append(box)
        box = box.parent
    return boxes


def _media_beside(
    media: list[int],
    box: Tag,
    start: dict[int, int],
    end: dict[int, int],
    own_first: int,
    own_last: int,
) -> bool:
    """Whether `box` holds a picture outside the block's own element."""
    low, high = bisect_left(media, start[id(box)]), bisect_right(media, end[id(box)])
    return any(not own_first <= media[i] <= own_last for i in range(low, high))


def _holds_only(blocks: list[Block], where: list[tuple[int, int]], first: int, last: int) -> bool:
    """Whether the box from `first` to `last` holds a caption's text and nothing more."""
    low, high = bisect_left(where, (first, -1)), bisect_right(where, (last, len(blocks)))
    if high - low > _BOX_BLOCKS:
        return False
    inside = [blocks[index] for _, index in where[low:high]]
    return (
        all(block.kind in ("body", "caption") for block in inside)
        and sum(len(block.text) for block in inside) <= _BOX_CHARS
    )
