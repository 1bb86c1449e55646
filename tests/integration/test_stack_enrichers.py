"""`newsflow stack up --enrichers 3` on a real stack of its own (its own NEWSFLOW_HOME and ports):
three `newsflow consume` processes join one consumer group, share the cleaned topic's
partitions, store every record exactly once, and `stack status`, `restart` and `down` handle
all three."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from urllib.request import urlopen

import pytest
from kafka import KafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families
from side_stack import home_processes, newsflow, side_env, side_settings, stop_side_stack
from sqlalchemy import create_engine, text
from test_consume_run import publish
from test_warehouse_db import make_cleaned

from pipeline.config import CLEANED_TOPIC, Settings
from pipeline.records import encode, headers_for

pytestmark = pytest.mark.integration
COMPONENTS = ["postgres", "kafka", "enricher"]
N = 300


def scaled_settings() -> Settings:
    return side_settings(
        "enrichers",
        500,
        enricher="stub",
        topic_partitions=3,
        consumer_session_timeout_seconds=6,
    )


@pytest.fixture(scope="module")
def scaled() -> Iterator[tuple[Settings, dict[str, str]]]:
    settings = scaled_settings()
    home = settings.home_dir
    env = side_env(settings)
    env.pop("NEWSFLOW_ENRICHERS", None)  # the test says how many on the command line
    newsflow(env, "stack", "down")
    try:
        yield settings, env
    finally:
        stop_side_stack(env, home)


def group_assignment(settings: Settings) -> tuple[str, dict[str, list[int]]]:
    """The enricher group's state, and client id → partitions of the cleaned topic for each
    member."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        group = admin.describe_groups([settings.consumer_group])[settings.consumer_group]
    finally:
        admin.close()
    found = {}
    for member in group.get("members", []):
        assignment = member.get("member_assignment") or {}
        partitions = [
            p
            for entry in assignment.get("assigned_partitions", [])
            if entry["topic"] == CLEANED_TOPIC
            for p in entry["partitions"]
        ]
        found[member["client_id"]] = sorted(partitions)
    return str(group.get("group_state")), found


def wait_for_members(settings: Settings, count: int, timeout: float = 120) -> dict[str, list]:
    deadline = time.monotonic() + timeout
    while True:
        state, members = group_assignment(settings)
        shared = sorted(p for parts in members.values() for p in parts)
        whole = shared == list(range(settings.topic_partitions))
        if state == "Stable" and len(members) == count and whole:
            return members
        if time.monotonic() > deadline:
            return members
        time.sleep(1)


def status_rows(env: dict[str, str]) -> dict[str, list[str]]:
    out = newsflow(env, "stack", "status", timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return {line.split()[0]: line.split() for line in out.stdout.splitlines()[2:] if line.strip()}


def stored_total(port: int) -> float:
    """newsflow_enricher_records_stored_total of the enricher serving metrics on `port`."""
    with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:  # noqa: S310
        text = answer.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "newsflow_enricher_records_stored_total":
                return sample.value
    raise AssertionError(f"no records_stored_total on port {port}")


def stored(settings: Settings, source: str) -> tuple[int, int]:
    engine = create_engine(settings.database_url())
    try:
        with engine.connect() as conn:
            return tuple(
                conn.execute(
                    text(
                        "SELECT count(*), count(DISTINCT article_id) FROM article_versions "
                        "WHERE article_id IN (SELECT article_id FROM articles "
                        "WHERE source_id = :s)"
                    ),
                    {"s": source},
                ).one()
            )
    finally:
        engine.dispose()


def test_three_enrichers_share_the_partitions_and_store_each_record_once(scaled):
    settings, env = scaled
    up = newsflow(env, "stack", "up", *COMPONENTS, "--enrichers", "3")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "idle" not in up.stdout, up.stdout  # 3 enrichers, 3 partitions

    rows = status_rows(env)
    names = ["enricher-1", "enricher-2", "enricher-3"]
    assert [name for name in rows if name.startswith("enricher")] == names, rows
    pids = {name: int(rows[name][2]) for name in names}
    assert all(rows[name][1] == "running" for name in names), rows
    for name in names:
        assert rows[name][4] == str(settings.home_dir / "logs" / f"{name}.log"), rows
    # Each serves its metrics on a port of its own: metrics_port + (i - 1).
    ports = {name: settings.metrics_port + i for i, name in enumerate(names)}
    assert {name: rows[name][3] for name in names} == {n: str(p) for n, p in ports.items()}
    running = {pid for pid, cmd in home_processes(settings.home_dir).items() if " consume" in cmd}
    assert running == set(pids.values())

    members = wait_for_members(settings, 3)
    assert len(members) == 3, members
    assert sorted(len(parts) for parts in members.values()) == [1, 1, 1], members
    assert {int(client.rsplit("-pid-", 1)[1]) for client in members} == set(pids.values())
    # All three are the stack's own: no foreign consumer is flagged.
    status = newsflow(env, "stack", "status", timeout=60)
    assert "not started by the stack" not in status.stdout, status.stdout

    run = uuid.uuid4().hex[:8]
    source = f"scale-{run}"
    articles = [make_cleaned(n, run=run, source_id=source) for n in range(N)]
    placed = publish(
        settings, [(a.article_id.encode(), encode(a), headers_for(a)) for a in articles]
    )
    assert {partition for partition, _ in placed} == {0, 1, 2}
    deadline = time.monotonic() + 120
    while stored(settings, source)[0] < N and time.monotonic() < deadline:
        time.sleep(1)
    assert stored(settings, source) == (N, N)
    # Their metrics, scraped from each port, add up to what the warehouse stored.
    # (Counted just after each batch's commit: give the last one a moment.)
    deadline = time.monotonic() + 30
    counted = {name: stored_total(port) for name, port in ports.items()}
    while sum(counted.values()) < N and time.monotonic() < deadline:
        time.sleep(0.5)
        counted = {name: stored_total(port) for name, port in ports.items()}
    assert sum(counted.values()) == N and all(counted.values()), counted

    # `restart enricher` replaces all three; the group is whole again and nothing is stored
    # twice.
    restart = newsflow(env, "stack", "restart", "enricher", "--enrichers", "3")
    assert restart.returncode == 0, restart.stdout + restart.stderr
    new = {name: int(row[2]) for name, row in status_rows(env).items() if name in names}
    assert set(new) == set(names) and not set(new.values()) & set(pids.values()), new
    assert len(wait_for_members(settings, 3)) == 3
    time.sleep(3)
    assert stored(settings, source) == (N, N)

    down = newsflow(env, "stack", "down")
    assert down.returncode == 0, down.stdout + down.stderr
    for name in names:
        assert f"{name}: stopping" in down.stdout, down.stdout
    assert home_processes(settings.home_dir) == {}


def test_more_enrichers_than_partitions_says_the_extra_ones_stay_idle(scaled):
    settings, env = scaled
    up = newsflow(env, "stack", "up", *COMPONENTS, "--enrichers", "4")
    assert up.returncode == 0, up.stdout + up.stderr
    idle = [line for line in up.stdout.splitlines() if "idle" in line]
    assert len(idle) == 1, up.stdout
    assert "4 processes for 3 partitions" in idle[0] and "1 will stay idle" in idle[0]
    assert "NEWSFLOW_TOPIC_PARTITIONS" in idle[0]
    members = wait_for_members(settings, 4)
    assert len(members) == 4, members
    assert sorted(len(parts) for parts in members.values()) == [0, 1, 1, 1], members
    down = newsflow(env, "stack", "down")
    assert down.returncode == 0
    assert home_processes(settings.home_dir) == {}


def test_a_taken_metrics_port_stops_stack_up_naming_the_setting(scaled):
    settings, env = scaled
    port = settings.metrics_port + 1  # enricher-2's
    with socket.socket() as taken:
        # The earlier tests scraped this port: its closed connections may sit in TIME_WAIT.
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", port))
        taken.listen()
        # Without progress lines: stderr holds the error and nothing else.
        quiet = {**env, "NEWSFLOW_PROGRESS": "off"}
        up = newsflow(quiet, "stack", "up", *COMPONENTS, "--enrichers", "2")
    down = newsflow(env, "stack", "down")

    assert up.returncode == 1, up.stdout + up.stderr
    assert up.stderr.splitlines() == [
        f"newsflow: error: port {port} is in use by another process, so enricher-2 cannot "
        "start: stop that process or choose another port with NEWSFLOW_METRICS_PORT"
    ]
    assert down.returncode == 0
    assert home_processes(settings.home_dir) == {}
