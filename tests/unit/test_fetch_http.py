"""HttpClient against a real local server: what reaches the server, what the caller gets."""

from __future__ import annotations

import gzip
import ipaddress
import socket
import time
import tracemalloc
from collections.abc import Iterator

import brotli
import pytest
from local_http import LocalServer, Reply, stream_then_close

from pipeline.config import Settings
from pipeline.errors import FetchError
from pipeline.fetch.http import HttpClient
from pipeline.fetch.network import NetworkPolicy


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer().running() as running:
        yield running


def make_client(**overrides: object) -> HttpClient:
    settings = Settings(
        fetch_timeout_seconds=overrides.pop("timeout", 2.0),
        fetch_read_timeout_seconds=overrides.pop("fetch_read_timeout_seconds", 10),
    )
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
    server.handle_with(
        "/endless",
        lambda h: stream_then_close(h, {"Content-Type": "text/html"}, iter([b"x" * 1024] * 10_000)),
    )

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

    assert (page.url, page.final_url, page.body) == (
        server.url("/old"),
        server.url("/new"),
        b"moved",
    )


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


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata service
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://0.0.0.0/",
        "file:///etc/passwd",
    ],
)
def test_redirect_target_is_checked_even_on_a_private_network_source(server, client, target):
    server.route("/go", Reply(302, headers={"Location": target}))

    assert fetch_error(client, server.url("/go")).outcome == "refused"


def test_slow_drip_body_is_cut_off_by_the_deadline(server):
    server.handle_with(
        "/drip",
        lambda h: stream_then_close(
            h, {"Content-Type": "text/html"}, iter([b"x"] * 200), pause=0.05
        ),
    )

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


# -- what the client adds since the walking skeleton ------------------------------------------


def test_brotli_content_encoding_is_decoded_and_a_brotli_bomb_refused(server, client):
    html = b"<p>compressed</p>" * 100
    packer = brotli.Compressor(quality=1)
    bomb = b"".join(packer.process(bytes(1 << 20)) for _ in range(64)) + packer.finish()
    server.route("/br", Reply(200, brotli.compress(html), {"Content-Encoding": "br"}))
    server.route("/br-bomb", Reply(200, bomb, {"Content-Encoding": "br"}))

    assert client.get(server.url("/br")).body == html
    assert fetch_error(client, server.url("/br-bomb"), max_bytes=64 * 1024).outcome == "too_large"
    assert server.hits("/br")[0].headers["Accept-Encoding"] == "gzip, deflate, br"


def test_headers_dripped_a_byte_at_a_time_are_cut_off_by_the_deadline(server):
    def drip_headers(handler):
        handler.close_connection = True
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 1000:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass

    server.handle_with("/slow-headers", drip_headers)
    started = time.monotonic()
    with make_client(timeout=0.5) as http:
        error = fetch_error(http, server.url("/slow-headers"))

    assert error.outcome == "timeout"
    assert time.monotonic() - started < 2.0  # the drip alone would take 50 s
    assert len(server.hits("/slow-headers")) == 1


def test_a_silent_server_times_out_on_read_and_is_retried(server):
    server.handle_with("/silent", lambda h: time.sleep(1.0))

    with make_client(timeout=2.0, fetch_read_timeout_seconds=0.2) as http:
        error = fetch_error(http, server.url("/silent"))

    assert error.outcome == "timeout"
    assert len(server.hits("/silent")) == 3


def test_non_html_page_is_skipped_before_its_body_is_read(server, client):
    pdf = b"%PDF-1.7\n" + b"\x00" * 100_000
    server.route("/report.pdf", Reply(200, pdf, {"Content-Type": "application/pdf"}))
    server.route("/page", Reply(200, b"<p>x</p>", {"Content-Type": "text/html"}))

    error = fetch_error(client, server.url("/report.pdf"), html_only=True)
    page = client.get(server.url("/page"), html_only=True)

    assert error.outcome == "not_html" and "application/pdf" in str(error)
    assert page.body == b"<p>x</p>"
    assert [(e.status, e.outcome, e.bytes) for e in client.journal.entries] == [
        (200, "not_html", 0),
        (200, "ok", 8),
    ]


def test_every_attempt_and_refusal_is_in_the_journal(server, client):
    server.route("/flaky", Reply(503), Reply(200, b"ok"))
    server.route("/old", Reply(301, headers={"Location": "/flaky"}))

    client.get(server.url("/old"))
    fetch_error(client, "http://169.254.169.254/latest/meta-data/")

    assert [(e.url, e.status, e.outcome) for e in client.journal.entries] == [
        (server.url("/old"), 301, "redirect"),
        (server.url("/flaky"), 503, "http_503"),
        (server.url("/flaky"), 200, "ok"),
        ("http://169.254.169.254/latest/meta-data/", None, "refused"),
    ]


def test_conditional_headers_are_sent(server, client):
    server.route("/same", Reply(304))

    client.get(server.url("/same"), headers={"If-None-Match": '"v1"'})

    assert server.hits("/same")[0].headers["If-None-Match"] == '"v1"'


# -- the network policy, on the address actually connected to ---------------------------------


def public_client(server: LocalServer, **policy: object) -> HttpClient:
    """A client that takes `server` (on loopback) for a public site, as the seam allows."""
    network = NetworkPolicy(public_endpoints=frozenset({("127.0.0.1", server.port)}), **policy)
    return HttpClient(Settings(fetch_timeout_seconds=2), network=network, backoff_seconds=0.01)


def test_redirects_from_a_public_site_into_private_networks_are_refused(server):
    target = LocalServer()
    server.route("/ok", Reply(200, b"public"))
    server.route("/to-loopback", Reply(302, headers={"Location": target.url("/internal")}))
    server.route("/to-loopback-80", Reply(302, headers={"Location": "http://127.0.0.1/admin"}))
    server.route(
        "/to-metadata", Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    )

    with target.running(), public_client(server) as http:
        assert http.get(server.url("/ok")).body == b"public"
        outcomes = [
            fetch_error(http, server.url(path)).outcome
            for path in ("/to-loopback", "/to-loopback-80", "/to-metadata")
        ]

    assert outcomes == ["refused"] * 3
    assert target.seen == []


def test_dns_rebinding_is_caught_at_connect_time(server):
    answers = iter([[ipaddress.ip_address("93.184.215.14")], [ipaddress.ip_address("127.0.0.1")]])
    server.route("/", Reply(200, b"secret"))
    network = NetworkPolicy(
        resolver=lambda host, port: next(answers),
        public_endpoints=frozenset({("93.184.215.14", server.port)}),
    )

    with HttpClient(Settings(fetch_timeout_seconds=2), network=network, max_attempts=1) as http:
        error = fetch_error(http, f"http://rebind.test:{server.port}/")

    # The first answer passed the check before the request; the second, the one httpx would
    # have connected to, is loopback: refused before a byte was sent.
    assert error.outcome == "refused" and "127.0.0.1" in str(error)
    assert server.seen == []


def test_other_ports_are_refused_for_public_sites(server):
    network = NetworkPolicy(resolver=lambda host, port: [ipaddress.ip_address("93.184.215.14")])

    with HttpClient(Settings(), network=network) as http:
        error = fetch_error(http, "http://news.example:8080/")

    assert error.outcome == "refused" and "port 8080" in str(error)
