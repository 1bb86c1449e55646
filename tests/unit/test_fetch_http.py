"""HttpClient against a real local server: what reaches the server, what the caller gets."""

from __future__ import annotations

import gzip
import socket
import time
import tracemalloc
from collections.abc import Iterator

import pytest
from local_http import LocalServer, Reply, stream_then_close

from pipeline.config import Settings
from pipeline.errors import FetchError
from pipeline.fetch.http import HttpClient


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer().running() as running:
        yield running


def make_client(**overrides: object) -> HttpClient:
    settings = Settings(fetch_timeout_seconds=overrides.pop("timeout", 2.0))
    options: dict = {"allow_private_network": True, "backoff_seconds": 0.01, **overrides}
    return HttpClient(settings, **options)


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with make_client() as http:
        yield http


def fetch_error(client: HttpClient, url: str, **kwargs: object) -> FetchError:
    with pytest.raises(FetchError) as caught:
        client.get(url, **kwargs)
    return caught.value


def test_page_is_returned_with_its_metadata_and_an_honest_user_agent(server, client):
    server.route("/a", Reply(200, b"<p>hello</p>", {"Content-Type": "text/html; charset=utf-8"}))

    page = client.get(server.url("/a"))

    assert (page.status, page.body, page.bytes) == (200, b"<p>hello</p>", 12)
    assert page.content_type == "text/html; charset=utf-8"
    assert page.url == page.final_url == server.url("/a")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert server.hits("/a")[0].headers["User-Agent"] == Settings().user_agent
    assert Settings().user_agent.startswith("newsflow/")


def test_gzip_content_encoding_is_decoded(server, client):
    html = b"<p>compressed</p>" * 100
    server.route("/z", Reply(200, gzip.compress(html), {"Content-Encoding": "gzip"}))

    page = client.get(server.url("/z"))

    assert page.body == html and page.bytes == len(html)


def test_503_then_200_is_retried(server, client):
    server.route("/flaky", Reply(503), Reply(200, b"ok"))

    assert client.get(server.url("/flaky")).body == b"ok"
    assert len(server.hits("/flaky")) == 2


def test_persistent_503_gives_up_after_three_attempts(server, client):
    server.route("/down", Reply(503))

    error = fetch_error(client, server.url("/down"))

    assert error.outcome == "http_503"
    assert len(server.hits("/down")) == 3


def test_404_is_not_retried(server, client):
    server.route("/gone", Reply(404, b"no"))

    assert fetch_error(client, server.url("/gone")).outcome == "http_404"
    assert len(server.hits("/gone")) == 1


def test_429_waits_for_retry_after(server, client):
    server.route("/busy", Reply(429, headers={"Retry-After": "1"}), Reply(200, b"ok"))

    assert client.get(server.url("/busy")).body == b"ok"
    first, second = server.hits("/busy")
    assert second.at - first.at >= 1.0


def test_retry_after_longer_than_we_wait_gives_up_at_once(server, client):
    server.route("/later", Reply(429, headers={"Retry-After": "3600"}))

    assert fetch_error(client, server.url("/later")).outcome == "http_429"
    assert len(server.hits("/later")) == 1


def test_unused_port_is_a_connect_error_after_retries():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    with make_client() as http:
        assert fetch_error(http, f"http://127.0.0.1:{port}/").outcome == "connect_error"


def test_304_is_returned_not_raised(server, client):
    server.route("/same", Reply(304))

    page = client.get(server.url("/same"))

    assert (page.status, page.body) == (304, b"")


def test_page_over_the_cap_is_too_large(server, client):
    server.route("/big", Reply(200, b"x" * 2000))

    assert fetch_error(client, server.url("/big"), max_bytes=1000).outcome == "too_large"


def test_body_without_length_is_cut_at_the_cap(server, client):
    server.handle_with("/endless", lambda h: stream_then_close(
        h, {"Content-Type": "text/html"}, iter([b"x" * 1024] * 10_000)))

    assert fetch_error(client, server.url("/endless"), max_bytes=4096).outcome == "too_large"


def test_gzip_bomb_is_refused_without_inflating_it():
    bomb = gzip.compress(bytes(50 * 1024 * 1024), compresslevel=9)  # ~50 KB on the wire
    with LocalServer().running() as server, make_client() as http:
        server.route("/bomb", Reply(200, bomb, {"Content-Encoding": "gzip"}))
        tracemalloc.start()
        try:
            error = fetch_error(http, server.url("/bomb"), max_bytes=64 * 1024)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert error.outcome == "too_large"
    assert peak < 5 * 1024 * 1024  # nowhere near the 50 MB the bomb expands to


def test_redirect_is_followed_and_reported(server, client):
    server.route("/old", Reply(301, headers={"Location": "/new"}))
    server.route("/new", Reply(200, b"moved"))

    page = client.get(server.url("/old"))

    assert (page.url, page.final_url, page.body) == (server.url("/old"), server.url("/new"),
                                                    b"moved")


def test_redirect_loop_is_refused(server, client):
    server.route("/a", Reply(302, headers={"Location": "/b"}))
    server.route("/b", Reply(302, headers={"Location": "/a"}))

    assert fetch_error(client, server.url("/a")).outcome == "redirect_loop"
    assert len(server.hits("/a")) == 1


def test_more_than_five_redirects_are_refused(server, client):
    for n in range(7):
        server.route(f"/r{n}", Reply(302, headers={"Location": f"/r{n + 1}"}))

    assert fetch_error(client, server.url("/r0")).outcome == "too_many_redirects"
    assert len(server.hits("/r5")) == 1 and not server.hits("/r6")


def test_loopback_is_refused_without_allow_private_network(server):
    server.route("/", Reply(200, b"secret"))

    with make_client(allow_private_network=False) as http:
        assert fetch_error(http, server.url("/")).outcome == "refused"
        # Port 80, so only the address check can refuse it.
        assert fetch_error(http, "http://localhost/").outcome == "refused"
    assert server.seen == []


@pytest.mark.parametrize("target", [
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata service
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://0.0.0.0/",
    "file:///etc/passwd",
])
def test_redirect_target_is_checked_even_on_a_private_network_source(server, client, target):
    server.route("/go", Reply(302, headers={"Location": target}))

    assert fetch_error(client, server.url("/go")).outcome == "refused"


def test_slow_drip_body_is_cut_off_by_the_deadline(server):
    server.handle_with("/drip", lambda h: stream_then_close(
        h, {"Content-Type": "text/html"}, iter([b"x"] * 200), pause=0.05))

    started = time.monotonic()
    with make_client(timeout=0.5) as http:
        error = fetch_error(http, server.url("/drip"))

    assert error.outcome == "timeout"
    assert time.monotonic() - started < 2.0  # the drip alone would take 10 s
    assert len(server.hits("/drip")) == 1  # a server answering slowly is not asked again


def test_min_delay_spaces_requests_to_one_host(server):
    server.route("/p", Reply(200, b"ok"))

    with make_client(min_delay_seconds=0.3) as http:
        http.get(server.url("/p"))
        http.get(server.url("/p"))

    first, second = server.hits("/p")
    assert second.at - first.at >= 0.3
