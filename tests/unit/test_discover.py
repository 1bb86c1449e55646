"""Discovery: feeds and sitemaps parsed from bytes, and a whole source read over HTTP."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from local_http import LocalServer, Reply

from pipeline.config import Settings
from pipeline.errors import ConfigError, FetchError
from pipeline.fetch.discover import (
    Discovered,
    PublishedWindow,
    discover,
    parse_feed,
    parse_sitemap,
)
from pipeline.fetch.http import HttpClient
from pipeline.sources import Source

SITE = "https://news.example"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>News</title><link>https://news.example/</link>
  <item><title> Rates held </title><link>/economy/rates-held?utm_source=rss</link>
    <pubDate>Tue, 07 May 2024 10:00:00 +0200</pubDate></item>
  <item><title>Relative to the feed</title><link>local.html</link></item>
  <item><title>No link at all</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title><id>urn:x</id>
  <updated>2024-05-07T10:00:00Z</updated>
  <entry><title>Storm</title><id>urn:1</id><link rel="alternate" href="/weather/storm"/>
    <link rel="edit" href="/edit/1"/><published>2024-05-06T23:30:00-01:00</published>
    <updated>2024-05-07T08:00:00Z</updated></entry>
  <entry><title>Only updated</title><id>urn:2</id><link href="/b"/>
    <updated>2024-05-07T09:00:00Z</updated></entry>
</feed>"""


def sitemap(*urls: str, news: dict[str, tuple[str, str]] | None = None) -> bytes:
    entries = []
    for url in urls:
        extra = ""
        if news and url in news:
            title, date = news[url]
            extra = (
                f"<news:news><news:publication><news:name>N</news:name>"
                f"<news:language>en</news:language></news:publication>"
                f"<news:publication_date>{date}</news:publication_date>"
                f"<news:title>{title}</news:title></news:news>"
            )
        entries.append(f"<url><loc>{url}</loc>{extra}</url>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        + "".join(entries)
        + "</urlset>"
    ).encode()


def sitemap_index(*children: str) -> bytes:
    body = "".join(f"<sitemap><loc>{child}</loc></sitemap>" for child in children)
    return (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + body
        + "</sitemapindex>"
    ).encode()


def test_rss_links_are_resolved_against_the_feed_url():
    items = parse_feed(RSS, f"{SITE}/feeds/main.xml")

    assert items == [
        Discovered(
            f"{SITE}/economy/rates-held?utm_source=rss",
            f"feed:{SITE}/feeds/main.xml",
            "Rates held",
            datetime(2024, 5, 7, 8, 0, tzinfo=UTC),
        ),
        Discovered(
            f"{SITE}/feeds/local.html", f"feed:{SITE}/feeds/main.xml", "Relative to the feed", None
        ),
    ]


def test_atom_alternate_links_are_resolved_and_dated():
    items = parse_feed(ATOM, f"{SITE}/atom.xml")

    assert [(i.url, i.title, i.published_at) for i in items] == [
        (f"{SITE}/weather/storm", "Storm", datetime(2024, 5, 7, 0, 30, tzinfo=UTC)),
        (f"{SITE}/b", "Only updated", datetime(2024, 5, 7, 9, 0, tzinfo=UTC)),
    ]


def test_html_page_is_not_a_feed():
    with pytest.raises(ValueError, match="not an RSS or Atom feed"):
        parse_feed(b"<html><body><p>Welcome</p></body></html>", f"{SITE}/rss")


def test_news_sitemap_titles_and_dates_are_read():
    body = sitemap(
        f"{SITE}/a",
        f"{SITE}/b",
        f"{SITE}/c",
        news={
            f"{SITE}/a": ("Budget &amp; taxes", "2024-05-07T10:15:00+02:00"),
            f"{SITE}/b": ("Date only", "2024-05-06"),
        },
    )

    items, children = parse_sitemap(body, f"{SITE}/news-sitemap.xml")

    assert children == []
    assert [(i.url, i.title, i.published_at) for i in items] == [
        (f"{SITE}/a", "Budget & taxes", datetime(2024, 5, 7, 8, 15, tzinfo=UTC)),
        (f"{SITE}/b", "Date only", datetime(2024, 5, 6, tzinfo=UTC)),
        (f"{SITE}/c", None, None),
    ]
    assert {i.via for i in items} == {f"sitemap:{SITE}/news-sitemap.xml"}


def test_sitemap_index_lists_its_children():
    items, children = parse_sitemap(
        sitemap_index("/s/1.xml", f"{SITE}/s/2.xml.gz"), f"{SITE}/sitemap.xml"
    )

    assert (items, children) == ([], [f"{SITE}/s/1.xml", f"{SITE}/s/2.xml.gz"])


def test_sitemap_entities_are_never_expanded():
    body = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY secret SYSTEM '
        b'"file:///etc/hostname">]><urlset><url><loc>&secret;</loc></url></urlset>'
    )

    items, _ = parse_sitemap(body, f"{SITE}/sitemap.xml")

    assert items == []


def test_gzip_sitemap_is_capped_when_unzipped():
    bomb = gzip.compress(sitemap(f"{SITE}/a") + b" " * 10_000_000)

    with pytest.raises(FetchError) as caught:
        parse_sitemap(bomb, f"{SITE}/big.xml.gz", max_bytes=100_000)
    assert caught.value.outcome == "too_large"


def test_not_a_sitemap_is_an_error():
    with pytest.raises(ValueError, match="not a sitemap"):
        parse_sitemap(b"<html><body/></html>", f"{SITE}/sitemap.xml")


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer().running() as running:
        yield running


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(
        Settings(fetch_timeout_seconds=2), allow_private_network=True, backoff_seconds=0.01
    ) as http:
        yield http


def local_source(**fields: list[str]) -> Source:
    return Source(id="local", name="Local", allow_private_network=True, **fields)


def test_sitemap_index_with_a_gzip_child_is_followed(server, client):
    url = server.url
    index = sitemap_index("/sm/news.xml.gz", "/sm/pages.xml")
    server.route("/sitemap_index.xml", Reply(200, index))
    server.route(
        "/sm/news.xml.gz",
        Reply(
            200,
            gzip.compress(sitemap(url("/n1"), url("/n2"))),
            {"Content-Type": "application/gzip"},
        ),
    )
    server.route("/sm/pages.xml", Reply(200, sitemap(url("/p1"))))

    found, errors = discover(local_source(sitemaps=[url("/sitemap_index.xml")]), client)

    assert errors == []
    assert [(d.url, d.via) for d in found] == [
        (url("/n1"), f"sitemap:{url('/sm/news.xml.gz')}"),
        (url("/n2"), f"sitemap:{url('/sm/news.xml.gz')}"),
        (url("/p1"), f"sitemap:{url('/sm/pages.xml')}"),
    ]


def test_off_site_urls_are_dropped(server, client):
    server.route(
        "/sitemap.xml",
        Reply(
            200,
            sitemap(
                server.url("/mine"), "https://elsewhere.example/theirs", "ftp://127.0.0.1/file"
            ),
        ),
    )

    found, _ = discover(local_source(sitemaps=[server.url("/sitemap.xml")]), client)

    assert [d.url for d in found] == [server.url("/mine")]


def test_child_sitemap_on_another_host_is_reported_not_fetched(server, client):
    server.route("/index.xml", Reply(200, sitemap_index("https://cdn.example/sm.xml")))

    found, errors = discover(local_source(sitemaps=[server.url("/index.xml")]), client)

    assert found == []
    assert [(url, message.split(":")[0]) for url, message in errors] == [
        ("https://cdn.example/sm.xml", "refused")
    ]


def test_failing_feed_does_not_stop_the_sitemap(server, client):
    server.route("/feed.xml", Reply(404))
    server.route("/sitemap.xml", Reply(200, sitemap(server.url("/a"))))

    found, errors = discover(
        local_source(feeds=[server.url("/feed.xml")], sitemaps=[server.url("/sitemap.xml")]), client
    )

    assert [d.url for d in found] == [server.url("/a")]
    assert len(errors) == 1
    assert errors[0][0] == server.url("/feed.xml")
    assert errors[0][1].startswith("http_404: ")


def test_results_are_unique_by_canonical_url_keeping_the_first(server, client):
    server.route("/feed.xml", Reply(200, RSS.replace(b"/economy/rates-held", b"/a")))
    server.route("/sitemap.xml", Reply(200, sitemap(server.url("/a"), server.url("/b"))))

    found, errors = discover(
        local_source(
            feeds=[server.url("/feed.xml")],
            sitemaps=[server.url("/sitemap.xml")],
            urls=[server.url("/b?utm_medium=email"), server.url("/c")],
        ),
        client,
    )

    assert errors == []
    assert [(d.url, d.via.split(":")[0], d.title) for d in found] == [
        (server.url("/a"), "feed", "Rates held"),
        (server.url("/local.html"), "feed", "Relative to the feed"),
        (server.url("/b"), "sitemap", None),
        (server.url("/c"), "list", None),
    ]


def test_feed_with_relative_links_is_read_over_http(server, client):
    server.route("/feeds/main.xml", Reply(200, RSS, {"Content-Type": "application/rss+xml"}))

    found, errors = discover(local_source(feeds=[server.url("/feeds/main.xml")]), client)

    # "/economy/..." is relative to the feed's host, "local.html" to the feed's directory.
    assert errors == []
    assert [d.url for d in found] == [
        server.url("/economy/rates-held"),
        server.url("/feeds/local.html"),
    ]


def test_extra_hosts_count_as_the_sources_own(server, client):
    server.route(
        "/sitemap.xml", Reply(200, sitemap("https://cdn.example/a", "https://other.example/b"))
    )

    found, _ = discover(
        local_source(sitemaps=[server.url("/sitemap.xml")], extra_hosts=["cdn.example"]), client
    )

    assert [d.url for d in found] == ["https://cdn.example/a"]


MAY = [
    Discovered(f"{SITE}/{day}", "list", published_at=datetime(2024, 5, day, tzinfo=UTC))
    for day in (1, 2, 3)
]
UNDATED = Discovered(f"{SITE}/undated", "list")


@pytest.mark.parametrize(
    ("window", "kept"),
    [
        (PublishedWindow(), ["1", "2", "3", "undated"]),
        (PublishedWindow(since=datetime(2024, 5, 2, tzinfo=UTC)), ["2", "3"]),
        (PublishedWindow(until=datetime(2024, 5, 2, tzinfo=UTC)), ["1"]),
        (
            PublishedWindow(
                datetime(2024, 5, 2, tzinfo=UTC),
                datetime(2024, 5, 3, tzinfo=UTC),
                include_undated=True,
            ),
            ["2", "undated"],
        ),
    ],
    ids=["unbounded", "since", "until", "both-with-undated"],
)
def test_published_window_keeps_items_in_since_until(window, kept):
    assert [i.url.rsplit("/", 1)[1] for i in [*MAY, UNDATED] if i in window] == kept


def test_published_window_refuses_naive_or_empty_ranges():
    with pytest.raises(ConfigError, match="timezone-aware"):
        PublishedWindow(since=datetime(2024, 5, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ConfigError, match="must be before"):
        PublishedWindow(datetime(2024, 5, 2, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC))
