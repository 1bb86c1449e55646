"""robots.txt through the client: what is never requested, what is asked once, how slowly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from local_http import LocalServer, Reply

from pipeline.config import Settings
from pipeline.errors import FetchError
from pipeline.fetch.http import HttpClient
from pipeline.fetch.pacing import HostPacer
from pipeline.fetch.robots import MemoryRobotsStore, Robots, RobotsFile, origin_of

ROBOTS = b"""User-agent: *
Disallow: /private/
Crawl-delay: 0.4

User-agent: otherbot
Disallow: /
"""


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer().running() as running:
        yield running


def polite_client(robots: Robots | None = None, **options: object) -> HttpClient:
    return HttpClient(
        Settings(fetch_timeout_seconds=2),
        allow_private_network=True,
        backoff_seconds=0.01,
        robots=robots or Robots(),
        **options,
    )


def outcome_of(client: HttpClient, url: str) -> str:
    with pytest.raises(FetchError) as caught:
        client.get(url)
    return caught.value.outcome


def test_disallowed_path_is_never_requested_and_robots_txt_is_read_once(server):
    server.route("/robots.txt", Reply(200, ROBOTS, {"Content-Type": "text/plain"}))
    server.route("/news/a", Reply(200, b"a"))
    server.route("/news/b", Reply(200, b"b"))

    with polite_client() as http:
        assert http.get(server.url("/news/a")).body == b"a"
        assert outcome_of(http, server.url("/private/secret")) == "robots_disallowed"
        assert http.get(server.url("/news/b")).body == b"b"

    assert [s.path for s in server.seen] == ["/robots.txt", "/news/a", "/news/b"]
    assert [(e.url.rsplit("/", 1)[1], e.outcome) for e in http.journal.entries] == [
        ("robots.txt", "ok"),
        ("a", "ok"),
        ("secret", "robots_disallowed"),
        ("b", "ok"),
    ]


def test_crawl_delay_spaces_requests_when_longer_than_min_delay(server):
    server.route("/robots.txt", Reply(200, ROBOTS))
    server.route("/news/a", Reply(200, b"a"))

    with polite_client() as http:  # min_delay_seconds 0: only the Crawl-delay spaces them
        for _ in range(3):
            http.get(server.url("/news/a"))

    times = [s.at for s in server.seen]
    assert len(times) == 4  # robots.txt, then three pages
    assert all(later - earlier >= 0.4 for earlier, later in pairwise(times))


def test_robots_txt_404_allows_everything(server):
    server.route("/private/page", Reply(200, b"ok"))

    with polite_client() as http:
        assert http.get(server.url("/private/page")).body == b"ok"

    assert [s.path for s in server.seen] == ["/robots.txt", "/private/page"]


def test_robots_txt_503_disallows_the_host_for_this_run_and_is_not_stored(server):
    server.route("/robots.txt", Reply(503))
    server.route("/news/a", Reply(200, b"a"))
    store = MemoryRobotsStore()

    with polite_client(Robots(store)) as http:
        assert outcome_of(http, server.url("/news/a")) == "robots_unavailable"
        assert outcome_of(http, server.url("/news/b")) == "robots_unavailable"

    assert not server.hits("/news/a")
    assert len(server.hits("/robots.txt")) == 3  # retried like any 5xx, then given up
    assert store.files == {}  # the next run asks again


def test_stored_robots_txt_is_used_for_a_day_then_fetched_again(server):
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /\n"))
    server.route("/news/a", Reply(200, b"a"))
    origin = origin_of(server.url("/"))
    store = MemoryRobotsStore()
    store.save(
        RobotsFile(
            origin, 200, "User-agent: *\nAllow: /\n", datetime.now(UTC) - timedelta(hours=23)
        )
    )

    with polite_client(Robots(store)) as http:
        assert http.get(server.url("/news/a")).body == b"a"
    assert not server.hits("/robots.txt")

    store.save(
        RobotsFile(
            origin, 200, "User-agent: *\nAllow: /\n", datetime.now(UTC) - timedelta(hours=25)
        )
    )
    with polite_client(Robots(store)) as http:
        assert outcome_of(http, server.url("/news/a")) == "robots_disallowed"
    assert len(server.hits("/robots.txt")) == 1
    assert store.files[origin].body == "User-agent: *\nDisallow: /\n"


def test_rules_for_newsflow_by_name_apply(server):
    server.route(
        "/robots.txt", Reply(200, b"User-agent: newsflow\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    )

    with polite_client() as http:
        assert outcome_of(http, server.url("/news/a")) == "robots_disallowed"


def test_redirect_into_a_disallowed_path_is_not_followed(server):
    server.route("/robots.txt", Reply(200, ROBOTS))
    server.route("/go", Reply(302, headers={"Location": "/private/x"}))
    server.route("/private/x", Reply(200, b"secret"))

    with polite_client() as http:
        assert outcome_of(http, server.url("/go")) == "robots_disallowed"

    assert not server.hits("/private/x")


def test_refused_destination_is_not_asked_for_robots_txt():
    with HttpClient(Settings(), robots=Robots()) as http:
        assert outcome_of(http, "http://169.254.169.254/latest/meta-data/") == "refused"
    assert [e.outcome for e in http.journal.entries] == ["refused"]


def test_crawl_delay_longer_than_a_run_waits_defers_the_next_request(server):
    server.route("/robots.txt", Reply(200, b"User-agent: *\nCrawl-delay: 3600\n"))
    server.route("/news/a", Reply(200, b"a"))

    with polite_client(pacer=HostPacer(0.0)) as http:
        assert outcome_of(http, server.url("/news/a")) == "deferred"

    assert [s.path for s in server.seen] == ["/robots.txt"]  # asked at once, not in an hour
