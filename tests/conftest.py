"""Shared fixtures. Integration tests run against a real stack of their own.

The test stack lives under `.newsflow/test-stack` on ports of its own, so it never touches the
demo's stack. It starts once per session, on first use, and stops at the end unless
NEWSFLOW_TEST_KEEP_STACK=1 (handy when iterating on integration tests).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.config import Settings

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "test-output"


def make_test_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "home": REPO / ".newsflow" / "test-stack",
        "kafka_bootstrap_servers": "127.0.0.1:19092",
        "kafka_controller_port": 19093,
        "pg_port": 55433,
        "airflow_port": 18080,
        "sample_site_port": 18808,
        "topic_partitions": 3,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def stack() -> Settings:
    """Kafka, PostgreSQL and Airflow of the test stack, up; the enricher is left to tests."""
    from pipeline.publish.topics import ensure_topics
    from pipeline.stack.manager import Stack
    from pipeline.warehouse.migrate import upgrade

    settings = make_test_settings()
    manager = Stack(settings, progress=lambda line: print(f"[stack] {line}"))
    manager.up(["postgres", "kafka", "airflow"])
    upgrade(settings)
    ensure_topics(settings)
    yield settings
    if os.environ.get("NEWSFLOW_TEST_KEEP_STACK") != "1":
        manager.down()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT
