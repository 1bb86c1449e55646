"""What one source's run pushes: the agreed names, outcomes from a fixed set, and no success
time from a failed run (so the gateway keeps the last one)."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.jobs.ingest_metrics import OUTCOMES, source_run_registry
from pipeline.jobs.summary import IngestSummary


def _families(summary: IngestSummary, *, failed: bool) -> dict[str, list]:
    registry = source_run_registry(summary, [0.1, 0.2, 3.0], failed=failed, now=1_800_000_000)
    text = generate_latest(registry).decode()
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def test_a_run_pushes_pages_by_outcome_latency_and_its_times():
    summary = IngestSummary("meridian", discovered=5, fetched=4, new=3, unchanged=1, failed=1)
    families = _families(summary, failed=False)
    assert set(families) == {
        "newsflow_ingest_pages",
        "newsflow_ingest_fetch_seconds",
        "newsflow_ingest_last_run_timestamp_seconds",
        "newsflow_ingest_last_success_timestamp_seconds",
        "newsflow_ingest_run_failed",
    }
    pages = {s.labels["outcome"]: s.value for s in families["newsflow_ingest_pages"]}
    assert pages == {
        "discovered": 5,
        "fetched": 4,
        "new": 3,
        "changed": 0,
        "unchanged": 1,
        "refused": 0,
        "failed": 1,
    }
    assert set(pages) == set(OUTCOMES)
    latency = {
        s.name: s.value for s in families["newsflow_ingest_fetch_seconds"] if "le" not in s.labels
    }
    assert latency["newsflow_ingest_fetch_seconds_count"] == 3
    assert [s.value for s in families["newsflow_ingest_run_failed"]] == [0]
    assert [s.value for s in families["newsflow_ingest_last_success_timestamp_seconds"]] == [
        1_800_000_000
    ]
    # Every series is labelled by the source id alone (and the outcome): never a URL.
    for samples in families.values():
        for sample in samples:
            assert sample.labels["source"] == "meridian"
            assert set(sample.labels) <= {"source", "outcome", "le"}


def test_a_failed_run_pushes_no_success_time():
    families = _families(IngestSummary("meridian", failed=3), failed=True)
    assert "newsflow_ingest_last_success_timestamp_seconds" not in families
    assert [s.value for s in families["newsflow_ingest_run_failed"]] == [1]
    assert [s.value for s in families["newsflow_ingest_last_run_timestamp_seconds"]] == [
        1_800_000_000
    ]
