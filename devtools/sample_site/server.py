"""SampleSite: the sample news site served on a loopback port, for the demo and the tests."""

from __future__ import annotations

import hashlib
import struct
import threading
import zlib
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import yaml

from devtools.sample_site import feeds, redesign, templates
from devtools.sample_site.boilerplate import BRANDS
from devtools.sample_site.stories import TEMPLATES, stories

HTML = "text/html; charset=utf-8"
_NOT_FOUND = (
    b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Page not found</title></head>'
    b'<body><h1>Page not found</h1><p>Try the <a href="/">home page</a>.</p></body></html>\n'
)


@dataclass(frozen=True)
class _Resource:
    content_type: str
    body: bytes
    etag: str


def _resource(content_type: str, content: str | bytes) -> _Resource:
    body = content.encode("utf-8") if isinstance(content, str) else content
    return _Resource(content_type, body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')


def _build(base: str) -> dict[str, _Resource]:
    """Every page of the site, by path. Rendered once per server: the origin is fixed by then."""
    everyone = stories()
    site = {
        "/": _resource(HTML, feeds.home(everyone, base)),
        "/robots.txt": _resource("text/plain; charset=utf-8", feeds.robots(base)),
        "/rss.xml": _resource("application/rss+xml; charset=utf-8", feeds.rss(everyone, base)),
        "/atom.xml": _resource("application/atom+xml; charset=utf-8", feeds.atom(everyone, base)),
        "/news-sitemap.xml": _resource(
            "application/xml; charset=utf-8", feeds.news_sitemap(everyone, base)
        ),
    }
    for story in everyone:
        site[story.path] = _resource(HTML, templates.render(story, everyone, base))
        if story.image:
            site[story.image] = _resource("image/png", _placeholder_png(story.slug))
    return site


def _placeholder_png(seed: str, width: int = 320, height: int = 180) -> bytes:
    """A flat-colour PNG whose colour comes from `seed`, so og:image and JSON-LD images resolve."""
    colour = hashlib.sha256(seed.encode()).digest()[:3]
    pixels = (b"\x00" + colour * width) * height  # each scanline: filter byte 0, then RGB

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels, 9))
        + chunk(b"IEND", b"")
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: SampleSite
    resources: dict[str, _Resource]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "SampleNews/1.0"
    sys_version = ""
    timeout = 30  # closes idle keep-alive connections, which would otherwise pin a thread
    # Headers and body go out in separate writes; with Nagle on, keep-alive clients wait ~40ms
    # for a delayed ACK on every response.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._respond(include_body=True)

    def do_HEAD(self) -> None:
        self._respond(include_body=False)

    def _respond(self, include_body: bool) -> None:
        self.server.site._record(self.path)
        resource = self.server.resources.get(urlsplit(self.path).path)
        if resource is None:
            self._send(HTTPStatus.NOT_FOUND, HTML, _NOT_FOUND, None, include_body)
        elif self.headers.get("If-None-Match") == resource.etag:
            self._send(HTTPStatus.NOT_MODIFIED, None, b"", resource.etag, include_body=False)
        else:
            self._send(
                HTTPStatus.OK, resource.content_type, resource.body, resource.etag, include_body
            )

    def _send(
        self,
        status: HTTPStatus,
        content_type: str | None,
        body: bytes,
        etag: str | None,
        include_body: bool,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
            self.send_header("Cache-Control", "max-age=60")
        self.end_headers()
        if include_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: `SampleSite.requests` is the log, and stderr noise would drown test output."""


class SampleSite:
    """The sample news site on a free loopback port; a context manager that starts and stops it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.requests: list[str] = []
        """Request paths (with any query string) in the order they arrived."""
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sample site is not running: call start() first")
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an AF_INET server's address
        return f"http://{host}:{port}"

    def start(self) -> SampleSite:
        if self._server is not None:
            raise RuntimeError("the sample site is already running")
        server = _Server((self.host, self.port), _Handler)
        server.site = self
        self._server = server
        try:
            server.resources = _build(self.base_url)
        except BaseException:
            self._server = None
            server.server_close()
            raise
        self._thread = threading.Thread(
            target=server.serve_forever, name=f"sample-site:{server.server_address[1]}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> SampleSite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def article_urls(self) -> list[str]:
        """Absolute URLs of every article page, oldest story first."""
        return [self.base_url + story.path for story in stories()]

    def write_sources_yaml(self, path: Path, source_id: str = "sample") -> Path:
        """Write a sources file that points newsflow at this running site; returns `path`."""
        base = self.base_url
        source = {
            "id": source_id,
            "name": BRANDS["ledger"].name,
            "feeds": [f"{base}/rss.xml", f"{base}/atom.xml"],
            "sitemaps": [f"{base}/news-sitemap.xml"],
            "urls": [],
            "min_delay_seconds": 0,
            "allow_private_network": True,
            "enabled": True,
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump({"sources": [source]}, sort_keys=False, default_flow_style=None)
        path.write_text(text, encoding="utf-8")
        return path

    def write_sources_per_template(self, path: Path, prefix: str = "sample") -> dict[str, str]:
        """Write a sources file with one source per publisher template, each listing its
        article URLs (ids `<prefix>-<template>`); returns template → source id."""
        ids: dict[str, str] = {template: f"{prefix}-{template}" for template in TEMPLATES}
        entries = [
            {
                "id": ids[template],
                "name": BRANDS[template].name,
                "urls": [self.base_url + s.path for s in stories() if s.template == template],
                "min_delay_seconds": 0,
                "allow_private_network": True,
            }
            for template in TEMPLATES
        ]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({"sources": entries}, sort_keys=False), encoding="utf-8")
        return ids

    def redesign(self, template: str) -> None:
        """From now on, serve the stories of `template` in the redesigned (client-side
        rendered) layout at the same URLs: a simulated layout change."""
        if self._server is None:
            raise RuntimeError("the sample site is not running: call start() first")
        pages = {
            story.path: _resource(HTML, redesign.render(story, self.base_url))
            for story in stories()
            if story.template == template
        }
        if not pages:
            raise ValueError(f"no stories in template {template!r}")
        self._server.resources = {**self._server.resources, **pages}

    def _record(self, path: str) -> None:
        with self._lock:
            self.requests.append(path)
