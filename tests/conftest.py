"""Shared fixtures. Integration tests run against a real stack of their own.

The test stack lives under `.newsflow/test-stack` on ports of its own, so it never touches the
demo's stack. It starts once per session, on first use, and stops at the end unless
NEWSFLOW_TEST_KEEP_STACK=1 (handy when iterating on integration tests).
NEWSFLOW_TEST_STACK_SLOT=N (1-9) moves it to `.newsflow/test-stack-N` and other ports, so
several test sessions can run side by side. PostgreSQL's test ports lie above the kernel's
ephemeral port range, where no client connection takes them (the other services' lie below it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.config import Settings

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "test-output"


def make_test_settings(**overrides: object) -> Settings:
    slot = int(os.environ.get("NEWSFLOW_TEST_STACK_SLOT", "0"))
    step = 100 * slot
    values: dict[str, object] = {
        "home": REPO / ".newsflow" / (f"test-stack-{slot}" if slot else "test-stack"),
        "dags_folder": REPO / "dags",
        "kafka_bootstrap_servers": f"127.0.0.1:{19092 + step}",
        "kafka_controller_port": 19093 + step,
        # Above the kernel's ephemeral range (32768-60999 on Linux): no connection's local port
        # can hold it when the stack starts.
        "pg_port": 61433 + slot,
        "airflow_port": 18080 + step,
        "sample_site_port": 18808 + step,
        "metrics_port": 19464 + step,
        "topic_partitions": 3,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def stack_manager():
    """The test stack's manager; whatever the session started is stopped at its end."""
    from pipeline.jobs import local_stack

    manager = local_stack(make_test_settings(), progress=lambda line: print(f"[stack] {line}"))
    yield manager
    if os.environ.get("NEWSFLOW_TEST_KEEP_STACK") != "1":
        manager.down()


@pytest.fixture(scope="session")
def stack(stack_manager) -> Settings:
    """Kafka and PostgreSQL of the test stack, up, migrated, with the topics created."""
    from pipeline.jobs import migrate_warehouse
    from pipeline.publish.topics import ensure_topics

    settings = stack_manager.settings
    stack_manager.up(["postgres", "kafka"])
    migrate_warehouse(settings)
    ensure_topics(settings)
    return settings


@pytest.fixture(scope="session")
def airflow_stack(stack, stack_manager) -> Settings:
    """The test stack with Airflow too (the enricher is left to the tests)."""
    stack_manager.up(["airflow"])
    return stack


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT
