"""A real HTTP server on 127.0.0.1 for the fetch and discover tests (no tests of its own).

Tests replace the server, not the client: routes answer with scripted replies, and the server
logs every request it receives, so a test checks what actually reached the network.
It lives here because tests/ has no conftest.py yet; it belongs there once it has one (the
integration tests put this directory on sys.path to import it).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    at: float  # time.monotonic() when the request line arrived
    path: str
    headers: dict[str, str]


# A route is a list of replies given in turn (the last one repeats), or a function that writes
# the response itself, for servers that misbehave mid-body.
Route = list[Reply] | Callable[[BaseHTTPRequestHandler], None]


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.busy = 0  # requests being answered now
        self.most_busy = 0  # the most requests ever answered at once
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def handle_with(self, path: str, write: Callable[[BaseHTTPRequestHandler], None]) -> None:
        self.routes[path] = write

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path == path]

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.busy += 1
            self.most_busy = max(self.most_busy, self.busy)
        try:
            self._answer(handler)
        finally:
            with self._lock:
                self.busy -= 1

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.seen.append(Seen(time.monotonic(), handler.path, dict(handler.headers)))
            route = self.routes.get(handler.path, self.routes.get(urlsplit(handler.path).path))
            if isinstance(route, list):
                reply = route.pop(0) if len(route) > 1 else route[0]
        if route is None:
            reply = Reply(404, b"not found")
        elif not isinstance(route, list):
            route(handler)
            return
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.status != 304:
            handler.send_header("Content-Length", str(len(reply.body)))
        handler.end_headers()
        handler.wfile.write(reply.body)

    @contextmanager
    def running(self) -> Iterator[LocalServer]:
        thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._httpd.shutdown()
            self._httpd.server_close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A client hanging up mid-reply is what the size-cap and timeout tests make happen;
        # anything else is a bug in a test's route and is reported as usual.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self.server.owner._serve(self)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep test output clean; the server's own log is LocalServer.seen


def stream_then_close(
    handler: BaseHTTPRequestHandler,
    headers: dict[str, str],
    chunks: Iterator[bytes],
    pause: float = 0.0,
) -> None:
    """Write a body of unannounced length piece by piece until done or the client hangs up."""
    handler.close_connection = True
    handler.send_response(200)
    for name, value in {**headers, "Connection": "close"}.items():
        handler.send_header(name, value)
    handler.end_headers()
    try:
        for chunk in chunks:
            handler.wfile.write(chunk)
            handler.wfile.flush()
            if pause:
                time.sleep(pause)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up on us, which is what these tests want


def conditional_page(
    body: bytes,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    content_type: str = "text/html; charset=utf-8",
    pause: float = 0.0,
) -> Callable[[BaseHTTPRequestHandler], None]:
    """A route for a page that honours If-None-Match / If-Modified-Since with 304."""

    def write(handler: BaseHTTPRequestHandler) -> None:
        if pause:
            time.sleep(pause)
        same = (etag is not None and handler.headers.get("If-None-Match") == etag) or (
            last_modified is not None and handler.headers.get("If-Modified-Since") == last_modified
        )
        handler.send_response(304 if same else 200)
        if etag:
            handler.send_header("ETag", etag)
        if last_modified:
            handler.send_header("Last-Modified", last_modified)
        if not same:
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if not same:
            handler.wfile.write(body)

    return write


def article_html(title: str, *paragraphs: str, charset: str | None = "utf-8") -> str:
    """A plain news article page the cleaner turns into a record."""
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "".join(
        f"<p>{p}</p>"
        for p in paragraphs
        or (
            f"{title} was reported on Tuesday by our correspondent in the city, who spoke to "
            "officials and residents about what happened and what comes next for the district.",
            "The council said it would publish a full account of the events within a month, and "
            "residents said they would attend the next public meeting to ask more questions.",
        )
    )
    return (
        f'<!doctype html><html lang="en"><head>{meta}<title>{title}</title></head><body>'
        f"<article><h1>{title}</h1>{body}</article></body></html>"
    )
