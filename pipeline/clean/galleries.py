"""Galleries found by their counters: "1/50 United goin down", "2/50 Star Wars boosts economy".

A slideshow numbers its slides, and many write the number into each slide's title. Where four
or more lines start with a counter of the same total ("k/N", k no more than N), the smallest
element that holds them all is the gallery, and every line in it is a caption: the photos'
words, not the story's. Four, not three: a short numbered list of the story's own items
("1/3 ...", as in a listicle that names itself "no_caption") stays the story's. Sites name
such boxes ("gallery", "slideshow") and blocks.py reads those names; this finds the ones whose
names say nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict

from bs4 import Tag

from pipeline.clean.blocks import Block, PageBlocks

_COUNTER = re.compile(r"^(\d{1,3})\s?/\s?(\d{1,3})\s+\S")
_MIN_SLIDES = 4


def gallery_captions(page: PageBlocks, blocks: list[Block]) -> set[int]:
    """Ids of the blocks in `blocks` (page order) that sit in a gallery of counted slides."""
    counted: dict[str, list[Block]] = defaultdict(list)
    for block in blocks:
        if (match := _COUNTER.match(block.text)) and 0 < int(match[1]) <= int(match[2]):
            counted[match[2]].append(block)
    found: set[int] = set()
    for slides in counted.values():
        if len({_COUNTER.match(b.text)[1] for b in slides}) < _MIN_SLIDES:  # type: ignore[index]
            continue
        gallery = _holding(page, slides[0].owner, slides[-1].owner)
        if gallery is None:
            continue
        first, last = page.start[id(gallery)], page.end[id(gallery)]
        found.update(id(block) for block in blocks if first <= page.start[id(block.owner)] <= last)
    return found


def _holding(page: PageBlocks, first: Tag, last: Tag) -> Tag | None:
    """The smallest element that holds both `first` and `last`."""
    element: Tag | None = first
    while element is not None and id(element) in page.start:
        if page.contains(element, last):
            return element if element.name not in ("html", "body", "[document]") else None
        element = element.parent
    return None
