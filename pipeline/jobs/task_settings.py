"""Settings inside Airflow tasks: the Connections `newsflow_kafka` and `newsflow_warehouse`,
when they exist, over the NEWSFLOW_* settings; and every secret they hold, for the masker.

Airflow users keep endpoints and credentials in Connections (and a secrets backend). The
Kafka one is in the extra format of Airflow's Kafka provider (librdkafka's key names), the
warehouse one a `postgres` Connection; newsflow maps both onto its own settings, so the
provider packages are not needed. The DAG files look the Connections up (dags/
newsflow_common.py) and hand their fields here: this module knows no Airflow.

A malformed Connection fails the task at its start with one line naming the Connection and
the key, before any record is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr, ValidationError

from pipeline.config import Settings
from pipeline.errors import ConfigError

KAFKA_CONNECTION = "newsflow_kafka"
WAREHOUSE_CONNECTION = "newsflow_warehouse"

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
# The Kafka provider's extra key (librdkafka's name) → newsflow's setting. The settings other
# than the bootstrap servers are the Kafka client security settings (docs/security.md).
KAFKA_KEYS = {
    "bootstrap.servers": "kafka_bootstrap_servers",
    "security.protocol": "kafka_security_protocol",
    "sasl.mechanism": "kafka_sasl_mechanism",
    "sasl.mechanisms": "kafka_sasl_mechanism",  # librdkafka's own spelling, an alias
    "sasl.username": "kafka_sasl_username",
    "sasl.password": "kafka_sasl_password",
    "ssl.ca.location": "kafka_ssl_cafile",
    "ssl.certificate.location": "kafka_ssl_certfile",
    "ssl.key.location": "kafka_ssl_keyfile",
}
# Security keys of librdkafka that newsflow's Kafka client cannot honour: refused rather than
# ignored, so a Connection never connects with less protection than it asks for.
KAFKA_SECURITY_PREFIXES = ("security.", "sasl.", "ssl.", "ssl_")
# libpq parameters a postgres Connection's extra may carry into the warehouse URL.
PG_PARAMETERS = {
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "sslnegotiation",
    "connect_timeout",
    "application_name",
    "options",
    "target_session_attrs",
    "keepalives",
    "keepalives_idle",
}
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# Keys Airflow's postgres provider reads for its own hooks: not libpq's, ignored here.
PG_PROVIDER_KEYS = {"cursor", "sqlalchemy_scheme", "sqlalchemy_query", "enable_log_db_messages"}


@dataclass(frozen=True)
class ConnectionFields:
    """What newsflow reads of an Airflow Connection; `extra` as stored (a JSON string)."""

    conn_id: str
    conn_type: str | None
    host: str | None = None
    port: int | None = None
    login: str | None = None
    password: str | None = None
    schema: str | None = None
    extra: str | None = None


def _fail(conn: ConnectionFields, what: str) -> ConfigError:
    return ConfigError(f"Airflow Connection {conn.conn_id}: {what}")


def _extra(conn: ConnectionFields) -> dict[str, Any]:
    if not conn.extra:
        return {}
    try:
        extra = json.loads(conn.extra)
    except json.JSONDecodeError as exc:
        raise _fail(conn, f"extra is not JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(extra, dict):
        raise _fail(conn, "extra must be a JSON object of key: value")
    return extra


def _text(conn: ConnectionFields, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(conn, f"extra key {key} must be a non-empty string")
    return value.strip()


def kafka_settings(conn: ConnectionFields) -> dict[str, object]:
    """The Kafka settings a `kafka` Connection gives (its extra in the provider's format)."""
    if (conn.conn_type or "").lower() != "kafka":
        raise _fail(conn, f"conn type is {conn.conn_type!r}; expected 'kafka'")
    extra = _extra(conn)
    found: dict[str, object] = {}
    for key, value in extra.items():
        setting = KAFKA_KEYS.get(key)
        if setting is None:
            if key.startswith(KAFKA_SECURITY_PREFIXES):
                raise _fail(
                    conn,
                    f"extra key {key} is not supported by newsflow (supported: "
                    f"{', '.join(sorted(KAFKA_KEYS))})",
                )
            continue  # the provider's other keys (group.id, client.id, ...): not ours
        text = _text(conn, key, value)
        if setting == "kafka_security_protocol":
            text = text.upper()
            if text not in PROTOCOLS:
                raise _fail(conn, f"extra key {key} is {value!r}; expected one of {PROTOCOLS}")
        elif setting == "kafka_sasl_mechanism":
            text = text.upper()
            if text not in MECHANISMS:
                raise _fail(conn, f"extra key {key} is {value!r}; expected one of {MECHANISMS}")
        found[setting] = SecretStr(text) if setting == "kafka_sasl_password" else text
    if "kafka_bootstrap_servers" not in found:
        raise _fail(conn, "extra key bootstrap.servers is missing (host:port[,host:port...])")
    # The Connection form's login and password fields, when the extra does not give them.
    if conn.login and "kafka_sasl_username" not in found:
        found["kafka_sasl_username"] = conn.login
    if conn.password and "kafka_sasl_password" not in found:
        found["kafka_sasl_password"] = SecretStr(conn.password)
    return found


def warehouse_settings(conn: ConnectionFields, default_db: str) -> dict[str, object]:
    """warehouse_url from a `postgres` Connection (schema is the database, as in Airflow)."""
    from sqlalchemy.engine import URL

    if (conn.conn_type or "").lower() not in ("postgres", "postgresql"):
        raise _fail(conn, f"conn type is {conn.conn_type!r}; expected 'postgres'")
    if not conn.host:
        raise _fail(conn, "host is missing")
    query: dict[str, str] = {}
    for key, value in _extra(conn).items():
        if key in PG_PROVIDER_KEYS:
            continue
        if key not in PG_PARAMETERS:
            raise _fail(
                conn,
                f"extra key {key} is not a libpq parameter newsflow passes on (known: "
                f"{', '.join(sorted(PG_PARAMETERS))})",
            )
        text = str(value) if isinstance(value, int) else _text(conn, key, value)
        if key == "sslmode" and text not in SSLMODES:
            raise _fail(conn, f"extra key sslmode is {value!r}; expected one of {SSLMODES}")
        query[key] = text
    url = URL.create(
        "postgresql+psycopg",
        username=conn.login or None,
        password=conn.password or None,
        host=conn.host,
        port=conn.port or 5432,
        database=conn.schema or default_db,
        query=query,
    )
    return {"warehouse_url": SecretStr(url.render_as_string(hide_password=False))}


def settings_for_task(
    kafka: ConnectionFields | None, warehouse: ConnectionFields | None
) -> Settings:
    """NEWSFLOW_* settings, with what the Connections that exist give over them."""
    base = Settings()
    overrides: dict[str, object] = {}
    origin: dict[str, str] = {}
    if kafka is not None:
        overrides |= kafka_settings(kafka)
        origin |= dict.fromkeys(overrides, kafka.conn_id)
    if warehouse is not None:
        overrides |= warehouse_settings(warehouse, base.warehouse_db)
        origin["warehouse_url"] = warehouse.conn_id
    if not overrides:
        return base
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "?"
        where = origin.get(field)
        prefix = f"Airflow Connection {where}: " if where else ""
        raise ConfigError(f"{prefix}{field}: {error['msg']}") from None


def secret_values(settings: Settings) -> list[str]:
    """Every secret the settings hold, for a log masker: each SecretStr setting (and the
    password inside one that is a URL, as written and decoded), and the embedded server's
    superuser password."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
    superuser = settings.pg_superuser_password()
    if superuser is not None:
        found.append(superuser)
    for value in list(found):
        if "://" in value:
            try:
                password = urlsplit(value).password
            except ValueError:
                password = None
            if password:
                found += [password, unquote(password)]
    return [value for value in dict.fromkeys(found) if value]
