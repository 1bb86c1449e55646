"""The demo's time-out message names what the pipeline did, not only where a log is."""

from __future__ import annotations

from pathlib import Path

from pipeline.jobs.shortfall import Shortfall, explain

LOG = Path("/home/u/.newsflow/logs/enricher.log")


def shortfall(**changes: object) -> Shortfall:
    values: dict = {
        "expected": 27,
        "stored": 0,
        "waited": 180.0,
        "enricher_running": True,
        "lag": 0,
        "dead_letters": 0,
        "enricher_log": LOG,
        "ingest": {"fetched": 27, "new": 27, "published": 27},
    }
    values.update(changes)
    return Shortfall(**values)


def test_an_ingest_that_found_everything_unchanged_is_named_with_the_way_out():
    message = explain(
        shortfall(
            ingest={"fetched": 27, "unchanged": 27, "published": 0},
            resend="`newsflow ingest --force --sources demo.yaml`",
        )
    )

    assert message.startswith("only 0 of 27 articles reached the warehouse after 180s: ")
    assert "ingest published 0 of 27: all unchanged since the last run" in message
    assert "rows deleted from the warehouse?" in message
    assert "`newsflow ingest --force --sources demo.yaml`" in message
    assert str(LOG) not in message


def test_failed_fetches_a_stopped_enricher_its_lag_and_dead_letters_are_named():
    failed = explain(shortfall(ingest={"fetched": 20, "new": 20, "failed": 7, "published": 20}))
    stopped = explain(shortfall(enricher_running=False))
    behind = explain(shortfall(lag=12, stored=15))
    dead = explain(shortfall(dead_letters=3, stored=24))

    assert "ingest published only 20 (new 20, changed 0, unchanged 0, failed 7)" in failed
    assert (
        "the enricher is not running: start it with `newsflow stack restart enricher`" in (stopped)
        and str(LOG) in stopped
    )
    assert "only 15 of 27" in behind
    assert "the enricher has 12 records of news.articles.cleaned.v1 left to store" in behind
    assert "3 records dead-lettered: `newsflow dlt list`" in dead


def test_with_no_cause_found_the_log_is_where_to_look():
    assert explain(shortfall(stored=26)) == (
        f"only 26 of 27 articles reached the warehouse after 180s: see {LOG}"
    )
