"""`newsflow sources list` and `newsflow sources check ID` against the test stack's warehouse."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import yaml
from click.testing import CliRunner
from fetch_support import LocalServer, Reply, fetch_log, forget_site, query

from pipeline.cli import main
from pipeline.config import Settings

pytestmark = pytest.mark.integration

RSS = (
    b'<rss version="2.0"><channel><title>T</title>'
    b"<item><title>One</title><link>news/one</link>"
    b"<pubDate>Tue, 05 May 2026 10:00:00 +0000</pubDate></item>"
    b"<item><title>Two</title><link>/news/two</link></item></channel></rss>"
)
SITEMAP = (
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>/news/two</loc></url><url><loc>/news/three</loc></url></urlset>"
)


@pytest.fixture
def site(stack: Settings) -> Iterator[LocalServer]:
    with LocalServer().running() as server:
        forget_site(stack, server)
        server.route("/robots.txt", Reply(200, b"User-agent: *\nAllow: /\n"))
        server.route("/feed.xml", Reply(200, RSS))
        server.route("/sitemap.xml", Reply(200, SITEMAP))
        yield server


def run_cli(stack: Settings, *args: str):
    env = {
        "NEWSFLOW_PG_PORT": str(stack.pg_port),
        "NEWSFLOW_HOME": str(stack.home),
        "NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
    }
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def sources_file(tmp_path, site: LocalServer, source_id: str, **fields: object) -> str:
    entry = {
        "id": source_id,
        "name": "CLI site",
        "feeds": [site.url("/feed.xml")],
        "sitemaps": [site.url("/sitemap.xml")],
        "min_delay_seconds": 0,
        "allow_private_network": True,
        **fields,
    }
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
    return str(path)


def test_check_reports_what_the_feeds_and_sitemaps_hold_without_fetching_articles(
    stack, site, tmp_path
):
    source_id = f"cli-{uuid.uuid4().hex[:8]}"

    result = run_cli(
        stack, "sources", "check", source_id, "--sources", sources_file(tmp_path, site, source_id)
    )

    assert result.exit_code == 0, result.output
    assert "3 article URLs on the source's hosts:" in result.output
    assert f"{site.url('/news/one')}  (2026-05-05T10:00:00+00:00) One" in result.output
    assert sorted(s.path for s in site.seen) == ["/feed.xml", "/robots.txt", "/sitemap.xml"]
    assert sorted(
        (r.url.rsplit("/", 1)[1], r.status, r.outcome) for r in fetch_log(stack, source_id)
    ) == [("feed.xml", 200, "ok"), ("robots.txt", 200, "ok"), ("sitemap.xml", 200, "ok")]


def test_check_of_a_source_that_offers_nothing_fails_and_says_why(stack, site, tmp_path):
    source_id = f"cli-{uuid.uuid4().hex[:8]}"
    path = sources_file(tmp_path, site, source_id, feeds=[site.url("/missing.xml")], sitemaps=[])

    result = run_cli(stack, "sources", "check", source_id, "--sources", path)

    assert result.exit_code == 1
    assert f"problem: {site.url('/missing.xml')}: http_404: " in result.output
    assert "0 article URLs on the source's hosts" in result.output


def test_list_syncs_every_source_into_the_warehouse(stack, site, tmp_path):
    source_id = f"cli-{uuid.uuid4().hex[:8]}"

    result = run_cli(
        stack,
        "sources",
        "list",
        "--sources",
        sources_file(tmp_path, site, source_id, enabled=False),
    )

    assert result.exit_code == 0, result.output
    assert source_id in result.output and "CLI site" in result.output
    (row,) = query(stack, "SELECT name, enabled FROM sources WHERE source_id = :s", s=source_id)
    assert (row.name, row.enabled) == ("CLI site", False)
