"""Ctrl-C during `newsflow ingest`: the pass stops at once, reports what Kafka acknowledged,
and leaves nothing half-published."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from fetch_support import LocalServer, Reply, article_html, end_offsets, forget_site, records_since

from pipeline.stack.manager import settings_env

pytestmark = pytest.mark.integration
NEWSFLOW = str(Path(sys.executable).parent / "newsflow")
SLOW_PAGES = 6
SLOW_SECONDS = 4.0


def rss(server: LocalServer, *paths: str) -> bytes:
    items = "".join(f"<item><title>{p}</title><link>{server.url(p)}</link></item>" for p in paths)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    ).encode()


def slow_page(title: str, release: threading.Event):
    body = article_html(title).encode()

    def write(handler) -> None:  # noqa: ANN001
        release.wait(SLOW_SECONDS)  # a site that takes seconds per page
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on the page, as an interrupted ingest should

    return write


def test_ctrl_c_stops_ingest_mid_fetch_and_reports_what_kafka_acknowledged(stack, tmp_path):
    run = uuid.uuid4().hex[:8]
    fast, slow = f"fast-{run}", f"slow-{run}"
    release = threading.Event()
    with LocalServer().running() as site:
        forget_site(stack, site)
        site.route("/robots.txt", Reply(200, b"User-agent: *\nAllow: /\n"))
        fast_paths = [f"/fast/{n}" for n in range(2)]
        for n, path in enumerate(fast_paths):
            site.route(
                path,
                Reply(
                    200,
                    article_html(f"Quick story {run} {n}").encode(),
                    {"Content-Type": "text/html; charset=utf-8"},
                ),
            )
        slow_paths = [f"/slow/{n}" for n in range(SLOW_PAGES)]
        for n, path in enumerate(slow_paths):
            site.handle_with(path, slow_page(f"Slow story {run} {n}", release))
        site.route("/fast.xml", Reply(200, rss(site, *fast_paths)))
        site.route("/slow.xml", Reply(200, rss(site, *slow_paths)))
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            json.dumps(
                {
                    "sources": [
                        {
                            "id": fast,
                            "name": "Fast",
                            "feeds": [site.url("/fast.xml")],
                            "min_delay_seconds": 0,
                            "allow_private_network": True,
                        },
                        {
                            "id": slow,
                            "name": "Slow",
                            "feeds": [site.url("/slow.xml")],
                            "min_delay_seconds": 0,
                            "allow_private_network": True,
                        },
                    ]
                }
            )
        )
        start = end_offsets(stack)
        env = {**os.environ, **settings_env(stack), "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [NEWSFLOW, "ingest", "--sources", str(sources)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            while not site.hits("/slow/0") and time.monotonic() < deadline:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.05)
            assert site.hits("/slow/0"), "the slow source was never fetched"
            proc.send_signal(signal.SIGINT)
            output, _ = proc.communicate(timeout=120)
            slow_asked = sum(len(site.hits(p)) for p in slow_paths)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
            release.set()

    published = [r for r in records_since(stack, start) if r["source_id"] in (fast, slow)]
    assert proc.returncode == 130, output
    # The worker did not go on through the slow pages after Ctrl-C.
    assert slow_asked < SLOW_PAGES, output
    assert "Traceback" not in output, output
    assert "Kafka acknowledged 2 records" in output, output
    assert sorted(r["source_id"] for r in published) == [fast, fast]
