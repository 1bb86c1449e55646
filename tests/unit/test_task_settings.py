"""Inside Airflow tasks the Connections newsflow_kafka and newsflow_warehouse win over the
NEWSFLOW_* settings; a malformed one is one line naming it and the key; every secret of the
settings reaches Airflow's secret masker."""

from __future__ import annotations

import json
import sys
import typing

import pytest
from pydantic import SecretStr
from sqlalchemy import make_url

from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.jobs.task_settings import (
    ConnectionFields,
    kafka_settings,
    secret_values,
    settings_for_task,
    warehouse_settings,
)


def kafka(extra: object, conn_type: str = "kafka", **fields: object) -> ConnectionFields:
    text = extra if isinstance(extra, str) else json.dumps(extra)
    return ConnectionFields("newsflow_kafka", conn_type, extra=text, **fields)  # type: ignore[arg-type]


def warehouse(extra: object = None, conn_type: str = "postgres", **fields: object):
    values: dict[str, object] = {
        "host": "db.example.net",
        "port": 6432,
        "login": "pipeline",
        "password": "p@ss/word:1",
        "schema": "news",
    }
    values.update(fields)
    text = None if extra is None else json.dumps(extra)
    return ConnectionFields("newsflow_warehouse", conn_type, extra=text, **values)  # type: ignore[arg-type]


def test_the_kafka_providers_extra_maps_onto_the_kafka_settings():
    found = kafka_settings(
        kafka(
            {
                "bootstrap.servers": "k1.example.net:9096,k2.example.net:9096",
                "security.protocol": "sasl_ssl",
                "sasl.mechanism": "SCRAM-SHA-512",
                "sasl.username": "newsflow",
                "sasl.password": "kafka-secret",
                "ssl.ca.location": "/etc/kafka/ca.pem",
                "ssl.certificate.location": "/etc/kafka/client.pem",
                "ssl.key.location": "/etc/kafka/client.key",
                "group.id": "someone-elses",  # the provider's, not a security key: not ours
            }
        )
    )
    password = found.pop("kafka_sasl_password")
    assert isinstance(password, SecretStr) and password.get_secret_value() == "kafka-secret"
    assert found == {
        "kafka_bootstrap_servers": "k1.example.net:9096,k2.example.net:9096",
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username": "newsflow",
        "kafka_ssl_cafile": "/etc/kafka/ca.pem",
        "kafka_ssl_certfile": "/etc/kafka/client.pem",
        "kafka_ssl_keyfile": "/etc/kafka/client.key",
    }


def test_the_kafka_connections_login_and_password_fields_serve_as_sasl_user():
    found = kafka_settings(kafka({"bootstrap.servers": "k:9092"}, login="u", password="pw"))
    assert found["kafka_sasl_username"] == "u"
    assert typing.cast(SecretStr, found["kafka_sasl_password"]).get_secret_value() == "pw"


@pytest.mark.parametrize(
    ("conn", "named"),
    [
        (kafka("{bootstrap.servers: k:9092}"), "extra is not JSON"),
        (kafka(["bootstrap.servers"]), "extra must be a JSON object"),
        (kafka({"bootstrap.servers": "k:9092", "security.protocol": "TLS"}), "security.protocol"),
        (kafka({"bootstrap.servers": "k:9092", "sasl.mechanism": "GSSAPI"}), "sasl.mechanism"),
        (kafka({"bootstrap.servers": "k:9092", "ssl.key.password": "x"}), "ssl.key.password"),
        (kafka({"bootstrap.servers": 9092}), "bootstrap.servers must be a non-empty string"),
        (kafka({"security.protocol": "SSL"}), "bootstrap.servers is missing"),
        (kafka({"bootstrap.servers": "k:9092"}, conn_type="http"), "conn type is 'http'"),
        (warehouse({"sslmode": "always"}), "sslmode"),
        (warehouse({"ssl_mode": "require"}), "ssl_mode"),
        (warehouse(conn_type="mysql"), "conn type is 'mysql'"),
        (warehouse(host=""), "host is missing"),
    ],
)
def test_a_malformed_connection_is_one_line_naming_it_and_the_key(conn, named):
    with pytest.raises(ConfigError) as raised:
        if conn.conn_id == "newsflow_kafka":
            settings_for_task(conn, None)
        else:
            settings_for_task(None, conn)
    message = str(raised.value)
    assert message.startswith(f"Airflow Connection {conn.conn_id}: ")
    assert named in message and "\n" not in message


def test_the_warehouse_connection_becomes_the_warehouse_url():
    found = warehouse_settings(
        warehouse({"sslmode": "verify-full", "sslrootcert": "/etc/pg/ca.pem", "cursor": "dict"}),
        "newsflow",
    )
    url = make_url(typing.cast(SecretStr, found["warehouse_url"]).get_secret_value())
    assert (url.drivername, url.username, url.password) == (
        "postgresql+psycopg",
        "pipeline",
        "p@ss/word:1",
    )
    assert (url.host, url.port, url.database) == ("db.example.net", 6432, "news")
    assert dict(url.query) == {"sslmode": "verify-full", "sslrootcert": "/etc/pg/ca.pem"}


def test_connections_win_over_the_settings_and_their_absence_changes_nothing(monkeypatch):
    monkeypatch.setenv("NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    monkeypatch.setenv("NEWSFLOW_WAREHOUSE_URL", "postgresql+psycopg://x:y@127.0.0.1:2/none")
    assert settings_for_task(None, None) == Settings()
    settings = settings_for_task(kafka({"bootstrap.servers": "k.example.net:9092"}), warehouse())
    assert settings.kafka_bootstrap_servers == "k.example.net:9092"
    assert make_url(settings.database_url()).host == "db.example.net"


def test_every_secret_setting_is_a_secret_for_the_masker(tmp_path):
    secret_fields = [
        name
        for name, field in Settings.model_fields.items()
        if SecretStr in typing.get_args(field.annotation) or field.annotation is SecretStr
    ]
    assert {"warehouse_url", "pg_password", "reader_password"} <= set(secret_fields)
    values = {name: SecretStr(f"secret-of-{name}") for name in secret_fields}
    values["warehouse_url"] = SecretStr("postgresql+psycopg://u:p%40ss-in-url@h/db")
    found = secret_values(Settings(home=tmp_path, **values))  # type: ignore[arg-type]
    for value in values.values():
        assert value.get_secret_value() in found
    assert {"p%40ss-in-url", "p@ss-in-url"} <= set(found)
    # The embedded server's generated password, when no setting gives one:
    generated = Settings(home=tmp_path)
    generated.pg_password_file.parent.mkdir()
    generated.pg_password_file.write_text("generated-superuser-password")
    assert "generated-superuser-password" in secret_values(generated)


def test_task_settings_register_every_secret_with_airflows_masker(monkeypatch, tmp_path):
    from airflow.sdk import Connection
    from airflow.sdk._shared.secrets_masker.secrets_masker import redact
    from airflow.sdk.exceptions import AirflowNotFoundException

    monkeypatch.syspath_prepend("dags")
    sys.modules.pop("newsflow_common", None)
    import newsflow_common

    def missing(conn_id: str) -> None:
        raise AirflowNotFoundException(f"The conn_id `{conn_id}` isn't defined")

    monkeypatch.setattr(Connection, "get", classmethod(lambda cls, conn_id: missing(conn_id)))
    monkeypatch.setenv("NEWSFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("NEWSFLOW_READER_PASSWORD", "reader-secret-2b7c")
    monkeypatch.setenv("NEWSFLOW_PG_PASSWORD", "superuser-secret-9f1e")
    settings = newsflow_common.task_settings()
    assert settings.reader_password is not None  # no Connection: the settings
    line = "reader-secret-2b7c and superuser-secret-9f1e"
    assert redact(line) == "*** and ***"


def test_the_connections_in_docs_airflow_md_map_onto_the_settings():
    import re
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "airflow.md"
    block = doc.read_text().split("<!-- airflow-connections -->", 1)[1].split("```sh\n", 1)[1]
    block = block.split("```", 1)[0]
    found = dict(re.findall(r"export (AIRFLOW_CONN_\w+)='(.*?)'", block, re.S))
    assert set(found) == {"AIRFLOW_CONN_NEWSFLOW_KAFKA", "AIRFLOW_CONN_NEWSFLOW_WAREHOUSE"}
    conns = {}
    for name, text in found.items():
        value = json.loads(text)
        conn_id = name.removeprefix("AIRFLOW_CONN_").lower()
        extra = value.pop("extra", None)
        conns[conn_id] = ConnectionFields(
            conn_id, extra=None if extra is None else json.dumps(extra), **value
        )
    kafka_found = kafka_settings(conns["newsflow_kafka"])
    assert kafka_found["kafka_security_protocol"] == "SASL_SSL"
    assert kafka_found["kafka_sasl_mechanism"] == "SCRAM-SHA-512"
    url = make_url(
        typing.cast(
            SecretStr, warehouse_settings(conns["newsflow_warehouse"], "x")["warehouse_url"]
        ).get_secret_value()
    )
    assert url.host == "warehouse.db.example.net" and url.query["sslmode"] == "verify-full"


def test_a_task_with_a_malformed_connection_fails_at_once_naming_it(monkeypatch, tmp_path):
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException

    monkeypatch.syspath_prepend("dags")
    sys.modules.pop("newsflow_common", None)
    import newsflow_common

    def lookup(conn_id: str) -> Connection:
        if conn_id != "newsflow_kafka":
            raise AirflowNotFoundException(conn_id)
        return Connection(conn_id=conn_id, conn_type="kafka", extra='{"bootstrap.servers": ')

    monkeypatch.setattr(Connection, "get", classmethod(lambda cls, conn_id: lookup(conn_id)))
    monkeypatch.setenv("NEWSFLOW_HOME", str(tmp_path))
    with pytest.raises(AirflowFailException) as raised:
        newsflow_common.task_settings()
    assert str(raised.value).startswith("Airflow Connection newsflow_kafka: extra is not JSON")
