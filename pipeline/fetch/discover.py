"""Discovery: the article URLs a source offers now, from its feeds, sitemaps and URL list.

`discover` does the fetching, through the one `HttpClient`; `parse_feed` and `parse_sitemap`
are pure functions of the bytes, tested on fixtures. A feed or sitemap that fails becomes an
entry in the error list and never stops the others.
"""

from __future__ import annotations

import io
import logging
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from time import struct_time
from urllib.parse import urljoin

import feedparser
from lxml import etree

from pipeline.errors import ConfigError, FetchError
from pipeline.fetch.compression import GZIP_MAGIC, gunzip
from pipeline.fetch.http import FetchResult, HttpClient
from pipeline.fetch.urls import canonicalize, same_site
from pipeline.sources import Source

log = logging.getLogger(__name__)

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.1"
SITEMAP_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.1"
MAX_SITEMAP_DEPTH = 2  # a configured sitemap is depth 0; its index children 1, theirs 2
# With one request per second per host, 200 sitemaps already take minutes; an archive index
# with thousands of monthly sitemaps is history, not news.
MAX_SITEMAPS_PER_SOURCE = 200
DEFAULT_MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps protocol's own limit

Errors = list[tuple[str, str]]


@dataclass(frozen=True)
class Discovered:
    url: str
    via: str  # "feed:<url>", "sitemap:<url>" or "list"
    title: str | None = None
    published_at: datetime | None = None  # UTC


@dataclass(frozen=True)
class PublishedWindow:
    """Discovered items published in [since, until), by the date their feed or sitemap gives.

    Items without a date are kept only with `include_undated`. With neither bound, every item
    is in the window. Backfills use it to pick one slice of a source's history.
    """

    since: datetime | None = None
    until: datetime | None = None
    include_undated: bool = False

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ConfigError(f"published_{name} must be timezone-aware, got {value!r}")
        if self.since and self.until and self.since >= self.until:
            raise ConfigError(
                f"published_since ({self.since.isoformat()}) must be before "
                f"published_until ({self.until.isoformat()})"
            )

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    def __contains__(self, item: Discovered) -> bool:
        if not self.bounded:
            return True
        when = item.published_at
        if when is None:
            return self.include_undated
        return (self.since is None or when >= self.since) and (
            self.until is None or when < self.until
        )


def discover(source: Source, client: HttpClient) -> tuple[list[Discovered], Errors]:
    """Every article URL of `source` on its own hosts, once each, in discovery order.

    Returns the URLs (canonicalized) and the failures as (url, "outcome: message").
    """
    errors: Errors = []
    found: list[Discovered] = []
    for feed_url in source.feeds:
        result = None
        try:
            result = client.get(feed_url, accept=FEED_ACCEPT)
            found.extend(parse_feed(result.body, result.final_url))
        except (FetchError, ValueError) as exc:
            errors.append((feed_url, _failed(result, exc)))
    found.extend(_walk_sitemaps(source, client, errors))
    found.extend(Discovered(url=url, via="list") for url in source.urls)

    kept, dropped = _unique_on_site(found, source.hosts)
    if dropped:
        log.info(
            "%s: dropped %d discovered URLs outside %s",
            source.id,
            dropped,
            ", ".join(sorted(source.hosts)),
        )
    return kept, errors


def parse_feed(body: bytes, base_url: str) -> list[Discovered]:
    """Entries of an RSS or Atom feed; relative links resolved against `base_url`."""
    # A stream, never bytes: feedparser opens a bytes argument as a file path if one exists.
    # The content type makes it take the encoding from the XML declaration, as XML parsers do.
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={"content-location": base_url, "content-type": "application/xml"},
    )
    if not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise ValueError(f"{base_url}: not an RSS or Atom feed: {reason}")
    via = f"feed:{base_url}"
    items = []
    for entry in parsed.entries:
        link = (entry.get("link") or "").strip()
        if not link:
            continue
        items.append(
            Discovered(
                url=urljoin(base_url, link),
                via=via,
                title=(entry.get("title") or "").strip() or None,
                # Atom requires <updated> but not <published>; it is the best date such feeds give.
                published_at=_from_struct(
                    entry.get("published_parsed") or entry.get("updated_parsed")
                ),
            )
        )
    return items


def parse_sitemap(
    body: bytes, base_url: str, *, max_bytes: int = DEFAULT_MAX_SITEMAP_BYTES
) -> tuple[list[Discovered], list[str]]:
    """Pages of a sitemap (with Google news titles and dates), or the children of an index.

    Accepts gzip files. Raises ValueError when the body is not a sitemap, and
    FetchError("too_large") when it unzips to more than `max_bytes`.
    """
    if body.startswith(GZIP_MAGIC):
        body = gunzip(body, max_bytes, what=f"{base_url}: gzip sitemap")
    # No entity expansion, no DTD or network access, lxml's default size limits: a sitemap is
    # untrusted input from the open web.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(body.lstrip(), parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"{base_url}: not well-formed XML: {exc}") from exc
    kind = etree.QName(root).localname
    if kind == "sitemapindex":
        children = (_child_text(entry, "loc") for entry in _children(root, "sitemap"))
        return [], [urljoin(base_url, loc) for loc in children if loc]
    if kind != "urlset":
        raise ValueError(f"{base_url}: not a sitemap (root element <{kind}>)")
    via = f"sitemap:{base_url}"
    items = []
    for entry in _children(root, "url"):
        loc = _child_text(entry, "loc")
        if not loc:
            continue
        news = next(_children(entry, "news"), None)
        items.append(
            Discovered(
                url=urljoin(base_url, loc),
                via=via,
                title=_child_text(news, "title"),
                published_at=_from_w3c(_child_text(news, "publication_date")),
            )
        )
    return items, []


def _walk_sitemaps(source: Source, client: HttpClient, errors: Errors) -> list[Discovered]:
    """Read the configured sitemaps and, breadth first, the children of sitemap indexes."""
    limit = client.settings.max_sitemap_bytes
    queue = deque((url, 0) for url in source.sitemaps)
    seen: set[str] = set()
    found: list[Discovered] = []
    while queue:
        url, depth = queue.popleft()
        if url in seen:
            continue
        if len(seen) == MAX_SITEMAPS_PER_SOURCE:
            errors.append(
                (
                    url,
                    f"too_many_sitemaps: this and {len(queue)} more not read; "
                    f"the limit is {MAX_SITEMAPS_PER_SOURCE} per source",
                )
            )
            break
        seen.add(url)
        result = None
        try:
            result = client.get(url, max_bytes=limit, accept=SITEMAP_ACCEPT)
            items, children = parse_sitemap(result.body, result.final_url, max_bytes=limit)
        except (FetchError, ValueError) as exc:
            errors.append((url, _failed(result, exc)))
            continue
        found.extend(items)
        if children and depth == MAX_SITEMAP_DEPTH:
            errors.append(
                (
                    url,
                    f"too_deep: {len(children)} child sitemaps not read; indexes "
                    f"are followed {MAX_SITEMAP_DEPTH} levels deep",
                )
            )
            continue
        for child in children:
            if same_site(child, source.hosts):
                queue.append((child, depth + 1))
            else:
                # The index is on the source's site but points elsewhere: likely a CDN host
                # the user should list, so say so instead of dropping it quietly.
                errors.append(
                    (
                        child,
                        "refused: child sitemap is not on the source's hosts; "
                        "list it under sitemaps to read it",
                    )
                )
    return found


def _failed(result: FetchResult | None, exc: FetchError | ValueError) -> str:
    """ "outcome: message" for the error list; a document that was fetched but could not be
    read gets the reason into its fetch log entry too, which otherwise says "ok"."""
    outcome = exc.outcome if isinstance(exc, FetchError) else "parse_error"
    if result is not None and result.entry is not None:
        result.entry.outcome, result.entry.error = outcome, str(exc)
    return f"{outcome}: {exc}"


def _unique_on_site(
    items: Iterable[Discovered], hosts: frozenset[str]
) -> tuple[list[Discovered], int]:
    kept: list[Discovered] = []
    seen: set[str] = set()
    dropped = 0
    for item in items:
        try:
            url = canonicalize(item.url)
        except ValueError:
            url = ""
        if not url.startswith(("http://", "https://")) or not same_site(url, hosts):
            dropped += 1
            continue
        if url not in seen:
            seen.add(url)
            kept.append(replace(item, url=url))
    return kept, dropped


def _children(element: etree._Element | None, name: str) -> Iterator[etree._Element]:
    """Child elements by local name: real sitemaps get their namespaces wrong often enough."""
    if element is None:
        return
    for child in element:
        # Unexpanded entities are nodes too; their tag is not a string.
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            yield child


def _child_text(element: etree._Element | None, name: str) -> str | None:
    child = next(_children(element, name), None)
    text = (child.text or "").strip() if child is not None else ""
    return text or None


def _from_struct(value: struct_time | None) -> datetime | None:
    # feedparser has already converted the feed's time zone to UTC.
    return datetime(*value[:6], tzinfo=UTC) if value else None


def _from_w3c(text: str | None) -> datetime | None:
    """A W3C datetime (an ISO 8601 profile) in UTC; a date without a zone is taken as UTC."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
