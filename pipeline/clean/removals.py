"""The record of what the cleaner left out of an article, summed by reason."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.records import Removal

SAMPLE_CHARS = 80
# Every reason the cleaner gives, and what it means.
REASONS = {
    "navigation": "menus, breadcrumbs, pagination, search",
    "header": "the site's masthead",
    "footer": "the site's footer",
    "sidebar": "asides and sidebars",
    "dialog": "pop-ups and modal dialogs",
    "form": "forms that are not the story",
    "hidden": "text a reader never sees (display:none, hidden, screen-reader only)",
    "controls": "buttons, inputs, selects",
    "cookie": "cookie and consent notices",
    "newsletter": "newsletter and subscription boxes",
    "share": "share bars and social buttons",
    "comments": "readers' comments",
    "related": "related stories, recommendations, 'Read more:' pointers",
    "paywall": "paywall prompts",
    "promo": "promotions, sponsored and affiliate notices",
    "ad": "advertisements and their labels",
    "author_box": "the author's biography box",
    "tags": "tag lists",
    "byline": "the byline (its names are in `authors`)",
    "dateline": "date lines (the date is in `published_at`)",
    "title": "the headline (it is in `title`)",
    "copyright": "copyright lines",
    "link_list": "lists of links and paragraphs made mostly of links",
    "label": "short labels at the story's edges and theme debris",
    "outside_article": "other text of the page, outside the story's container",
    "truncated": "the end of a page with too many elements to parse",
}


@dataclass
class _Tally:
    blocks: int
    chars: int
    sample: str


class Removals:
    def __init__(self) -> None:
        self._tallies: dict[str, _Tally] = {}

    def add(self, reason: str, text: str, blocks: int = 1) -> None:
        if tally := self._tallies.get(reason):
            tally.blocks += blocks
            tally.chars += len(text)
        else:
            self._tallies[reason] = _Tally(blocks, len(text), _sample(text))

    def summary(self) -> list[Removal]:
        """One entry per reason, the reasons that cost the most text first."""
        ranked = sorted(self._tallies.items(), key=lambda item: -item[1].chars)
        return [
            Removal(reason=reason, blocks=t.blocks, chars=t.chars, sample=t.sample)
            for reason, t in ranked
        ]


def _sample(text: str) -> str:
    if len(text) <= SAMPLE_CHARS:
        return text
    cut = text[:SAMPLE_CHARS].rsplit(" ", 1)[0]
    return cut + "…"
