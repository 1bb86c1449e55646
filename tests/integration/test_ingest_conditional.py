"""Ingestion passes on the real stack: what a second pass asks, publishes and remembers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fetch_support import (
    LocalServer,
    Reply,
    article_html,
    conditional_page,
    end_offsets,
    execute,
    fetch_log,
    forget_site,
    query,
    records_since,
    rss,
)

from pipeline.config import Settings
from pipeline.jobs import ingest_source
from pipeline.sources import Source

pytestmark = pytest.mark.integration

MODIFIED = "Tue, 05 May 2026 10:00:00 GMT"


@pytest.fixture
def site(stack: Settings) -> Iterator[LocalServer]:
    with LocalServer().running() as server:
        forget_site(stack, server)
        server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private/\n"))
        yield server


def source_for(site: LocalServer, **fields: object) -> Source:
    return Source(
        id=f"cond-{uuid.uuid4().hex[:8]}",
        name="Conditional",
        allow_private_network=True,
        min_delay_seconds=0,
        **fields,
    )


def page_requests(site: LocalServer, since: int = 0) -> list:
    return [s for s in site.seen[since:] if s.path not in ("/robots.txt", "/feed.xml")]


def test_second_pass_over_an_unchanged_site_asks_conditionally_and_publishes_nothing(stack, site):
    site.handle_with("/a", conditional_page(article_html("Harbour reopens").encode(), etag='"a1"'))
    site.handle_with(
        "/b", conditional_page(article_html("Rail strike ends").encode(), last_modified=MODIFIED)
    )
    site.handle_with(
        "/c",
        conditional_page(
            article_html("Budget passes").encode(), etag='"c1"', last_modified=MODIFIED
        ),
    )
    site.route("/feed.xml", Reply(200, rss("a", "/b", site.url("/c"))))  # relative and absolute
    source = source_for(site, feeds=[site.url("/feed.xml")])

    start = end_offsets(stack)
    first = ingest_source(stack, source)
    after_first = len(site.seen)
    second = ingest_source(stack, source)
    published = records_since(stack, start)

    assert (first.new, first.published, first.failed) == (3, 3, 0)
    assert (second.new, second.changed, second.unchanged, second.not_modified) == (0, 0, 3, 3)
    assert (second.fetched, second.published) == (3, 0)
    assert sorted((r["url"], r["version"]) for r in published) == [
        (site.url(p), 1) for p in ("/a", "/b", "/c")
    ]
    again = page_requests(site, after_first)
    assert sorted(s.path for s in again) == ["/a", "/b", "/c"]
    assert all("If-None-Match" in s.headers or "If-Modified-Since" in s.headers for s in again)
    assert [s.headers.get("If-None-Match") for s in sorted(again, key=lambda s: s.path)] == [
        '"a1"',
        None,
        '"c1"',
    ]
    # robots.txt came from the warehouse the second time: one request in two passes.
    assert len(site.hits("/robots.txt")) == 1
    log = fetch_log(stack, source.id)
    assert [(r.status, r.outcome) for r in log if r.url.endswith(("/a", "/b", "/c"))] == (
        [(200, "new")] * 3 + [(304, "unchanged")] * 3
    )


def test_changed_page_is_published_as_version_2_and_an_unchanged_one_not_at_all(stack, site):
    site.route(
        "/x",
        Reply(
            200,
            article_html("Dam report due").encode(),
            {"Content-Type": "text/html; charset=utf-8"},
        ),
    )
    site.route(
        "/y",
        Reply(
            200,
            article_html("Library extends hours").encode(),
            {"Content-Type": "text/html; charset=utf-8"},
        ),
    )
    source = source_for(site, urls=[site.url("/x"), site.url("/y")])

    start = end_offsets(stack)
    first = ingest_source(stack, source)
    site.route(
        "/x",
        Reply(
            200,
            article_html(
                "Dam report due",
                "The dam report, due on Friday, was delayed until next week after "
                "engineers asked for more time to inspect the spillway and the northern wall.",
                "Officials said the delay would not affect the reservoir's water levels.",
            ).encode(),
            {"Content-Type": "text/html; charset=utf-8"},
        ),
    )
    second = ingest_source(stack, source)
    published = records_since(stack, start)

    assert (first.new, second.changed, second.unchanged, second.published) == (2, 1, 1, 1)
    assert sorted((r["url"], r["version"]) for r in published) == [
        (site.url("/x"), 1),
        (site.url("/x"), 2),
        (site.url("/y"), 1),
    ]
    (x2,) = [r for r in published if r["version"] == 2]
    assert "spillway" in x2["text"]
    state = query(
        stack,
        "SELECT url, version, content_hash FROM fetch_state WHERE source_id = :s ORDER BY url",
        s=source.id,
    )
    assert [(row.url, row.version) for row in state] == [(site.url("/x"), 2), (site.url("/y"), 1)]
    assert state[0].content_hash == x2["content_hash"]


def test_dry_run_remembers_nothing_so_the_next_pass_still_publishes(stack, site):
    site.handle_with("/a", conditional_page(article_html("Ferry resumes").encode(), etag='"f1"'))
    source = source_for(site, urls=[site.url("/a")])

    dry = ingest_source(stack, source, dry_run=True)
    real = ingest_source(stack, source)

    assert (dry.new, dry.published) == (1, 0)
    assert (real.new, real.published) == (1, 1)
    assert "If-None-Match" not in site.hits("/a")[1].headers


def test_published_window_fetches_only_the_pages_dated_inside_it(stack, site):
    def entry(path: str, date: str) -> str:
        return (
            f"<url><loc>{site.url(path)}</loc><news:news><news:publication_date>{date}"
            f"</news:publication_date><news:title>{path}</news:title></news:news></url>"
        )

    site.route(
        "/news-sitemap.xml",
        Reply(
            200,
            (
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                + entry("/old", "2026-04-30T23:00:00Z")
                + entry("/in", "2026-05-01T08:00:00Z")
                + f"<url><loc>{site.url('/undated')}</loc></url></urlset>"
            ).encode(),
        ),
    )
    for path in ("/old", "/in", "/undated"):
        site.route(
            path, Reply(200, article_html(f"Story {path}").encode(), {"Content-Type": "text/html"})
        )
    source = source_for(site, sitemaps=[site.url("/news-sitemap.xml")])

    summary = ingest_source(
        stack,
        source,
        published_since=datetime(2026, 5, 1, tzinfo=UTC),
        published_until=datetime(2026, 5, 2, tzinfo=UTC),
        include_undated=True,
        dry_run=True,
    )

    assert (summary.discovered, summary.skipped_out_of_range) == (2, 1)
    assert sorted(s.path for s in page_requests(site) if s.path != "/news-sitemap.xml") == [
        "/in",
        "/undated",
    ]


def test_sources_are_synced_into_the_warehouse(stack: Settings, site):
    source = source_for(site, urls=[site.url("/private/a")])

    summary = ingest_source(stack, source)

    assert summary.skipped_robots == 1 and not site.hits("/private/a")
    (row,) = query(
        stack, "SELECT name, enabled, config FROM sources WHERE source_id = :s", s=source.id
    )
    assert (row.name, row.enabled, row.config["urls"]) == (
        "Conditional",
        True,
        [site.url("/private/a")],
    )


def test_a_record_that_never_reached_the_warehouse_is_sent_again_once_overdue(stack, site):
    site.handle_with("/lost", conditional_page(article_html("Tunnel opens").encode(), etag='"t1"'))
    source = source_for(site, urls=[site.url("/lost")])
    first = ingest_source(stack, source)
    # No enricher runs here, so the record is not in the warehouse; make its sending older
    # than RESEND_AFTER, as if it had been dead-lettered long ago.
    execute(
        stack,
        "UPDATE fetch_state SET changed_at = changed_at - interval '1 day' WHERE source_id = :s",
        s=source.id,
    )

    start = end_offsets(stack)
    again = ingest_source(stack, source)

    # Sent again as what it is: the known article at its known version, not a new one.
    assert (first.published, again.new, again.republished, again.published) == (1, 0, 1, 1)
    assert "If-None-Match" not in site.hits("/lost")[1].headers
    assert [(r["url"], r["version"]) for r in records_since(stack, start)] == [
        (site.url("/lost"), 1)
    ]
