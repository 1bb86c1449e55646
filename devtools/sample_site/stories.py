"""The sample site's stories: what its pages show, and the ground truth for checking a cleaner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, Literal, cast, get_args

import yaml

from devtools.sample_site.boilerplate import JUNK_MARKERS

Template = Literal["ledger", "courier", "gazette"]
Feed = Literal["rss", "atom", "sitemap"]
ParagraphKind = Literal["body", "heading", "quote", "caption"]

TEMPLATES: tuple[Template, ...] = get_args(Template)
SECTIONS = ("politics", "business", "world", "science", "sport", "culture")
FEEDS: tuple[Feed, ...] = get_args(Feed)
# Google news sitemaps list every article of the last two days, so the newest stories are in the
# sitemap as well as in the feed they were dealt to, as on real sites.
NEWS_SITEMAP_WINDOW = timedelta(hours=48)

_PATHS = {
    "ledger": "/{year}/{month:02d}/{slug}.html",
    "courier": "/news/{slug}",
    "gazette": "/gazette/{slug}/",
}


@dataclass(frozen=True)
class Story:
    slug: str
    template: Template
    title: str
    description: str
    authors: tuple[str, ...]
    published_at: datetime
    updated_at: datetime | None
    section: str
    tags: tuple[str, ...]
    paragraphs: tuple[tuple[ParagraphKind, str], ...]
    """In page order; a `caption` paragraph is where the image sits."""
    image: str | None
    """Site-relative path of the story's image."""
    caption: str | None
    path: str
    """Site-relative path of the article page."""
    feeds: tuple[Feed, ...]
    """The discovery documents that list this story."""
    junk_markers: tuple[str, ...]
    """Strings that must not appear in this story's extracted body: page furniture, and the
    headlines and teasers of the other stories that its related-story boxes link to."""

    @property
    def body(self) -> list[str]:
        return [text for kind, text in self.paragraphs if kind == "body"]


def stories() -> list[Story]:
    """Every story, oldest first."""
    return list(_load())


@cache
def _load() -> tuple[Story, ...]:
    text = resources.files(__package__).joinpath("stories.yaml").read_text(encoding="utf-8")
    items = sorted(yaml.safe_load(text), key=lambda item: _utc(item["published_at"]))
    newest = _utc(items[-1]["published_at"])
    teasers = {item["slug"]: (item["title"], item["description"]) for item in items}
    built = []
    for index, item in enumerate(items):
        published = _utc(item["published_at"])
        feeds = [FEEDS[index % len(FEEDS)]]
        if newest - published <= NEWS_SITEMAP_WINDOW and "sitemap" not in feeds:
            feeds.append("sitemap")
        others = [text for slug, pair in teasers.items() if slug != item["slug"] for text in pair]
        built.append(_story(item, published, tuple(feeds), (*JUNK_MARKERS, *others)))
    return tuple(built)


def _story(
    item: dict[str, Any], published: datetime, feeds: tuple[Feed, ...], junk: tuple[str, ...]
) -> Story:
    slug, template = item["slug"], item["template"]
    if template not in TEMPLATES:
        raise ValueError(f"stories.yaml: {slug}: unknown template {template!r}")
    if item["section"] not in SECTIONS:
        raise ValueError(f"stories.yaml: {slug}: unknown section {item['section']!r}")
    paragraphs = tuple(_paragraph(slug, entry) for entry in item["paragraphs"])
    caption = next((text for kind, text in paragraphs if kind == "caption"), None)
    updated = item.get("updated_at")
    return Story(
        slug=slug,
        template=template,
        title=item["title"],
        description=item["description"],
        authors=tuple(item["authors"]),
        published_at=published,
        updated_at=_utc(updated) if updated else None,
        section=item["section"],
        tags=tuple(item["tags"]),
        paragraphs=paragraphs,
        image=f"/images/{slug}.png" if caption else None,
        caption=caption,
        path=_PATHS[template].format(year=published.year, month=published.month, slug=slug),
        feeds=feeds,
        junk_markers=junk,
    )


def _paragraph(slug: str, entry: str | dict[str, str]) -> tuple[ParagraphKind, str]:
    if isinstance(entry, str):
        return "body", entry
    ((kind, text),) = entry.items()
    if kind not in get_args(ParagraphKind) or kind == "body":
        raise ValueError(f"stories.yaml: {slug}: unknown paragraph kind {kind!r}")
    return cast(ParagraphKind, kind), text  # checked just above


def _utc(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.utcoffset() != timedelta(0):
        raise ValueError(f"stories.yaml: {value!r} is not a UTC time")
    return moment
