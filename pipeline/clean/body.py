"""Main-content extraction: pick the container that holds the story, then keep its paragraphs.

A container's score is the story-like text under it minus the navigation-like text under it, so
the winner is the smallest element that still holds the whole story: growing it further adds
more menus, teasers and link lists than prose, and shrinking it loses paragraphs.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from bs4 import Tag

from pipeline.clean.blocks import Block, PageBlocks
from pipeline.clean.furniture import (
    PROSE_CHARS,
    WRAPPER_TAGS,
    class_and_id,
    is_caption_name,
    is_comment_item,
)
from pipeline.clean.galleries import gallery_captions
from pipeline.clean.lines import (
    SENTENCE_END,
    author_sections,
    comment_sections,
    noise_reason,
    related_sections,
)
from pipeline.clean.photo_boxes import photo_box_captions
from pipeline.clean.removals import Removals
from pipeline.clean.tails import tail_reason
from pipeline.clean.titles import squash
from pipeline.records import Paragraph, Removal

MAX_LINK_DENSITY = 0.5
# Long sentences with inline links (a news roundup, a deals post) are prose all the same.
MAX_SENTENCE_LINK_DENSITY = 0.7
SENTENCES_MIN_CHARS = 150
MAX_QUOTE_LINK_DENSITY = 0.8
CAPTION_WEIGHT = 0.1
# A region apart from the container that scores this share of it is kept too (`_rival`).
RIVAL_SHARE = 0.5
# Prose with no prose beside it counts this much: a lone blurb between links is a teaser.
ISOLATED = 0.25
_WRAPPER_PARAGRAPHS = 2
# An <article> with this much prose (and `_WRAPPER_PARAGRAPHS` paragraphs) is a whole story.
_STORY_CHARS = 1000
# A box named as a paywall that holds this much prose is the story behind it, not the wall.
_BEHIND_WALL_CHARS = 600
_CONTENT_HINT = re.compile(r"article|story|content|body|entry|post|text|main", re.I)
# Enough to settle a near tie between a story container and its wrapper, no more.
_CONTENT_HINT_BONUS = 1.1
_PAGE_TAGS = frozenset({"html", "body", "[document]"})
_LABEL_MAX_CHARS = 20
_WORDS = re.compile(r"[^\W\d_]{2}")  # two letters in a row, in any script
_WORDS_WITHIN = 200
# A Chinese or Japanese character carries about a word: a 30-character line of hanzi, kana or
# hangul says as much as 80 Latin letters, and such lines often end without punctuation.
_CJK = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
_CJK_WEIGHT = 3


def _max_link_density(block: Block) -> float:
    if len(block.text) >= SENTENCES_MIN_CHARS and SENTENCE_END.search(block.text):
        return MAX_SENTENCE_LINK_DENSITY
    return MAX_LINK_DENSITY


def _is_prose(block: Block) -> bool:
    return (
        block.kind in ("body", "quote")
        and block.link_density < _max_link_density(block)
        and (
            len(block.text) >= PROSE_CHARS
            or bool(SENTENCE_END.search(block.text))
            or _long_in_cjk(block.text)
        )
        # Prose has words: a run of "<<<<" or "----" is debris, however long.
        and bool(_WORDS.search(block.text, 0, _WORDS_WITHIN))
    )


def _long_in_cjk(text: str) -> bool:
    """Whether a line too short for Latin prose is long enough counting CJK characters as
    words."""
    if len(text) * _CJK_WEIGHT < PROSE_CHARS:
        return False
    cjk = len(_CJK.findall(text))
    return len(text) + cjk * (_CJK_WEIGHT - 1) >= PROSE_CHARS


def _block_value(block: Block, noise: bool) -> float:
    """Positive for prose, negative for navigation-like text, zero for headings and captions
    (whose weight is added after damping, see `_caption_value`)."""
    if _is_prose(block) and not noise:
        return len(block.text) - block.link_chars
    if block.kind in ("heading", "caption") and block.link_density < MAX_LINK_DENSITY:
        return 0.0
    if block.tag in ("td", "th"):
        # Short cells are the norm in a data table; only links in them hint at a layout table.
        return -float(block.link_chars)
    return -float(len(block.text))


def _caption_value(block: Block) -> float:
    """A little weight for a caption: enough to keep a gallery's photos with its short intro,
    too little to pull the container toward the captioned teasers of a sidebar."""
    if block.link_density >= MAX_LINK_DENSITY:
        return 0.0
    return CAPTION_WEIGHT * len(block.text)


def _subtree_sums(page: PageBlocks, own: dict[int, float]) -> dict[int, float]:
    """Per element, the sum of `own` over it and its descendants."""
    sums = dict(own)
    start, get = page.start, sums.get
    # Children come after their parents in document order, so a reverse sweep sums subtrees.
    # Most elements hold nothing: their parent is not even looked up.
    for element in reversed(page.elements):
        if value := get(id(element)):
            parent = element.parent
            if parent is not None and (key := id(parent)) in start:
                sums[key] = get(key, 0.0) + value
    return sums


def _widget_elements(
    page: PageBlocks, blocks: list[Block], noisy: set[int], known: dict[int, str]
) -> dict[int, str]:
    """Ids of the elements named like widgets, and of everything inside them, with the reason.

    A widget-named element that holds most of the page's prose, in several paragraphs, is the
    story's wrapper (a "theiaStickySidebar" or "article-body pagination-first" div) and is kept.
    The `known` widgets (a comments section found by its heading) go whatever they hold.
    """
    prose: dict[int, float] = {}
    paragraphs: dict[int, float] = {}
    for block in blocks:
        if _is_prose(block) and id(block) not in noisy:
            key = id(block.owner)
            prose[key] = prose.get(key, 0.0) + len(block.text)
            paragraphs[key] = paragraphs.get(key, 0.0) + 1
    prose, paragraphs = _subtree_sums(page, prose), _subtree_sums(page, paragraphs)
    total = prose.get(id(page.elements[0]), 0.0) if page.elements else 0.0
    named = page.named
    excluded: dict[int, str] = {}
    for element in page.elements:  # parents before children
        key = id(element)
        parent = element.parent
        if parent is not None and (reason := excluded.get(id(parent))):
            excluded[key] = reason
        elif reason := known.get(key):
            excluded[key] = reason
        elif (reason := named.get(key)) and (
            # An <article> declared a reader's comment is one, unlike one named "comments".
            element.name not in WRAPPER_TAGS or is_comment_item(element)
        ):
            if reason == "paywall" and _behind_the_wall(
                element, prose.get(key, 0.0), paragraphs.get(key, 0.0)
            ):
                continue
            if prose.get(key, 0.0) * 2 < total or paragraphs.get(key, 0.0) < _WRAPPER_PARAGRAPHS:
                excluded[key] = reason
    return excluded


def _behind_the_wall(element: Tag, prose: float, paragraphs: float) -> bool:
    """Whether an element named as a paywall is the text the wall covers, not the wall: a
    paragraph of prose (`<p class="paywall">`, Bloomberg and Condé Nast), or a box of several
    paragraphs holding `_BEHIND_WALL_CHARS` of prose ("steady-paywall-container"). A wall's
    prompt is a few short lines, and lines.py knows its words."""
    if element.name == "p":
        return prose >= PROSE_CHARS
    return paragraphs >= _WRAPPER_PARAGRAPHS and prose >= _BEHIND_WALL_CHARS


_REPLY = re.compile(
    r"^(?:reply|responder|antworten|répondre|rispondi|balas|ответить|回复|返信)$", re.I
)


def _reply_threads(page: PageBlocks, blocks: list[Block]) -> list[int]:
    """The element that holds every "Reply" button of the page, when there are two or more:
    readers' comments, each with its button."""
    replies = [
        b.owner for b in blocks if b.link_density >= MAX_LINK_DENSITY and _REPLY.match(b.text)
    ]
    if len(replies) < 2:
        return []
    last = max(page.start[id(owner)] for owner in replies)
    thread = replies[0].parent
    while thread is not None and id(thread) in page.start and page.end[id(thread)] < last:
        thread = thread.parent
    if thread is None or id(thread) not in page.start or thread.name in WRAPPER_TAGS:
        return []
    return [id(thread)]


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


def _best_container(
    page: PageBlocks, blocks: list[Block], noisy: set[int]
) -> tuple[Tag | None, dict[int, float]]:
    """The element whose subtree has the best balance of prose over navigation text, and
    that balance for every element."""
    values = [_block_value(block, id(block) in noisy) for block in blocks]
    _inserted_lines(blocks, noisy, values)
    own: dict[int, float] = {}
    for block, value in zip(blocks, _damp_isolated(values), strict=True):
        if block.kind == "caption" and not value:
            value = _caption_value(block)
        own[id(block.owner)] = own.get(id(block.owner), 0.0) + value
    score = _subtree_sums(page, own)
    best, best_score = None, 0.0
    for element in page.elements:
        weighted = score.get(id(element), 0.0)
        # The hint costs a regex: only ask it of an element that could win with it.
        if weighted * _CONTENT_HINT_BONUS > best_score and _has_content_hint(element):
            weighted *= _CONTENT_HINT_BONUS
        if weighted > best_score:
            best, best_score = element, weighted
    return best, score


def _inserted_lines(blocks: list[Block], noisy: set[int], values: list[float]) -> None:
    """A line that is never story text (lines.py: a disclosure, a pointer to other stories)
    set between two paragraphs of prose in the same element is inserted in the story: it is
    left out all the same, but does not count against the element. Counted, a long one made
    a three-paragraph story score less than its longest paragraph alone."""
    for i in range(1, len(blocks) - 1):
        if id(blocks[i]) in noisy and values[i - 1] > 0 and values[i + 1] > 0:
            parent = blocks[i].owner.parent
            if blocks[i - 1].owner.parent is parent and blocks[i + 1].owner.parent is parent:
                values[i] = 0.0


def _story_siblings(page: PageBlocks, container: Tag | None, score: dict[int, float]) -> list[Tag]:
    """The container's siblings that hold more prose than navigation, a paragraph's worth at
    least: a standfirst or a second part of the story that the page set in an element of its
    own, beside the body's (Readability joins such siblings too). Not beside a container
    that is a top-level region of the page: its siblings are the page's other regions."""
    if container is None or (parent := container.parent) is None or parent.name in _PAGE_TAGS:
        return []
    return [
        sibling
        for sibling in parent.find_all(True, recursive=False)
        if sibling is not container and score.get(id(sibling), 0.0) >= PROSE_CHARS
    ]


def _rival(page: PageBlocks, container: Tag | None, score: dict[int, float]) -> Tag | None:
    """The best element apart from the container (neither inside it nor around it) when it
    scores at least `RIVAL_SHARE` of the container: a story set in two regions of the page,
    or two candidates the scores cannot tell apart. Keeping both costs some precision where
    one was right; keeping one loses the whole story where it was the wrong one."""
    if container is None:
        return None
    bar = RIVAL_SHARE * score.get(id(container), 0.0)
    rival, best = None, 0.0
    # Few elements clear the bar (the container, its wrappers, now and then a rival): look
    # only at those, in page order, not at every element of the page.
    for position in sorted(page.start[key] for key, value in score.items() if value >= bar):
        element = page.elements[position]
        value = score[id(element)]
        if (
            value > best
            and not page.contains(element, container)
            and not page.contains(container, element)
        ):
            rival, best = element, value
    return rival


def _headed_story(
    page: PageBlocks, container: Tag | None, blocks: list[Block], title: str | None
) -> Tag | None:
    """In a container that lists several whole stories, each an `<article>` with a heading,
    `_WRAPPER_PARAGRAPHS` paragraphs and `_STORY_CHARS` of prose (a series page, the next
    story appended as one scrolls), the one whose heading is the page's headline; None when
    the container is one story (a page built of short `<article>` components), or when not
    exactly one of them holds the headline (a live blog's entries)."""
    target = squash(title) if title else ""
    if container is None or not target:
        return None
    stories: list[Tag] = []
    for element in page.elements[page.start[id(container)] + 1 : page.end[id(container)] + 1]:
        # Elements come in page order: an <article> inside an earlier one is inside the last.
        if element.name == "article" and not (stories and page.contains(stories[-1], element)):
            stories.append(element)
    if len(stories) < 2:
        return None
    # The stories are disjoint and in page order: the one a block may be in is the last that
    # starts before it.
    starts = [page.start[id(story)] for story in stories]
    paragraphs: dict[int, int] = {}
    prose: dict[int, int] = {}
    titled: set[int] = set()
    # By identity: a bs4 Tag compares equal to any other of the same markup.
    headed: dict[int, Tag] = {}
    for block in blocks:
        at = bisect_right(starts, page.start[id(block.owner)]) - 1
        if at < 0 or not page.contains(story := stories[at], block.owner):
            continue
        if _is_prose(block):
            paragraphs[id(story)] = paragraphs.get(id(story), 0) + 1
            prose[id(story)] = prose.get(id(story), 0) + len(block.text)
        elif block.kind == "heading":
            titled.add(id(story))
            if squash(block.text) == target:
                headed[id(story)] = story
    whole = {
        key
        for key in titled
        if paragraphs.get(key, 0) >= _WRAPPER_PARAGRAPHS and prose.get(key, 0) >= _STORY_CHARS
    }
    if len(whole) < 2 or len(headed) != 1:
        return None
    ((key, story),) = headed.items()
    return story if key in whole else None


def _has_content_hint(element: Tag) -> bool:
    if element.name in ("article", "main"):
        return True
    # The page's own wrappers ("ArticlePage-body") are never the story's container.
    return element.name not in _PAGE_TAGS and bool(_CONTENT_HINT.search(class_and_id(element)))


def _drop_reason(block: Block, noise: str | None) -> str | None:
    # The page title lives in metadata; an <h1> inside the story container repeats it.
    if block.tag == "h1":
        return "title"
    if noise:
        return noise
    if block.kind == "quote":
        # Embedded posts quote with their links ("— Jane (@jane) November 18, 2019").
        dense = block.link_density >= MAX_QUOTE_LINK_DENSITY
    else:
        dense = block.link_density >= _max_link_density(block)
    return "link_list" if dense else None


def _author_boxes(
    page: PageBlocks, container: Tag | None, blocks: list[Block]
) -> list[tuple[int, int]]:
    """The spans (first and last element position) of the elements named as a byline or an
    author box inside the story's container: what they hold is the author's name, biography or
    contact line, never the story. One that holds the container, or half of the prose in it,
    is the story's wrapper ("post-author-content")."""
    if container is None:
        return []
    elements = [element for element in page.bylines if element.name != "a"]
    elements += author_sections(page, blocks)
    return _minor_spans(page, container, blocks, elements)


def _minor_spans(
    page: PageBlocks, container: Tag | None, blocks: list[Block], elements: list[Tag]
) -> list[tuple[int, int]]:
    """The spans of those of `elements` inside the container that hold less than half of the
    prose in it (one that holds more, or the container itself, is the story's wrapper)."""
    if container is None:
        return []
    spans = [
        (page.start[id(element)], page.end[id(element)])
        for element in elements
        if element.name not in WRAPPER_TAGS
        and element is not container
        and page.contains(container, element)
    ]
    if not spans:
        return []
    prose = [
        (page.start[id(block.owner)], len(block.text))
        for block in blocks
        if _is_prose(block) and page.contains(container, block.owner)
    ]
    total = sum(chars for _, chars in prose)
    return [
        (first, last)
        for first, last in spans
        if sum(chars for where, chars in prose if first <= where <= last) * 2 < total
    ]


def _inside(page: PageBlocks, spans: list[tuple[int, int]], element: Tag) -> bool:
    where = page.start[id(element)]
    return any(first <= where <= last for first, last in spans)


def _section_links(blocks: list[Block], noise: dict[int, str]) -> set[int]:
    """Headings made of one link that open a section of prose ("<h3><a>RAVPower 61W
    Charger</a></h3>" in a gift guide): the link names the subject, the section is the story.
    Not a run of linked headings (a list of other stories), hence: prose right after it and
    no linked block right before it. `blocks` are the candidates in page order."""
    found: set[int] = set()
    for position, block in enumerate(blocks):
        if (
            block.kind != "heading"
            or block.tag == "h1"
            or block.link_density < MAX_LINK_DENSITY
            or " " not in block.text  # one word: a name or a file, not a subject
            or id(block) in noise
            or position + 1 >= len(blocks)
        ):
            continue
        after = blocks[position + 1]
        if not _is_prose(after) or id(after) in noise:
            continue
        if position and blocks[position - 1].link_density >= MAX_LINK_DENSITY:
            continue
        found.add(id(block))
    return found


@dataclass(frozen=True)
class Body:
    paragraphs: list[Paragraph]
    removed: list[Removal]


def _unwrap_furniture(page: PageBlocks) -> None:
    """Keep the structural furniture that holds the story. When the page outside its
    furniture has no story (fewer than `_WRAPPER_PARAGRAPHS` paragraphs of prose), a
    `<header>`, `<aside>` or `<footer>` around most of the page's prose, in several
    paragraphs, is a tag left open (the parser nests the rest of the page in it) or a theme's
    wrapper, not page chrome. With a story outside, a sidebar holding more prose than a short
    story (a live ticker) stays a sidebar. The test goes on inwards (a `role=complementary`
    section inside the open header). Hidden elements stay dropped: a story's second copy for
    another screen is hidden."""
    # Most pages have their story outside the furniture: they stop here, at its second
    # paragraph, before the whole page is read.
    outside = 0
    for block in page.blocks:
        if not block.furniture and _is_prose(block) and noise_reason(block) is None:
            outside += 1
            if outside >= _WRAPPER_PARAGRAPHS:
                return
    prose_blocks = [b for b in page.blocks if _is_prose(b) and noise_reason(b) is None]
    total = sum(len(block.text) for block in prose_blocks)
    while True:
        prose: dict[int, int] = {}
        paragraphs: dict[int, int] = {}
        outside = 0
        for block in prose_blocks:
            if not block.furniture:
                outside += 1
            elif block.furniture[0][1] != "hidden":
                key = id(block.furniture[0][0])
                prose[key] = prose.get(key, 0) + len(block.text)
                paragraphs[key] = paragraphs.get(key, 0) + 1
        if outside >= _WRAPPER_PARAGRAPHS:
            return
        wrappers = {
            key
            for key, chars in prose.items()
            if chars * 2 > total and paragraphs[key] >= _WRAPPER_PARAGRAPHS
        }
        if not wrappers:
            return
        for block in page.blocks:
            furniture = block.furniture
            if furniture and id(furniture[0][0]) in wrappers:
                block.furniture = furniture = furniture[1:]
                block.dropped = furniture[0][1] if furniture else None


def extract_body(page: PageBlocks, title: str | None = None) -> Body:
    """The story's paragraphs in document order (none when the page has no prose), and what
    was left out, by reason. `title` is the page's headline, when known: repeated before the
    story's first paragraph (in an `<h2>` or a plain `<div>`), it is not the story."""
    _unwrap_furniture(page)
    noise: dict[int, str] = {}
    candidates = []
    for block in page.blocks:
        if not block.dropped:
            if reason := noise_reason(block):
                noise[id(block)] = reason
            candidates.append(block)
    _text_beside_pictures(candidates)
    captions = photo_box_captions(page, candidates) | gallery_captions(page, candidates)
    for block in candidates:
        if id(block) in captions:
            block.kind = "caption"
    # A thread of replies is named like a comments widget: the wrapper guard applies to it too.
    for key in _reply_threads(page, candidates):
        page.named.setdefault(key, "comments")
    excluded = _widget_elements(page, candidates, set(noise), comment_sections(page, candidates))
    blocks = [block for block in candidates if id(block.owner) not in excluded]
    container, score = _best_container(page, blocks, set(noise))
    if headed := _headed_story(page, container, blocks, title):
        regions: list[Tag] = [headed]
    else:
        regions = [container, *_story_siblings(page, container, score)] if container else []
        if rival := _rival(page, container, score):
            regions.append(rival)
    removals = Removals()
    for reason, text in page.silent:
        removals.add(reason, text)
    kept = []
    section_links = _section_links(blocks, noise)
    authored = _author_boxes(page, container, blocks)
    # Found after the container is chosen, like the author boxes: excluded before, a list of
    # other stories would leave a gap that the container grows around.
    related = _minor_spans(page, container, blocks, related_sections(page, blocks))
    # In page order, so that each reason's sample is the first text it removed.
    for block in page.blocks:
        reason = block.dropped or excluded.get(id(block.owner))
        if reason is None and not any(page.contains(region, block.owner) for region in regions):
            reason = "title" if block.tag == "h1" else noise.get(id(block)) or "outside_article"
        if reason is None and authored and _inside(page, authored, block.owner):
            # A biography is prose; a name, a role or a date is the byline.
            reason = "author_box" if _is_prose(block) else "byline"
        if reason is None and related and _inside(page, related, block.owner):
            reason = "related"
        if reason is None and id(block) in section_links:
            kept.append(block)
        elif reason is None and (reason := _drop_reason(block, noise.get(id(block)))) is None:
            kept.append(block)
        else:
            removals.add(reason, block.text)
    # Labels at the edges of the container ("2 min", "Photo", a view counter) belong to the
    # page's furniture, and a heading with nothing after it introduces something that is not
    # there. Captions at either edge are stepped over: a photo's caption stays one.
    opening, start = _opening_labels(kept)
    for position in sorted(opening):
        removals.add("label", kept[position].text)
    headline = _repeated_headline(kept, start, title)
    for position in sorted(headline):
        removals.add("title", kept[position].text)
    closing = _closing_lines(kept, start)
    for position in sorted(closing):
        removals.add(closing[position], kept[position].text)
    paragraphs = [
        Paragraph(text=block.text, kind=block.kind)
        for position, block in enumerate(kept)
        if position not in closing and position not in headline and position not in opening
    ]
    return Body(paragraphs, removals.summary())


# Elements that show a picture: text beside one is its caption, text in a box without one is not.
_PICTURES = ["img", "picture", "video", "figure", "iframe", "svg"]


def _text_beside_pictures(blocks: list[Block]) -> None:
    """Paragraphs that a box named as a gallery or photo box ("js-lightbox-gallery",
    "photo-text") sets apart from its pictures are body text, not captions: a media object
    (picture left, `o-media__body` right) with the story's next paragraphs in its body. Only
    `<p>`s set directly in an element of the box that shows no picture, `_WRAPPER_PARAGRAPHS`
    of them with prose; a slide's caption sits beside its picture, a gallery's legends in the
    items of a list."""
    parts: dict[int, tuple[Tag, list[Block]]] = {}
    for block in blocks:
        if block.kind != "caption" or block.tag != "p" or (part := block.owner.parent) is None:
            continue
        box = part.parent
        if (
            box is not None
            and box.name not in ("figure", "figcaption")
            and is_caption_name(class_and_id(box))
            and not is_caption_name(class_and_id(part))
        ):
            parts.setdefault(id(part), (part, []))[1].append(block)
    for part, found in parts.values():
        prose = [b for b in found if len(b.text) >= PROSE_CHARS and SENTENCE_END.search(b.text)]
        if len(prose) >= _WRAPPER_PARAGRAPHS and part.find(_PICTURES) is None:
            for block in found:
                block.kind = "body"


def _opening_labels(kept: list[Block]) -> tuple[set[int], int]:
    """Positions of the labels before the story's first line, and that line's position."""
    found: set[int] = set()
    for position, block in enumerate(kept):
        if _is_edge_label(block):
            found.add(position)
        elif block.kind != "caption":
            return found, position
    return found, len(kept)


def _is_edge_label(block: Block) -> bool:
    return _is_label(block) or _is_label(block, "caption")


def _repeated_headline(kept: list[Block], start: int, title: str | None) -> set[int]:
    """Positions in `kept` before the story's first paragraph whose text is the headline."""
    target = squash(title) if title else ""
    found: set[int] = set()
    if not target:
        return found
    for position in range(start, len(kept)):
        block = kept[position]
        if squash(block.text) == target:
            found.add(position)
        elif _is_prose(block):
            break
    return found


def _closing_lines(kept: list[Block], start: int) -> dict[int, str]:
    """Positions in `kept` after the story's last paragraph that are not the story, with the
    reason: labels, headings with nothing after them, and the lines of tails.py. Captions
    there are stepped over and kept (they are not the story's text anyway)."""
    closing: dict[int, str] = {}
    for position in range(len(kept) - 1, start - 1, -1):
        block = kept[position]
        if block.kind == "caption" and not _is_edge_label(block):
            continue
        if _is_edge_label(block) or block.kind == "heading":
            closing[position] = "label"
        elif reason := tail_reason(block.text):
            closing[position] = reason
        else:
            break
    return closing


def _is_label(block: Block, kind: str = "body") -> bool:
    # Short list items at the end are content (a review's pros and cons), not furniture.
    return (
        block.kind == kind
        and block.tag != "li"
        and len(block.text) < _LABEL_MAX_CHARS
        and not SENTENCE_END.search(block.text)
    )
