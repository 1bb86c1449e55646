"""A real `newsflow consume` process serves its metrics, and they agree with the warehouse and
the DLT: after N records, some of them poison, its /metrics (scraped over HTTP, parsed with
prometheus_client's parser) counts N consumed, as many stored as the warehouse has rows, as
many dead-lettered as the DLT has letters of its group, no lag on any partition, and a
last-stored time inside the run. A metrics port already taken stops it at start, before it
reads a record, with one line naming NEWSFLOW_METRICS_PORT.

The process runs the stub enricher (NEWSFLOW_ENRICHER=stub): the metrics are under test, not
NER.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.request import urlopen

import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_consume_run import publish, read_topic, start_at_end
from test_delivery_crashes import NEWSFLOW, count, poison_messages, wait_for
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    empty_db_fixture,
    engine_fixture,
    fresh_db_fixture,
    make_cleaned,
)

from pipeline.config import CLEANED_TOPIC, DLT_TOPIC
from pipeline.records import encode, headers_for
from pipeline.stack.manager import settings_env
from pipeline.warehouse.db import load_offsets

pytestmark = pytest.mark.integration

N_GOOD = 300
P = "newsflow_enricher_"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Sample name → [(labels, value)] from the process's /metrics."""
    with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:  # noqa: S310
        text = answer.read().decode()
    samples: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name].append((sample.labels, sample.value))
    return samples


def value(samples: dict, name: str) -> float | None:
    found = samples.get(name, [])
    return found[0][1] if found else None


def dlt_letters(stack, group: str) -> int:
    _, dlt = read_topic(stack, DLT_TOPIC)
    return sum(dict(r.headers).get("consumer.group") == group.encode() for r in dlt)


def test_the_enricher_metrics_agree_with_the_warehouse_and_the_dlt(
    stack, fresh_db, engine, tmp_path
):
    run = uuid.uuid4().hex[:8]
    source, group = f"metrics-{run}", f"metrics-{run}"
    good = [
        (a.article_id.encode(), encode(a), headers_for(a))
        for a in (make_cleaned(n, run=run, source_id=source) for n in range(N_GOOD))
    ]
    poison = poison_messages(run)
    messages = list(good)
    for i, message in enumerate(poison):
        messages.insert((i * len(messages)) // len(poison) + i, message)
    start_at_end(stack, engine, group)
    port = free_port()
    settings = fresh_db.model_copy(update={"enricher": "stub", "metrics_port": port})
    env = {**os.environ, **settings_env(settings), "PYTHONUNBUFFERED": "1"}
    log_path = tmp_path / "consume.log"
    began = time.time()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [NEWSFLOW, "consume", "--group", group], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for(lambda: "consuming" in log_path.read_text(errors="replace"), "the consumer", 90)
        publish(stack, messages)

        def stored_rows() -> int:
            return count(engine, "SELECT count(*) FROM articles WHERE source_id = :s", s=source)

        wait_for(lambda: stored_rows() == N_GOOD, f"{N_GOOD} articles in the warehouse", 180)
        wait_for(lambda: dlt_letters(stack, group) == len(poison), "the dead letters", 90)

        def settled() -> bool:
            samples = scrape(port)
            lags = [v for _, v in samples.get(P + "consumer_lag", [])]
            return value(samples, P + "records_consumed_total") == len(messages) and (
                len(lags) == stack.topic_partitions and not any(lags)
            )

        wait_for(settled, "the metrics to count every record with no lag", 60)
        ended = time.time()
        samples = scrape(port)
        assert proc.poll() is None, log_path.read_text(errors="replace")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)

    assert code == 0, log_path.read_text(errors="replace")
    assert value(samples, P + "records_consumed_total") == len(messages)
    assert value(samples, P + "records_stored_total") == stored_rows() == N_GOOD
    dead = {labels["cause"]: v for labels, v in samples[P + "dead_lettered_total"]}
    assert sum(dead.values()) == dlt_letters(stack, group) == len(poison)
    # Bounded causes: class names of the errors underneath, never a record's key or text.
    assert set(dead) <= {"JSONDecodeError", "ValidationError", "PoisonRecord"}, dead
    assert dead["JSONDecodeError"] == 17  # the truncated JSON of poison_messages, 1 in 3
    lags = {(labels["topic"], labels["partition"]): v for labels, v in samples[P + "consumer_lag"]}
    assert lags == {(CLEANED_TOPIC, str(p)): 0 for p in range(stack.topic_partitions)}
    last = value(samples, P + "last_stored_timestamp_seconds")
    assert last is not None and began <= last <= ended
    assert value(samples, P + "ner_seconds_count") == N_GOOD  # the records that decoded
    assert value(samples, P + "store_batch_seconds_count") >= 1
    assert value(samples, P + "near_duplicates_total") == 0
    assert value(samples, "process_start_time_seconds") is not None


def test_a_taken_metrics_port_stops_the_enricher_before_it_reads_a_record(
    stack, fresh_db, engine, tmp_path
):
    run = uuid.uuid4().hex[:8]
    group = f"metrics-taken-{run}"
    offsets = start_at_end(stack, engine, group)
    publish(stack, [(b"k", encode(make_cleaned(0, run=run, source_id=group)), [])])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = fresh_db.model_copy(update={"enricher": "stub", "metrics_port": port})
        env = {**os.environ, **settings_env(settings)}
        done = subprocess.run(
            [NEWSFLOW, "consume", "--group", group],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(tmp_path),
        )

    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        f"newsflow: error: metrics port {port} is in use by another process: set "
        "NEWSFLOW_METRICS_PORT to a free port (0 turns the metrics server off)"
    ]
    # Nothing read: nothing stored, the group's offsets where the test put them.
    stored = count(engine, "SELECT count(*) FROM articles WHERE source_id = :s", s=group)
    assert stored == 0
    assert load_offsets(engine, group, CLEANED_TOPIC) == {
        partition: offset for (_, partition), offset in offsets.items()
    }
