"""The pure parts of what the DAGs call: backfill periods, run summaries, when a source has
failed, health reports."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.errors import ConfigError, TransientError
from pipeline.jobs import (
    IngestSummary,
    SourceHealth,
    UnhealthySources,
    health_table,
    publication_window,
    run_totals,
    summary_table,
)


def test_a_backfill_period_includes_both_days_in_utc():
    assert publication_window("2026-10-10", "2026-10-12") == (
        datetime(2026, 10, 10, tzinfo=UTC),
        datetime(2026, 10, 13, tzinfo=UTC),
    )
    assert publication_window(date(2026, 10, 10), date(2026, 10, 10))[1] == datetime(
        2026, 10, 11, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "since, until, message",
    [
        ("2026-10-12", "2026-10-10", "after until"),
        ("10/10/2026", "2026-10-12", "YYYY-MM-DD"),
        (None, "2026-10-12", "YYYY-MM-DD"),
    ],
)
def test_a_bad_backfill_period_is_a_clear_error(since, until, message):
    with pytest.raises(ConfigError, match=message):
        publication_window(since, until)


SUMMARIES = [
    {
        "source_id": "a",
        "discovered": 3,
        "new": 2,
        "unchanged": 1,
        "published": 2,
        "dry": False,
        "errors": ["x"],
    },
    {
        "source_id": "b",
        "discovered": 1,
        "new": 0,
        "unchanged": 1,
        "published": 0,
        "dry": False,
        "errors": [],
    },
]


def test_run_totals_add_up_every_count_and_ignore_the_rest():
    assert run_totals(SUMMARIES) == {"discovered": 4, "new": 2, "unchanged": 2, "published": 2}


def test_summary_table_has_a_row_per_source_and_a_total_in_the_summary_order():
    key_sorted = [dict(sorted(s.items())) for s in SUMMARIES]  # as XCom gives them back
    lines = summary_table(key_sorted).splitlines()
    assert lines[0].split() == ["source", "discovered", "new", "unchanged", "published"]
    assert lines[2].split() == ["a", "3", "2", "1", "2"]
    assert lines[-1].split() == ["(total)", "4", "2", "2", "2"]


def _health(source_id: str, status: str, reasons: list[str]) -> SourceHealth:
    return SourceHealth(
        source_id,
        date(2026, 11, 28),
        10,
        4,
        1,
        0,
        0,
        0.0,
        0.25,
        0.5,
        120.0,
        300.0,
        0.4,
        status,
        reasons,
    )


def test_health_table_shows_shares_as_percentages_and_the_reasons():
    table = health_table([_health("meridian", "red", ["median body 40% of its 14-day median"])])
    row = table.splitlines()[2]
    assert row.split()[:10] == [
        "meridian",
        "2026-11-28",
        "10",
        "4",
        "1",
        "0",
        "0",
        "0%",
        "25%",
        "50%",
    ]
    assert "red" in row and row.endswith("median body 40% of its 14-day median")


def test_unhealthy_sources_name_each_red_source_with_its_reasons():
    error = UnhealthySources([_health("a", "red", ["r1", "r2"]), _health("b", "red", ["r3"])])
    assert str(error) == "unhealthy sources: a on 2026-11-28: r1, r2; b on 2026-11-28: r3"


def test_a_source_whose_every_fetch_failed_is_a_transient_failure():
    summary = IngestSummary("down", discovered=5, failed=5, errors=["a", "b", "c", "d"])
    with pytest.raises(TransientError, match=r"down: every fetch failed: \['a', 'b', 'c'\]"):
        summary.raise_if_every_fetch_failed()


@pytest.mark.parametrize(
    "counts",
    [
        {"discovered": 5, "skipped_robots": 5},  # robots.txt disallows every page
        {"discovered": 5, "deferred": 5},  # the host asks for a longer delay than a run waits
        {"discovered": 5, "fetched": 5, "unchanged": 5, "not_modified": 5},  # 304 everywhere
        {"discovered": 5, "fetched": 1, "failed": 4},  # some pages came
        {},  # nothing to fetch
    ],
)
def test_a_source_that_fetched_something_or_was_never_asked_has_not_failed(counts):
    IngestSummary("fine", **counts).raise_if_every_fetch_failed()


def test_the_summary_line_is_short_and_names_the_main_counts():
    summary = IngestSummary("meridian", discovered=27, fetched=27, new=27, published=27)
    assert summary.line() == (
        "source meridian: 27 discovered, 27 fetched, 27 new, 0 changed, "
        "0 unchanged, 27 published, 0 failed"
    )
    assert len(summary.line()) < 100


def test_the_summary_line_adds_the_other_counts_that_are_not_zero():
    summary = IngestSummary(
        "m", discovered=9, fetched=5, unchanged=5, refused=1, skipped_robots=2, deferred=1
    )
    assert summary.line() == (
        "source m: 9 discovered, 5 fetched, 0 new, 0 changed, "
        "5 unchanged, 0 published, 0 failed, 1 refused, 1 deferred, "
        "2 disallowed by robots.txt"
    )


def test_a_run_reports_the_summary_line_first_then_each_error():
    summary = IngestSummary("m", discovered=12, failed=12, errors=[f"e{i}" for i in range(12)])
    lines = summary.report_lines(most=10)
    assert lines[0] == summary.line()
    assert lines[1:11] == [f"m: e{i}" for i in range(10)]
    assert lines[11:] == ["m: 2 more errors"]
    assert IngestSummary("quiet").report_lines() == [IngestSummary("quiet").line()]


def test_tasks_keep_the_kafka_clients_warnings_and_drop_its_chatter(caplog):
    import logging

    from pipeline.task_logging import quiet_client_loggers

    kafka, conn = logging.getLogger("kafka"), logging.getLogger("kafka.conn")
    before = kafka.level
    try:
        kafka.setLevel(logging.NOTSET)
        with caplog.at_level(logging.INFO):
            quiet_client_loggers()
            conn.info("<BrokerConnection node_id=bootstrap-0>: connecting to 127.0.0.1:9092")
            conn.warning("<BrokerConnection node_id=1>: connection failed")
            logging.getLogger("pipeline.jobs").info("source m: 1 discovered")
        assert kafka.level == logging.WARNING
        assert conn.getEffectiveLevel() == logging.WARNING
        assert [r.getMessage() for r in caplog.records] == [
            "<BrokerConnection node_id=1>: connection failed",
            "source m: 1 discovered",
        ]
    finally:
        kafka.setLevel(before)


FEED, SITEMAP = "https://meridian.example/rss.xml", "https://meridian.example/news-sitemap.xml"


def _discovery(listed: list[str], errors: list[tuple[str, str]], **counts) -> IngestSummary:
    summary = IngestSummary("meridian", **counts)
    summary.count_discovery(listed, errors)
    return summary


def test_a_source_whose_every_feed_and_sitemap_failed_fails_naming_each_with_its_status():
    summary = _discovery(
        [FEED, SITEMAP],
        [
            (FEED, f"http_404: GET {FEED}: HTTP 404"),
            (SITEMAP, f"connect_error: GET {SITEMAP}: cannot connect: refused"),
        ],
    )
    assert summary.failure() == (
        f"source meridian: every discovery URL failed: {FEED} http_404, {SITEMAP} connect_error"
    )
    with pytest.raises(TransientError, match="source meridian: every discovery URL failed"):
        summary.raise_if_every_fetch_failed()


@pytest.mark.parametrize(
    "message",
    [
        "robots_unavailable: GET x: robots.txt unavailable (http_503)",  # the site is down
        "parse_error: x: not an RSS or Atom feed: no RSS or Atom root element",  # not a feed now
        "too_large: x: Content-Length 99999999 exceeds the limit",
    ],
)
def test_a_feed_that_gave_nothing_is_a_failed_discovery_url(message):
    assert _discovery([FEED], [(FEED, message)]).failure() is not None


@pytest.mark.parametrize(
    "listed, errors",
    [
        ([FEED, SITEMAP], [(FEED, "http_404: GET x: HTTP 404")]),  # the sitemap answered
        ([FEED], [(FEED, "robots_disallowed: GET x: disallowed by robots.txt")]),
        ([FEED], [(FEED, "deferred: GET x: asks for 120s between requests")]),
        ([SITEMAP], [(SITEMAP + "-child", "http_404: GET x: HTTP 404")]),  # the index answered
        ([], []),  # a source with only `urls`: its page fetches decide
    ],
)
def test_a_source_with_a_feed_that_answered_or_that_is_only_quiet_has_not_failed(listed, errors):
    summary = _discovery(listed, errors, discovered=3, fetched=3, unchanged=3, not_modified=3)
    assert summary.failure() is None
    summary.raise_if_every_fetch_failed()


def test_a_source_with_only_urls_fails_when_every_page_fetch_failed():
    summary = IngestSummary(
        "meridian", discovered=2, failed=2, errors=["https://meridian.example/a: GET: HTTP 404"]
    )
    summary.count_discovery([], [])
    assert summary.failure() == (
        "source meridian: every fetch failed: ['https://meridian.example/a: GET: HTTP 404']"
    )
