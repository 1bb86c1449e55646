"""Fetching article pages: conditional requests, skips, and hosts in parallel but each in turn."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from local_http import LocalServer, Reply, article_html, conditional_page

from pipeline.clean import clean
from pipeline.config import Settings
from pipeline.fetch.discover import Discovered
from pipeline.fetch.http import FetchResult
from pipeline.fetch.network import NetworkPolicy
from pipeline.fetch.pacing import HostPacer
from pipeline.fetch.pages import Validators, fetch_pages
from pipeline.fetch.robots import Robots
from pipeline.fetch.run import FetchRun
from pipeline.records import CleanedArticle

LOOPBACK = [ipaddress.ip_address("127.0.0.1")]


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer().running() as running:
        yield running


def make_run(min_delay: float = 0.0) -> FetchRun:
    # Every *.test name resolves to loopback, so one machine can play several hosts.
    network = NetworkPolicy(allow_private=True, resolver=lambda host, port: LOOPBACK)
    return FetchRun(
        Settings(fetch_timeout_seconds=2),
        network,
        HostPacer(min_delay),
        Robots(),
        backoff_seconds=0.01,
    )


cleaned: list[str] = []


def clean_page(page: FetchResult) -> CleanedArticle:
    cleaned.append(page.final_url)
    return clean(
        page.body,
        page.final_url,
        source_id="t",
        fetched_at=datetime.now(UTC),
        content_type=page.content_type,
    )


def items(*urls: str) -> list[Discovered]:
    return [Discovered(url, "list") for url in urls]


def test_known_validators_make_a_conditional_request_and_304_is_not_cleaned(server):
    cleaned.clear()
    html = article_html("Bridge reopens").encode()
    server.handle_with("/etag", conditional_page(html, etag='"v1"'))
    server.handle_with(
        "/dated", conditional_page(html, last_modified="Tue, 05 May 2026 10:00:00 GMT")
    )
    urls = [server.url("/etag"), server.url("/dated")]
    validators = {
        urls[0]: Validators(etag='"v1"'),
        urls[1]: Validators(last_modified="Tue, 05 May 2026 10:00:00 GMT"),
    }
    run = make_run()

    outcomes = fetch_pages(run, items(*urls), validators, clean_page)

    assert [o.kind for o in outcomes] == ["not_modified", "not_modified"]
    assert cleaned == []
    assert server.hits("/etag")[0].headers["If-None-Match"] == '"v1"'
    assert server.hits("/dated")[0].headers["If-Modified-Since"] == "Tue, 05 May 2026 10:00:00 GMT"
    assert [(e.status, e.outcome) for e in run.journal.entries if "robots" not in e.url] == [
        (304, "unchanged"),
        (304, "unchanged"),
    ]


def test_pages_are_cleaned_skipped_or_failed_each_with_its_reason(server):
    cleaned.clear()
    server.route(
        "/story",
        Reply(200, article_html("Storm").encode(), {"Content-Type": "text/html; charset=utf-8"}),
    )
    server.route("/report.pdf", Reply(200, b"%PDF-1.7 ...", {"Content-Type": "application/pdf"}))
    server.route("/empty", Reply(200, b"<html><body></body></html>", {"Content-Type": "text/html"}))
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private\n"))
    urls = [server.url(p) for p in ("/story", "/report.pdf", "/empty", "/gone", "/private/x")]
    run = make_run()

    outcomes = fetch_pages(run, items(*urls), {}, clean_page)

    assert [(o.item.url, o.kind) for o in outcomes] == list(
        zip(
            urls, ["cleaned", "not_html", "extract_failed", "failed", "skipped_robots"], strict=True
        )
    )
    assert outcomes[0].record is not None and outcomes[0].record.title == "Storm"
    assert cleaned == [server.url("/story"), server.url("/empty")]
    assert not server.hits("/private/x")
    log = {e.url: e.outcome for e in run.journal.entries}
    assert log[urls[1]] == "not_html" and log[urls[2]] == "extract_failed"
    assert log[urls[3]] == "http_404" and log[urls[4]] == "robots_disallowed"


def test_hosts_are_fetched_in_parallel_but_each_host_one_request_at_a_time():
    first, second = LocalServer(), LocalServer()
    for site in (first, second):
        for n in range(3):
            site.handle_with(f"/p{n}", conditional_page(b"<p>x</p>", pause=0.3))
    with first.running(), second.running():
        urls = [f"http://a.test:{first.port}/p{n}" for n in range(3)] + [
            f"http://b.test:{second.port}/p{n}" for n in range(3)
        ]

        outcomes = fetch_pages(make_run(min_delay=0.1), items(*urls), {}, clean_page)

    assert [o.item.url for o in outcomes] == urls  # in the order given, whatever finished first
    assert first.most_busy == second.most_busy == 1  # never two requests at once to one host
    a_pages = [s.at for s in first.seen if s.path.startswith("/p")]
    b_pages = [s.at for s in second.seen if s.path.startswith("/p")]
    # Each host alone takes about a second; the other host's first request came meanwhile.
    assert min(b_pages) < max(a_pages) and min(a_pages) < max(b_pages)


def test_min_delay_holds_across_discovery_and_page_clients(server):
    server.route("/feed", Reply(200, b"<rss/>"))
    server.route("/page", Reply(200, b"x", {"Content-Type": "text/plain"}))
    run = make_run(min_delay=0.5)

    with run.client() as discovery:
        discovery.get(server.url("/feed"))
    started = time.monotonic()
    fetch_pages(run, items(server.url("/page")), {}, clean_page)

    feed, page = server.hits("/feed")[0], server.hits("/page")[0]
    assert page.at - feed.at >= 0.5
    assert time.monotonic() - started >= 0.3  # the second client waited for its turn


def test_a_bug_in_a_worker_is_raised_not_swallowed(server):
    server.route(
        "/story", Reply(200, article_html("Storm").encode(), {"Content-Type": "text/html"})
    )

    def broken(page: FetchResult) -> CleanedArticle:
        raise KeyError("bug")

    with pytest.raises(KeyError, match="bug"):
        fetch_pages(make_run(), items(server.url("/story")), {}, broken)


def test_cancelling_a_run_ends_the_request_in_flight_and_fetches_no_more_pages(server):
    # A site that answers only once the test lets it: the run must not wait for it.
    answer = threading.Event()
    html = article_html("Slow news").encode()

    def slow(handler) -> None:  # noqa: ANN001
        answer.wait(30)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(html)))
        handler.end_headers()
        try:
            handler.wfile.write(html)
        except (BrokenPipeError, ConnectionResetError):
            pass

    for n in range(3):
        server.handle_with(f"/slow/{n}", slow)
    run = FetchRun(
        Settings(fetch_timeout_seconds=30, fetch_read_timeout_seconds=30),
        NetworkPolicy(allow_private=True),
        HostPacer(0),
        Robots(),
    )
    outcomes: list = []
    worker = threading.Thread(
        target=lambda: outcomes.extend(
            fetch_pages(run, items(*(server.url(f"/slow/{n}") for n in range(3))), {}, clean_page)
        )
    )
    worker.start()
    try:
        while not server.hits("/slow/0"):
            time.sleep(0.01)
        run.cancelled.set()
        worker.join(20)
        answered_before_return = answer.is_set()
    finally:
        answer.set()
        worker.join()

    assert not answered_before_return
    assert [(o.item.url, o.kind) for o in outcomes] == [(server.url("/slow/0"), "failed")]
    assert "cancelled" in outcomes[0].error
    assert [(e.url, e.outcome) for e in run.journal.entries if "/slow/" in e.url] == [
        (server.url("/slow/0"), "cancelled")
    ]
    assert [s.path for s in server.seen if s.path != "/robots.txt"] == ["/slow/0"]
