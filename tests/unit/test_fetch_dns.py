"""Name resolution within the request's deadline, with a resolver injected through the seam.

getaddrinfo has no timeout of its own, so the network policy gives whatever resolver it has a
thread and stops waiting for it when the time is up. These tests stand a stalled name server in
for a slow or hostile one: each lookup waits on an event (its "sleep", far longer than the
fetch timeout) that the test sets only when it is done, so an error that arrives while every
lookup is still waiting is one the bound produced, not the resolver.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from local_http import LocalServer, Reply

from pipeline.config import Settings
from pipeline.errors import FetchError
from pipeline.fetch import network
from pipeline.fetch.http import HttpClient
from pipeline.fetch.network import NetworkPolicy, RetryableFetchError, deadline

LOOPBACK = [ipaddress.ip_address("127.0.0.1")]
SLEEP_SECONDS = 30.0  # how long a stalled lookup would wait if the test never released it


class StalledNameServer:
    """A resolver answering its first `answered` lookups at once and stalling on the rest."""

    def __init__(self, answered: int = 0) -> None:
        self.answered = answered
        self.asked: list[str] = []
        self.stalled: list[threading.Thread] = []  # the threads of the lookups left waiting
        self._release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, host: str, port: int) -> list[ipaddress.IPv4Address]:
        with self._lock:
            self.asked.append(host)
            if len(self.asked) <= self.answered:
                return LOOPBACK
            self.stalled.append(threading.current_thread())
        self._release.wait(SLEEP_SECONDS)
        return LOOPBACK

    def all_still_waiting(self) -> bool:
        return bool(self.stalled) and all(thread.is_alive() for thread in self.stalled)

    def release(self) -> None:
        """Let every stalled lookup answer and wait for its thread, so its slot is free again."""
        self._release.set()
        for thread in self.stalled:
            if thread is not threading.current_thread():  # a lookup made without a thread
                thread.join(SLEEP_SECONDS)


@pytest.fixture
def name_server() -> Iterator[StalledNameServer]:
    stalled = StalledNameServer()
    try:
        yield stalled
    finally:
        stalled.release()


@contextmanager
def listener() -> Iterator[socket.socket]:
    """A port that accepts TCP connections and serves nothing: `connections` counts them."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


def connections(server: socket.socket) -> int:
    count = 0
    while True:
        try:
            accepted, _ = server.accept()
        except BlockingIOError:
            return count
        accepted.close()
        count += 1


def client(resolver: object, *, timeout: float, max_attempts: int = 1) -> HttpClient:
    network = NetworkPolicy(allow_private=True, resolver=resolver)  # type: ignore[arg-type]
    return HttpClient(
        Settings(fetch_timeout_seconds=timeout),
        network=network,
        max_attempts=max_attempts,
        backoff_seconds=0.01,
    )


def fetch_error(http: HttpClient, url: str) -> FetchError:
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        http.get(url)
    print(f"{url}: {caught.value.outcome} after {time.monotonic() - started:.2f}s")
    return caught.value


def test_name_server_slower_than_the_total_timeout_is_a_retried_dns_error(name_server):
    with listener() as site, client(name_server, timeout=0.3, max_attempts=2) as http:
        error = fetch_error(http, f"http://slow.test:{site.getsockname()[1]}/")
        arrived_while_waiting = name_server.all_still_waiting()
        reached = connections(site)

    assert error.outcome == "dns_error" and "gave up after 2 attempts" in str(error)
    assert "cannot resolve slow.test: no answer within 0.3s" in str(error)
    assert arrived_while_waiting and len(name_server.stalled) == 2
    assert reached == 0
    # Both attempts failed at admission, before a request went out.
    assert [(e.outcome, e.sent) for e in http.journal.entries] == [("dns_error", False)] * 2


def test_name_server_answering_within_the_deadline_is_used():
    def slowish(host: str, port: int) -> list[ipaddress.IPv4Address]:
        time.sleep(0.05)
        asked.append(host)
        return LOOPBACK

    asked: list[str] = []
    with LocalServer().running() as site, client(slowish, timeout=2.0) as http:
        site.route("/a", Reply(200, b"<p>resolved</p>"))
        page = http.get(f"http://news.test:{site.port}/a")

    assert (page.status, page.body) == (200, b"<p>resolved</p>")
    assert asked == ["news.test", "news.test"]  # the admission check and the connection
    assert site.hits("/a")[0].headers["Host"] == f"news.test:{site.port}"


def test_lookup_made_when_connecting_is_bounded_too(name_server):
    name_server.answered = 1  # the admission check gets its answer; the connection's stalls
    with listener() as site, client(name_server, timeout=0.3) as http:
        error = fetch_error(http, f"http://rebind.test:{site.getsockname()[1]}/")
        arrived_while_waiting = name_server.all_still_waiting()
        reached = connections(site)

    assert error.outcome == "dns_error" and isinstance(error.__cause__, RetryableFetchError)
    assert "cannot resolve rebind.test: no answer within" in str(error)
    assert arrived_while_waiting and name_server.asked == ["rebind.test"] * 2
    assert reached == 0
    # Admitted, so the request phase began: the stall was the connection's own lookup.
    assert [(e.outcome, e.sent) for e in http.journal.entries] == [("dns_error", True)]


def test_lookup_under_a_deadline_gets_only_the_time_left(name_server):
    policy = NetworkPolicy(allow_private=True, resolver=name_server)

    with pytest.raises(RetryableFetchError) as caught, deadline(0.2):
        policy.vet_endpoint("slow.test", 80, timeout=30.0)

    waited = re.search(r"no answer within ([\d.]+)s", str(caught.value))
    assert caught.value.outcome == "dns_error" and waited is not None
    assert float(waited.group(1)) <= 0.2  # the deadline's limit, not the 30 s timeout
    assert name_server.all_still_waiting()


def test_lookup_with_neither_deadline_nor_timeout_gets_the_module_limit(name_server, monkeypatch):
    monkeypatch.setattr(network, "RESOLVE_TIMEOUT_SECONDS", 0.1)
    policy = NetworkPolicy(allow_private=True, resolver=name_server)

    with pytest.raises(RetryableFetchError) as caught:
        policy.vet("http://slow.test/")

    assert caught.value.outcome == "dns_error"
    assert "cannot resolve slow.test: no answer within 0.1s" in str(caught.value)
    assert name_server.all_still_waiting()


def test_lookups_beyond_the_thread_limit_fail_at_once_without_asking(name_server):
    policy = NetworkPolicy(allow_private=True, resolver=name_server)
    abandoned = []
    for n in range(network.RESOLVER_THREADS):
        with pytest.raises(RetryableFetchError) as caught:
            policy.vet_endpoint(f"slow{n}.test", 80, timeout=0.05)
        abandoned.append(str(caught.value))

    with pytest.raises(RetryableFetchError) as refused:
        policy.vet_endpoint("one-more.test", 80, timeout=5.0)
    asked_while_full = list(name_server.asked)
    name_server.release()
    healthy = NetworkPolicy(allow_private=True, resolver=lambda host, port: LOOPBACK)

    assert all("no answer within 0.05s" in message for message in abandoned)
    assert refused.value.outcome == "dns_error"
    assert str(refused.value) == (
        f"cannot resolve one-more.test: not tried, all {network.RESOLVER_THREADS} resolver "
        f"threads are still waiting for earlier answers (is the name server down?)"
    )
    assert "one-more.test" not in asked_while_full
    assert healthy.vet_endpoint("back.test", 80, timeout=5.0) == LOOPBACK  # threads came back


def test_a_resolver_error_reaches_the_caller_unchanged_and_is_not_retried():
    def no_such_name(host: str, port: int) -> list[ipaddress.IPv4Address]:
        raise FetchError(f"cannot resolve {host}: Name or service not known", "dns_error")

    with client(no_such_name, timeout=2.0, max_attempts=3) as http:
        error = fetch_error(http, "http://gone.test/")

    assert error.outcome == "dns_error" and not isinstance(error, RetryableFetchError)
    assert "gone.test: Name or service not known" in str(error)
    assert len(http.journal.entries) == 1
