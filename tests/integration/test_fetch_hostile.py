"""One ingestion pass over a hostile site, on the real stack (Kafka + PostgreSQL).

The site is served on 127.0.0.1 and taken for a public site through the network policy's
test seam, so the private-network rules are those of an ordinary source. Every hostile page
must end with a fetch_log row naming its cause while the good pages around it are published.
The measured time of each case is written to test-output/hostile-fetch.md.
"""

from __future__ import annotations

import gzip
import time
import uuid
import zlib
from collections.abc import Iterator
from itertools import pairwise

import brotli
import pytest
from fetch_support import (
    LocalServer,
    Reply,
    article_html,
    end_offsets,
    fetch_log,
    forget_site,
    records_since,
    stream_then_close,
)

from pipeline.fetch.network import NetworkPolicy
from pipeline.jobs import ingest_source
from pipeline.sources import Source

pytestmark = pytest.mark.integration

TOTAL_TIMEOUT = 5.0  # seconds per attempt, body included
CRAWL_DELAY = 0.5
GIB = 1 << 30
HTML = {"Content-Type": "text/html; charset=utf-8"}
GOOD = ["/good/1", "/good/2", "/good/3", "/good/4", "/flaky", "/busy", "/wrong-charset"]
# path → (the case, the outcome its last fetch_log row must name)
HOSTILE = {
    "/private/secret": ("robots.txt disallows the path", "robots_disallowed"),
    "/gone": ("404, not retried", "http_404"),
    "/loop-a": ("redirect loop", "redirect_loop"),
    "/to-loopback": ("redirect to 127.0.0.1", "refused"),
    "/to-metadata": ("redirect to 169.254.169.254", "refused"),
    "/bomb": ("1 GiB gzip bomb (Content-Encoding)", "too_large"),
    "/br-bomb": ("1 GiB brotli bomb (Content-Encoding)", "too_large"),
    "/huge": ("20 MB page, no Content-Length", "too_large"),
    "/drip": ("one byte a second", "timeout"),
    "/report.pdf": ("PDF served as an article", "not_html"),
}
CASES = {
    "/flaky": "503 then 200",
    "/busy": "429 with Retry-After: 1",
    "/wrong-charset": "UTF-8 page labelled ISO-8859-1",
    "/sitemaps/bomb.xml.gz": "1 GiB gzip sitemap",
    **{p: c for p, (c, _) in HOSTILE.items()},
}


def gzip_bomb() -> bytes:
    """1 GiB of zeros, gzip-compressed piece by piece (about 1 MB; the GiB is never in memory)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(GIB >> 20)) + packer.flush()


def brotli_bomb() -> bytes:
    packer = brotli.Compressor(quality=1, lgwin=24)
    zeros = bytes(1 << 20)
    return b"".join(packer.process(zeros) for _ in range(GIB >> 20)) + packer.finish()


def rss(*links: str) -> bytes:
    items = "".join(f"<item><title>{link}</title><link>{link}</link></item>" for link in links)
    return f'<rss version="2.0"><channel><title>H</title>{items}</channel></rss>'.encode()


def urlset(*urls: str) -> bytes:
    body = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'.encode()


def build_site(site: LocalServer, target: LocalServer, bomb: bytes) -> None:
    site.route(
        "/robots.txt",
        Reply(200, f"User-agent: *\nDisallow: /private/\nCrawl-delay: {CRAWL_DELAY}\n".encode()),
    )
    site.route("/feed.xml", Reply(200, rss("good/1", "/good/2")))  # relative links
    site.route(
        "/sitemap_index.xml",
        Reply(
            200,
            (
                b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                b"<sitemap><loc>/sitemaps/news.xml.gz</loc></sitemap>"
                b"<sitemap><loc>/sitemaps/bomb.xml.gz</loc></sitemap></sitemapindex>"
            ),
        ),
    )
    site.route(
        "/sitemaps/news.xml.gz",
        Reply(
            200,
            gzip.compress(urlset(site.url("/good/3"), site.url("/wrong-charset"))),
            {"Content-Type": "application/gzip"},
        ),
    )
    site.route("/sitemaps/bomb.xml.gz", Reply(200, bomb, {"Content-Type": "application/gzip"}))
    for path in ("/good/1", "/good/2", "/good/3", "/good/4"):
        site.route(path, Reply(200, article_html(f"Good story {path[-1]}").encode(), HTML))
    site.route("/flaky", Reply(503), Reply(200, article_html("Flaky story").encode(), HTML))
    site.route(
        "/busy",
        Reply(429, headers={"Retry-After": "1"}),
        Reply(200, article_html("Busy story").encode(), HTML),
    )
    site.route(
        "/wrong-charset",
        Reply(
            200,
            article_html(
                "Café owners in Zürich",
                "The café owners of Zürich met on Tuesday to discuss the "
                "naïve rent rules that the council adopted last spring, and agreed to write to it.",
                "Their letter will be sent before the council meets again in June.",
                charset=None,
            ).encode("utf-8"),
            {"Content-Type": "text/html; charset=iso-8859-1"},
        ),
    )
    site.route("/gone", Reply(404, b"gone"))
    site.route("/loop-a", Reply(302, headers={"Location": "/loop-b"}))
    site.route("/loop-b", Reply(302, headers={"Location": "/loop-a"}))
    site.route("/to-loopback", Reply(302, headers={"Location": target.url("/internal")}))
    site.route(
        "/to-metadata",
        Reply(
            302,
            headers={
                "Location": "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
            },
        ),
    )
    site.route("/bomb", Reply(200, bomb, {**HTML, "Content-Encoding": "gzip"}))
    site.route("/br-bomb", Reply(200, brotli_bomb(), {**HTML, "Content-Encoding": "br"}))
    site.handle_with(
        "/huge", lambda h: stream_then_close(h, HTML, iter([b"<p>" + b"x" * 65533] * 320))
    )
    site.handle_with(
        "/drip",
        lambda h: stream_then_close(
            h, HTML, (bytes([b]) for b in article_html("Slow story").encode()), pause=1.0
        ),
    )
    site.route(
        "/report.pdf",
        Reply(200, b"%PDF-1.7\n" + bytes(200_000), {"Content-Type": "application/pdf"}),
    )
    target.route("/internal", Reply(200, b"internal admin page"))


@pytest.fixture(scope="module")
def hostile(stack, output_dir) -> Iterator[dict]:
    settings = stack.model_copy(
        update={"fetch_timeout_seconds": TOTAL_TIMEOUT, "fetch_read_timeout_seconds": 3.0}
    )
    site, target = LocalServer(), LocalServer()
    with site.running(), target.running():
        forget_site(settings, site)
        build_site(site, target, gzip_bomb())
        source = Source(
            id=f"hostile-{uuid.uuid4().hex[:8]}",
            name="Hostile",
            min_delay_seconds=0.1,
            feeds=[site.url("/feed.xml")],
            sitemaps=[site.url("/sitemap_index.xml")],
            urls=[site.url(p) for p in HOSTILE]
            + [site.url(p) for p in ("/flaky", "/busy", "/good/4")],
        )
        network = NetworkPolicy(public_endpoints=frozenset({("127.0.0.1", site.port)}))
        start = end_offsets(settings)
        started = time.monotonic()
        summary = ingest_source(settings, source, network=network)
        elapsed = time.monotonic() - started
        log = fetch_log(settings, source.id)
        yield {
            "site": site,
            "target": target,
            "summary": summary,
            "log": log,
            "records": records_since(settings, start),
            "elapsed": elapsed,
        }
    _write_report(output_dir / "hostile-fetch.md", site, log, summary, elapsed)


def rows_for(hostile: dict, path: str) -> list:
    url = hostile["site"].url(path)
    return [row for row in hostile["log"] if row.url == url]


@pytest.mark.parametrize("path", list(HOSTILE), ids=[c for c, _ in HOSTILE.values()])
def test_each_hostile_page_ends_with_a_fetch_log_row_naming_its_cause(hostile, path):
    rows = rows_for(hostile, path)

    assert rows, f"no fetch_log row for {path}"
    assert rows[-1].outcome == HOSTILE[path][1], rows[-1].error


def test_the_good_pages_around_them_are_all_published(hostile):
    summary, site = hostile["summary"], hostile["site"]

    assert (summary.new, summary.published) == (len(GOOD), len(GOOD))
    assert sorted(r["url"] for r in hostile["records"]) == sorted(site.url(p) for p in GOOD)
    assert {rows_for(hostile, p)[-1].outcome for p in GOOD} == {"new"}


def test_summary_counts_each_kind(hostile):
    s = hostile["summary"]

    assert s.discovered == len(GOOD) + len(HOSTILE)
    assert (s.skipped_robots, s.refused, s.skipped_not_html) == (1, 2, 1)
    assert s.failed == 6  # 404, redirect loop, two bombs, huge page, drip
    assert s.fetched == len(GOOD)
    assert any("bomb.xml.gz" in e and "too_large" in e for e in s.errors)


def test_disallowed_path_is_never_requested(hostile):
    assert hostile["site"].hits("/private/secret") == []


def test_crawl_delay_spaces_every_request_to_the_host(hostile):
    times = [seen.at for seen in hostile["site"].seen]

    assert len(times) > 20
    assert all(later - earlier >= CRAWL_DELAY for earlier, later in pairwise(times))


def test_503_is_retried_and_404_is_not(hostile):
    site = hostile["site"]

    assert len(site.hits("/flaky")) == 2 and len(site.hits("/gone")) == 1
    assert [r.status for r in rows_for(hostile, "/flaky")] == [503, 200]


def test_429_is_retried_after_the_time_the_server_asked_for(hostile):
    first, second = hostile["site"].hits("/busy")

    assert second.at - first.at >= 1.0
    assert [r.status for r in rows_for(hostile, "/busy")] == [429, 200]


def test_redirects_into_private_networks_never_reach_their_target(hostile):
    target = hostile["target"]

    assert target.seen == []
    hops = [
        r for r in hostile["log"] if r.url.startswith((target.url("/"), "http://169.254.169.254/"))
    ]
    # One row per refused target, refused before a connection was made.
    assert [(r.status, r.outcome) for r in hops] == [(None, "refused")] * 2
    assert [r.status for r in rows_for(hostile, "/to-loopback")] == [302]


def test_bombs_and_huge_pages_are_cut_at_the_page_cap(stack, hostile):
    cap = stack.max_page_bytes
    for path in ("/bomb", "/huge"):
        assert rows_for(hostile, path)[-1].bytes <= cap + 1
    assert rows_for(hostile, "/br-bomb")[-1].bytes <= cap + 128 * 1024  # one brotli step


def test_dripping_server_is_cut_off_at_the_total_timeout(hostile):
    (row,) = rows_for(hostile, "/drip")

    assert row.status == 200 and "no complete response within 5s" in row.error
    assert len(hostile["site"].hits("/drip")) == 1  # a slow server is not asked again
    # The guard under test is a deadline, so its bound is the assertion (generous for CI).
    assert row.duration_ms < (TOTAL_TIMEOUT + 3) * 1000


def test_pdf_is_skipped_without_reading_it(hostile):
    (row,) = rows_for(hostile, "/report.pdf")

    assert (row.status, row.bytes) == (200, 0) and "application/pdf" in row.error


def test_page_with_a_wrong_charset_is_decoded_as_what_it_is(hostile):
    (record,) = [r for r in hostile["records"] if r["url"].endswith("/wrong-charset")]

    assert record["title"] == "Café owners in Zürich"
    assert "naïve rent rules" in record["text"]


def _write_report(path, site: LocalServer, log: list, summary, elapsed: float) -> None:
    lines = [
        "| case | path | requests | outcome (last row) | status | bytes | time (ms) |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for case_path, case in CASES.items():
        rows = [r for r in log if r.url == site.url(case_path)]
        if not rows:
            lines.append(f"| {case} | {case_path} | 0 | (no row) | | | |")
            continue
        first, last = rows[0], rows[-1]
        end = last.fetched_at.timestamp() * 1000 + (last.duration_ms or 0)
        took = int(end - first.fetched_at.timestamp() * 1000)
        sent = sum(1 for r in rows if r.status is not None)
        lines.append(
            f"| {case} | {case_path} | {sent} | {last.outcome} | {last.status or '-'} "
            f"| {last.bytes or 0} | {took} |"
        )
    lines.append("")
    lines.append(
        f"whole pass: {elapsed:.1f} s, {summary.requests} requests; summary: {summary.summary()}"
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))
