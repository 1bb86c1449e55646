"""Article metadata from what pages declare (JSON-LD, OpenGraph, meta tags) and what they show.

Precedence, per field: the JSON-LD article (or, without one, the microdata article), then
OpenGraph and other meta tags, then what the page shows: a byline or `<time>` is only consulted
when no machine-readable value exists, or when the declared date gives only the day (then a
shown time of day on that day wins). Every date must be plausible (after 1990, not after the
fetch); a site's name is never an author.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from urllib.parse import SplitResult, urljoin, urlsplit

from bs4 import Tag

from pipeline.clean.authors import split_byline, unique_names
from pipeline.clean.blocks import PageBlocks
from pipeline.clean.dates import PageDate, plausible, read_date
from pipeline.clean.hygiene import tidy
from pipeline.clean.jsonld import LinkedData
from pipeline.clean.microdata import microdata_items
from pipeline.clean.titles import choose_title, heading_text, host_brand
from pipeline.clean.visible import VisibleMetadata

_PUBLISHED_KEYS = (
    "article:published_time", "og:published_time", "article:published", "datepublished",
    "pubdate", "publishdate", "publish-date", "publish_date", "date", "dc.date.issued",
    "dc.date", "dcterms.created", "sailthru.date", "parsely-pub-date",
)  # fmt: skip
_UPDATED_KEYS = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified")
_DESCRIPTION_KEYS = ("og:description", "description", "twitter:description")
_SITE_NAME_MAX_WORDS = 6
_AUTHOR_KEYS = (
    "article:author", "author", "byl", "parsely-author", "sailthru.author", "dc.creator",
)  # fmt: skip
_LANGUAGE_KEYS = ("og:locale", "content-language", "language", "dc.language")
_SECTION_KEYS = ("article:section", "section", "parsely-section", "category")
_TAG_KEYS = ("article:tag", "news_keywords", "keywords", "parsely-tags")
_LANGUAGE = re.compile(r"^([a-z]{2})(?:[-_]|$)", re.I)
_MAX_TAGS = 100


@dataclass(frozen=True)
class Metadata:
    title: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    updated_at: datetime | None = None
    canonical_url: str | None = None
    # Every canonical link and og:url, on whatever site: a syndicated copy's links name the
    # original, whose URL may carry its publication day.
    declared_urls: list[str] = field(default_factory=list)
    language: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    top_image: str | None = None


def _meta_tags(page: PageBlocks) -> dict[str, list[str]]:
    """Meta contents by lower-cased property/name/itemprop/http-equiv, in document order."""
    tags: dict[str, list[str]] = {}
    for meta in page.found.get("meta", []):
        content = meta.get("content")
        if not isinstance(content, str) or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if isinstance(key, str):
                tags.setdefault(key.strip().lower(), []).append(content.strip())
    return tags


def _first(meta: dict[str, list[str]], keys: Iterable[str]) -> str | None:
    return next((meta[k][0] for k in keys if k in meta), None)


def _firsts(meta: dict[str, list[str]], keys: Iterable[str]) -> list[str]:
    return [meta[k][0] for k in keys if k in meta]


def _text(value: str | None) -> str | None:
    return tidy(html.unescape(value)) or None if value else None


def _split(url: str) -> SplitResult | None:
    """The parts of an address, or None for one no browser would follow ("http://[oops/")."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def _same_site(candidate: str, page_url: str) -> bool:
    a, b = _split(candidate), _split(page_url)
    if a is None or b is None or a.scheme not in ("http", "https"):
        return False
    if not a.hostname or not b.hostname:
        return False
    host_a, host_b = a.hostname.removeprefix("www."), b.hostname.removeprefix("www.")
    return host_a == host_b or host_a.endswith("." + host_b) or host_b.endswith("." + host_a)


def _absolute(value: str | None, page_url: str) -> str | None:
    if not value:
        return None
    try:
        resolved = urljoin(page_url, value.strip())
    except ValueError:
        return None
    parts = _split(resolved)
    return resolved if parts is not None and parts.scheme in ("http", "https") else None


def _first_tag(page: PageBlocks, name: str) -> Tag | None:
    tags = page.found.get(name)
    return tags[0] if tags else None


def _link_rel(page: PageBlocks, rel: str) -> str | None:
    for link in page.found.get("link", []):
        value = link.get("rel")
        rels = value.lower().split() if isinstance(value, str) else value or []
        if rel in rels and isinstance(href := link.get("href"), str):
            return href
    return None


def canonical_url(page: PageBlocks, meta: dict[str, list[str]], page_url: str) -> str | None:
    """`<link rel=canonical>` or og:url, if it stays on the page's site."""
    return next(
        (url for url in declared_urls(page, meta, page_url) if _same_site(url, page_url)), None
    )


def declared_urls(page: PageBlocks, meta: dict[str, list[str]], page_url: str) -> list[str]:
    """`<link rel=canonical>` and og:url, absolute, on any site."""
    candidates = (_link_rel(page, "canonical"), _first(meta, ["og:url"]))
    return [
        url
        for candidate in candidates
        if isinstance(candidate, str) and (url := _absolute(candidate, page_url))
    ]


def _site_names(ld: LinkedData, meta: dict[str, list[str]], url: str) -> list[str]:
    parts = _split(url)
    host = (parts.hostname or "").removeprefix("www.") if parts else ""
    declared = [_first(meta, ["og:site_name", "application-name"]), ld.publisher_name()]
    # A "name" of many words is a headline put in the wrong tag (MSN's application-name).
    declared = [name for name in declared if name and len(name.split()) <= _SITE_NAME_MAX_WORDS]
    return [name for name in (*declared, host, host.split(".")[0], host_brand(host)) if name]


def _title(
    ld: LinkedData, meta: dict[str, list[str]], page: PageBlocks, site_names: list[str]
) -> str | None:
    """The headline, from the titles the page declares and the headings it shows."""
    title_tag = _first_tag(page, "title")
    return choose_title(
        [
            _text(ld.text("headline") if ld.is_article else None),
            _text(_first(meta, ["og:title"])),
            _text(_first(meta, ["twitter:title"])),
        ],
        [text for h1 in page.found.get("h1", []) if (text := heading_text(h1))],
        [text for h2 in page.found.get("h2", []) if (text := heading_text(h2))],
        site_names,
        title_tag=_text(title_tag.get_text(" ")) if title_tag else None,
    )


# "Gillman, Steve": a catalogue's order, as some CMSs (Parse.ly's) store the author.
_SURNAME_FIRST = re.compile(r"^\s*([^\W\d_][\w'’-]+),\s*([^\W\d_][\w'’-]+)\s*$")


def _first_name_first(value: str) -> str:
    if match := _SURNAME_FIRST.match(value):
        return f"{match.group(2)} {match.group(1)}"
    return value


def _ld_authors(ld: LinkedData) -> list[str]:
    values = ld.get("author") or ld.get("creator")
    names: list[str] = []
    for value in map(ld.resolve, values if isinstance(values, list) else [values]):
        if isinstance(value, dict):
            # An Organization (or NewsMediaOrganization...) as author is the publisher.
            types = value.get("@type")
            types = [types] if isinstance(types, str) else types
            if isinstance(types, list) and types and "Person" not in types:
                continue
            value = value.get("name")
        if isinstance(value, str):
            names.extend(split_byline(value))
    return names


def _authors(
    ld: LinkedData, meta: dict[str, list[str]], visible: VisibleMetadata, site_names: list[str]
) -> list[str]:
    names = _ld_authors(ld)
    if not names:
        for key in _AUTHOR_KEYS:
            # The first key that names anyone: a page's `author` often names the publisher
            # ("Condé Nast") where its `article:author` names the writer.
            names = [
                n for value in meta.get(key, []) for n in split_byline(_first_name_first(value))
            ]
            if names:
                break
    if not names:
        names = visible.authors()
    return unique_names(names, not_authors=site_names)


def _date(
    declared: list[str | None], visible: VisibleMetadata, prop: str, fetched_at: datetime
) -> datetime | None:
    """The first plausible declared date, else the first plausible date shown on the page.

    A day alone ("2025-05-27", "27 May 2025") gives way to a later candidate with the time of
    day on that same day, such as a byline's `<time datetime="2025-05-27T20:30Z">`: both say
    the same, the second more precisely, so a weaker source never costs the time of day.
    """
    day_only: PageDate | None = None
    for candidate in chain(declared, visible.dates(prop, published=prop == "datePublished")):
        found = read_date(candidate, now=fetched_at)
        if found is None or plausible(found.at, fetched_at) is None:
            continue
        if found.timed and (day_only is None or found.day == day_only.day):
            return found.at
        day_only = day_only or found
    return day_only.at if day_only else None


def _language(page: PageBlocks, meta: dict[str, list[str]], ld: LinkedData) -> str | None:
    root = next((element for element in page.elements if element.name == "html"), None)
    html_lang = root.get("lang") if root is not None else None
    candidates = [html_lang, *_firsts(meta, _LANGUAGE_KEYS), ld.text("inLanguage")]
    for value in candidates:
        if isinstance(value, str) and (match := _LANGUAGE.match(value.strip())):
            return match.group(1).lower()
    return None


def _tags(ld: LinkedData, meta: dict[str, list[str]]) -> list[str]:
    values = ld.strings("keywords") or [v for key in _TAG_KEYS for v in meta.get(key, [])]
    tags = (_text(t) for value in values for t in value.split(","))
    # "@post-id:123"-style values are the CMS's bookkeeping, not topics.
    return unique_names(t for t in tags if t and not t.startswith("@"))[:_MAX_TAGS]


def extract_metadata(page: PageBlocks, url: str, fetched_at: datetime) -> Metadata:
    """The page's metadata, from what the page walk collected; `language` as declared only."""
    meta = _meta_tags(page)
    ld = LinkedData(page.found.get("script", []), microdata_items(page.marked))
    site_names = _site_names(ld, meta, url)
    visible = VisibleMetadata(page)
    published = _date(
        [ld.text("datePublished"), ld.text("dateCreated"), *_firsts(meta, _PUBLISHED_KEYS)],
        visible,
        "datePublished",
        fetched_at,
    )
    updated = _date(
        [ld.text("dateModified"), *_firsts(meta, _UPDATED_KEYS)],
        visible,
        "dateModified",
        fetched_at,
    )
    section = ld.strings("articleSection")
    return Metadata(
        title=_title(ld, meta, page, site_names),
        description=_text(ld.text("description") or _first(meta, _DESCRIPTION_KEYS)),
        authors=_authors(ld, meta, visible, site_names),
        published_at=published,
        # An "update" at or before publication is the CMS echoing the publication date.
        updated_at=updated if updated and (not published or updated > published) else None,
        canonical_url=canonical_url(page, meta, url),
        declared_urls=declared_urls(page, meta, url),
        language=_language(page, meta, ld),
        section=_text(section[0] if section else _first(meta, _SECTION_KEYS)),
        tags=_tags(ld, meta),
        top_image=_absolute(
            ld.url("image") or _first(meta, ["og:image", "og:image:url", "twitter:image"]), url
        ),
    )
