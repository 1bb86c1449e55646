"""`newsflow stack up --secure` on a stack of its own: Kafka on SASL_SSL (SCRAM-SHA-512) with
ACLs. The whole path (sample site → ingest → cleaned topic → `newsflow consume` → warehouse,
a poison record → DLT) works as the pipeline's user; a wrong password, a client without TLS
and credentials, an unknown CA and a topic outside newsflow's prefix are each refused with one
line naming the cause and the setting; no Kafka password reaches a log or the output."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from side_stack import newsflow, side_env, side_settings, stop_side_stack
from sqlalchemy import create_engine, text
from test_warehouse_db import make_cleaned

from devtools.sample_site import SampleSite
from pipeline.config import CLEANED_TOPIC, DLT_TOPIC, Settings
from pipeline.kafka_security import client_config, make_client
from pipeline.publish.producer import PublishError, make_producer, publish_records
from pipeline.stack import kafka_secrets

pytestmark = pytest.mark.integration
OFFSET = 560
OUTSIDE_TOPIC = "other.outside-prefix"


def secure_settings() -> Settings:
    return side_settings("secure", OFFSET, kafka_secure=True, enricher="stub", topic_partitions=3)


class Outputs(list):
    """Every command's stdout and stderr, to look for passwords in."""

    def run(self, env: dict[str, str], *args: str):
        result = newsflow(env, *args)
        self.append(result.stdout + result.stderr)
        return result


@pytest.fixture(scope="module")
def secure() -> Iterator[tuple[Settings, dict[str, str], Outputs]]:
    settings = secure_settings()
    newsflow(side_env(settings), "stack", "down")
    # A fresh stack: the fetcher's memory and the warehouse of an earlier run would make the
    # pages "unchanged", and nothing would go through Kafka.
    shutil.rmtree(settings.home_dir, ignore_errors=True)
    env = side_env(settings)
    outputs = Outputs()
    try:
        up = outputs.run(env, "stack", "up", "postgres", "kafka", "enricher")
        assert up.returncode == 0, up.stdout + up.stderr
        assert "SASL_SSL" in up.stdout, up.stdout
        yield settings, env, outputs
    finally:
        stop_side_stack(env, settings.home_dir)


def _count(settings: Settings, sql: str, **params: object) -> int:
    engine = create_engine(settings.database_url())
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    finally:
        engine.dispose()


def _wait(check, timeout: float = 180) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(1)
    return check()


def _dead_letter_keys(settings: Settings) -> set[bytes]:
    consumer = make_client(KafkaConsumer, settings, enable_auto_commit=False)
    try:
        tps = [TopicPartition(DLT_TOPIC, p) for p in consumer.partitions_for_topic(DLT_TOPIC)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        keys = set()
        while any(consumer.position(tp) < end[tp] for tp in tps):
            for batch in consumer.poll(timeout_ms=3000).values():
                keys |= {m.key for m in batch}
        return keys
    finally:
        consumer.close()


def _error_line(result) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "broker running" not in lines[0] and "broker up" not in lines[0]
    return lines[0]


def test_whole_path_runs_as_the_pipeline_user(secure, tmp_path):
    settings, env, outputs = secure
    assert client_config(settings)["sasl_plain_username"] == "newsflow"
    port = 18808 + 1000 * int(os.environ.get("NEWSFLOW_TEST_STACK_SLOT", "0")) + OFFSET
    with SampleSite(port=port) as site:
        source = f"secure{uuid.uuid4().hex[:6]}"
        sources = site.write_sources_yaml(tmp_path / "sources.yaml", source_id=source)
        ingest = outputs.run(env, "ingest", "--sources", str(sources))
        assert ingest.returncode == 0, ingest.stdout + ingest.stderr
        expected = len(site.article_urls())
    sql = "SELECT count(*) FROM articles WHERE source_id = :s"
    assert expected > 0
    assert _wait(lambda: _count(settings, sql, s=source) >= expected)
    assert _count(settings, sql, s=source) == expected

    poison_key = f"poison-{uuid.uuid4().hex[:8]}".encode()
    producer = make_producer(settings, client_id="test-secure")
    try:
        producer.send(CLEANED_TOPIC, key=poison_key, value=b"{not json").get(timeout=30)
    finally:
        producer.close()
    assert _wait(lambda: poison_key in _dead_letter_keys(settings))
    offsets = _count(
        settings,
        "SELECT count(*) FROM consumer_offsets WHERE group_id = :g AND topic = :t",
        g=settings.consumer_group,
        t=CLEANED_TOPIC,
    )
    assert offsets >= 1


def test_wrong_password_is_refused_with_one_line(secure):
    settings, env, outputs = secure
    ca = kafka_secrets.secrets_dir(settings) / "ca.crt"
    wrong = {
        **env,
        "NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "NEWSFLOW_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "NEWSFLOW_KAFKA_SASL_USERNAME": "newsflow",
        "NEWSFLOW_KAFKA_SASL_PASSWORD": "not-the-password",
        "NEWSFLOW_KAFKA_SSL_CAFILE": str(ca),
    }
    line = _error_line(outputs.run(wrong, "topics"))
    assert "rejected the credentials of user 'newsflow'" in line
    assert "NEWSFLOW_KAFKA_SASL_USERNAME and NEWSFLOW_KAFKA_SASL_PASSWORD" in line


def test_mechanism_the_broker_does_not_offer_is_named(secure):
    settings, env, outputs = secure
    password = (kafka_secrets.secrets_dir(settings) / "newsflow.password").read_text().strip()
    other = {
        **env,
        "NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "NEWSFLOW_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
        "NEWSFLOW_KAFKA_SASL_USERNAME": "newsflow",
        "NEWSFLOW_KAFKA_SASL_PASSWORD": password,
        "NEWSFLOW_KAFKA_SSL_CAFILE": str(kafka_secrets.secrets_dir(settings) / "ca.crt"),
    }
    line = _error_line(outputs.run(other, "topics"))
    assert "does not offer SASL mechanism SCRAM-SHA-256" in line
    assert "check NEWSFLOW_KAFKA_SASL_MECHANISM" in line


def test_client_without_tls_and_credentials_is_refused_with_one_line(secure):
    settings, env, outputs = secure
    plain = {**env, "NEWSFLOW_KAFKA_SECURE": "false"}
    line = _error_line(outputs.run(plain, "topics"))
    assert "is a TLS listener but this client connects without TLS" in line
    assert "NEWSFLOW_KAFKA_SECURITY_PROTOCOL=PLAINTEXT" in line


def test_unknown_ca_is_refused_with_one_line(secure, tmp_path):
    settings, env, outputs = secure
    other_ca = kafka_secrets.ensure(Settings(home=tmp_path, kafka_secure=True))
    password = (kafka_secrets.secrets_dir(settings) / "newsflow.password").read_text().strip()
    strange = {
        **env,
        "NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "NEWSFLOW_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "NEWSFLOW_KAFKA_SASL_USERNAME": "newsflow",
        "NEWSFLOW_KAFKA_SASL_PASSWORD": password,
        "NEWSFLOW_KAFKA_SSL_CAFILE": str(other_ca),
    }
    line = _error_line(outputs.run(strange, "topics"))
    assert "certificate is not signed by a trusted CA" in line
    assert "check NEWSFLOW_KAFKA_SSL_CAFILE" in line


def test_pipeline_user_is_denied_a_topic_outside_the_prefix(secure):
    settings, env, outputs = secure
    admin = make_client(KafkaAdminClient, settings, "admin")
    try:
        admin.create_topics([NewTopic(OUTSIDE_TOPIC, 1, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()
    line = _error_line(outputs.run(env, "tail", OUTSIDE_TOPIC))
    assert f"denied user 'newsflow' the topic {OUTSIDE_TOPIC} (TopicAuthorizationFailed" in line
    # Writing to it is refused by the broker too, not only hidden.
    producer = make_producer(settings, client_id="test-secure-denied")
    try:
        with pytest.raises(PublishError, match="TopicAuthorizationFailed") as info:
            publish_records(
                producer,
                [make_cleaned(1, run=f"denied-{uuid.uuid4().hex[:6]}")],
                topic=OUTSIDE_TOPIC,
                timeout=30,
            )
    finally:
        producer.close()
    assert "Is the broker up" not in str(info.value)
    # The admin user (topic creation, ACLs) may; the pipeline's user may not create topics.
    pipeline_admin = make_client(KafkaAdminClient, settings)
    try:
        with pytest.raises(KafkaError) as refused:
            pipeline_admin.create_topics([NewTopic("news.articles.made-by-pipeline", 1, 1)])
    finally:
        pipeline_admin.close()
    assert "Authorization" in type(refused.value).__name__, repr(refused.value)


def test_kafka_passwords_are_in_no_log_and_no_output(secure):
    settings, env, outputs = secure
    # Run last (file order): every command above has written its logs.
    folder = kafka_secrets.secrets_dir(settings)
    passwords = {
        user: (folder / f"{user}.password").read_text().strip() for user in kafka_secrets.USERS
    }
    assert all(len(p) >= 24 for p in passwords.values())
    logs = [p for p in Path(settings.home_dir, "logs").rglob("*") if p.is_file()]
    assert any(p.name == "kafka.log" for p in logs) and any("enricher" in p.name for p in logs)
    for path in logs:
        content = path.read_bytes()
        for user, password in passwords.items():
            assert password.encode() not in content, f"{user}'s password in {path}"
    assert outputs
    for output in outputs:
        for user, password in passwords.items():
            assert password not in output, f"{user}'s password in a command's output"
