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
