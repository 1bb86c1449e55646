"""When to ask again: backoff with jitter, Retry-After, and the per-host turn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from pipeline.errors import FetchError
from pipeline.fetch.pacing import HostPacer, backoff_delay, retry_after_seconds


def test_backoff_doubles_with_jitter_within_each_step():
    for attempt, step in ((1, 0.5), (2, 1.0), (3, 2.0)):
        delays = [backoff_delay(0.5, attempt) for _ in range(200)]
        assert all(step / 2 <= d <= step for d in delays)
        assert len(set(delays)) > 100  # jittered, not one fixed value


def test_retry_after_in_seconds_or_as_a_date():
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)

    assert retry_after_seconds(" 7 ") == 7.0
    assert 55 <= retry_after_seconds(in_a_minute) <= 60
    assert retry_after_seconds("Tue, 01 Jan 2000 00:00:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_a_turn_too_far_off_is_deferred_not_waited_for():
    pacer = HostPacer(0.0, max_wait_seconds=5.0)
    pacer.slow_down("news.example", 3600)
    pacer.wait_turn("news.example", "https://news.example/a")  # the first request goes at once
    pacer.done("news.example")

    with pytest.raises(FetchError) as caught:
        pacer.wait_turn("news.example", "https://news.example/b")
    assert caught.value.outcome == "deferred"
    pacer.wait_turn("other.example", "https://other.example/")  # other hosts are not held up


def test_crawl_delay_never_lowers_the_delay():
    pacer = HostPacer(2.0)
    pacer.slow_down("a.example", 0.5)

    assert pacer.delay("a.example") == 2.0
    pacer.slow_down("a.example", 5.0)
    assert pacer.delay("a.example") == 5.0 and pacer.delay("b.example") == 2.0


def test_a_redirect_into_another_workers_host_waits_for_its_turn():
    """Two workers with hosts of their own; one's pages redirect to the other's host. The
    redirected host never has two requests at once."""
    import ipaddress
    import threading
    import time

    from local_http import LocalServer, Reply

    from pipeline.config import Settings
    from pipeline.fetch.http import HttpClient
    from pipeline.fetch.network import NetworkPolicy

    server = LocalServer()
    in_flight, most = [0], [0]
    lock = threading.Lock()

    def slow(handler):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.15)
        with lock:
            in_flight[0] -= 1
        handler.send_response(200)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"ok")

    server.handle_with("/story", slow)
    for n in range(4):
        server.route(
            f"/old/{n}",
            Reply(301, headers={"Location": f"http://www.news.test:{server.port}/story?from={n}"}),
        )
    loopback = [ipaddress.ip_address("127.0.0.1")]
    network = NetworkPolicy(
        resolver=lambda host, port: loopback,
        public_endpoints=frozenset({("127.0.0.1", server.port)}),
    )
    pacer = HostPacer(0.0)
    results: list[int] = []

    def worker(urls: list[str]) -> None:
        with HttpClient(
            Settings(fetch_timeout_seconds=5), network=network, pacer=pacer, max_attempts=1
        ) as http:
            results.extend(http.get(url).status for url in urls)

    with server.running():
        workers = [
            threading.Thread(
                target=worker, args=([f"http://news.test:{server.port}/old/{n}" for n in range(4)],)
            ),
            threading.Thread(
                target=worker,
                args=([f"http://www.news.test:{server.port}/story?own={n}" for n in range(4)],),
            ),
        ]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(30)

    assert results == [200] * 8
    assert len([seen for seen in server.seen if seen.path.startswith("/story?")]) == 8
    assert most[0] == 1
