"""One settings object, built once at a process's entry point and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CLEANED_TOPIC = "news.articles.cleaned.v1"
ENRICHED_TOPIC = "news.articles.enriched.v1"
DLT_TOPIC = CLEANED_TOPIC + ".DLT"
# The consumer group of `newsflow dlt replay` (the secured stack grants it to the pipeline).
DLT_REPLAY_GROUP = "newsflow-dlt-replay"


class Settings(BaseSettings):
    """Everything configurable, from `NEWSFLOW_*` environment variables or keyword arguments."""

    model_config = SettingsConfigDict(env_prefix="NEWSFLOW_", frozen=True, extra="ignore")

    home: Path = Field(Path(".newsflow"), description="local state: data, logs, jars")
    sources: Path = Field(Path("sources.yaml"), description="the sources file")
    # The local stack's Airflow reads the DAG files from here: they are deployment files next
    # to the package, not in it (the Dockerfile copies them beside it too).
    dags_folder: Path = Field(Path("dags"), description="the DAG files of the local Airflow")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_controller_port: int = 9093
    # The local stack's Kafka: 1 broker (the default), or a cluster of N KRaft nodes, each
    # broker and controller, node i on kafka_port + 2(i-1) and kafka_controller_port + 2(i-1).
    # With N > 1 the bootstrap servers list every node and topics get min(N, 3) replicas
    # unless those settings are given.
    kafka_brokers: int = Field(1, ge=1, le=9)
    # Kafka client security, used by every client newsflow makes (pipeline/kafka_security.py).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None  # mutual TLS: the client certificate (PEM)
    kafka_ssl_keyfile: Path | None = None  # its key (PEM), not readable by group or others
    # The local stack's Kafka on SASL_SSL (SCRAM-SHA-512) with ACLs; with the settings above
    # unset, clients use its generated CA and users (NEWSFLOW_HOME/secrets/kafka).
    kafka_secure: bool = False
    topic_partitions: int = Field(6, ge=1)
    topic_replication_factor: int = Field(1, ge=1)
    # Unset: min(2, replication factor); with 3 replicas an acknowledged record is on two
    # brokers and writes go on with one broker down.
    topic_min_insync_replicas: int | None = Field(None, ge=1)
    topic_retention_days: float = Field(7.0, gt=0)
    consumer_group: str = "newsflow-enricher"
    # How long the group waits for a consumer that stopped heartbeating (crashed, killed)
    # before giving its partitions to the others; Kafka's default is 45 s.
    consumer_session_timeout_seconds: float = Field(15.0, ge=6, le=1800)
    # "stub" tags capitalized words instead of running spaCy: only for the delivery tests and
    # benchmarks, which are about Kafka and PostgreSQL, never for real data. It comes with the
    # development install (devtools/stub_enricher.py).
    enricher: Literal["spacy", "stub"] = "spacy"
    # `newsflow consume` processes the local stack starts in the consumer group; more than the
    # cleaned topic's partitions leaves the extra ones idle (topic_partitions adds partitions).
    enrichers: int = Field(1, ge=1, le=64)
    # The paths before issue 14, which `newsflow bench e2e --old-paths` compares against:
    # the producers' codec (gzip before zstd) and the consumer's store path (insert: the
    # multi-row INSERTs before COPY). The defaults are what newsflow runs.
    kafka_compression: Literal["zstd", "lz4", "gzip"] = "zstd"
    store_path: Literal["copy", "insert"] = "copy"

    # Prometheus metrics (docs/metrics.md). Each `newsflow consume` serves /metrics on this
    # port, the stack's enricher i on metrics_port + (i-1); 0: no metrics server.
    metrics_port: int = Field(9464, ge=0, le=65535)
    # The address the metrics server binds: loopback by default (secure by default: the local
    # Prometheus scrapes 127.0.0.1); 0.0.0.0 where a Prometheus elsewhere scrapes it (compose).
    metrics_host: str = "127.0.0.1"
    # Where `newsflow ingest` and the DAG's tasks push each source's run (a Prometheus
    # Pushgateway, e.g. http://127.0.0.1:9091); unset: ingestion pushes nothing.
    pushgateway_url: str | None = None

    # Unset means the embedded PostgreSQL of the local stack (see `warehouse_dsn`).
    warehouse_url: SecretStr | None = None
    pg_port: int = 55432
    pg_user: str = "postgres"
    # The embedded server's superuser password; unset: the one the local stack generated in
    # NEWSFLOW_HOME/secrets/pg-superuser.password (`pg_password_file`).
    pg_password: SecretStr | None = None
    warehouse_db: str = "newsflow"
    airflow_db: str = "airflow"

    airflow_port: int = 8080
    # "celery": the local stack runs Airflow's CeleryExecutor with two workers and a Redis
    # broker (Debian's redis-server) on redis_port; "local": the LocalExecutor.
    airflow_executor: Literal["local", "celery"] = "local"
    redis_port: int = 6379
    # Task slots of each of the two Celery workers (the fetch pools bound them further).
    celery_worker_concurrency: int = Field(3, ge=1, le=32)
    # `stack up --metrics`: Prometheus (Debian's prometheus) scraping every enricher and the
    # Pushgateway (Debian's prometheus-pushgateway) that ingestion runs push to; see
    # docs/operations.md.
    metrics: bool = False
    prometheus_port: int = 9090
    pushgateway_port: int = 9091
    # Cron expression or preset for news_ingest; unset means triggered runs only.
    ingest_schedule: str | None = None
    # Password of the analysts' read-only role (`newsflow_reader`); unset: role without login.
    reader_password: SecretStr | None = None
    fetch_log_retention_days: int = Field(90, ge=1)
    # Long commands (ingest, demo, dlt replay, bench, a cold stack up): "auto" draws a live
    # line on a terminal and logs plain lines elsewhere, "log" always logs, "off" shows none.
    progress: Literal["auto", "log", "off"] = "auto"
    # Fixed, so the sample site's canonical URLs (and article ids) are the same on every run.
    sample_site_port: int = 8808
    user_agent_contact: str = "https://github.com/newsflow/newsflow"
    fetch_timeout_seconds: float = 20.0  # the whole exchange of one attempt, body included
    fetch_connect_timeout_seconds: float = 10.0
    fetch_read_timeout_seconds: float = 10.0  # silence between two reads
    max_page_bytes: int = 5 * 1024 * 1024
    max_sitemap_bytes: int = 50 * 1024 * 1024

    @model_validator(mode="before")
    @classmethod
    def _cluster_defaults(cls, data: object) -> object:
        """A local cluster (kafka_brokers > 1): every node in the bootstrap servers when they
        name only the first, and replication that survives one broker down."""
        if not isinstance(data, dict):
            return data
        brokers = int(data.get("kafka_brokers") or 1)
        if brokers < 2:
            return data
        data = dict(data)
        servers = str(data.get("kafka_bootstrap_servers") or "127.0.0.1:9092")
        if "," not in servers:
            host, port = servers.rsplit(":", 1)
            data["kafka_bootstrap_servers"] = ",".join(
                f"{host}:{int(port) + 2 * i}" for i in range(brokers)
            )
        if data.get("topic_replication_factor") is None:
            data["topic_replication_factor"] = min(brokers, 3)
        if data.get("topic_min_insync_replicas") is None and brokers >= 3:
            data["topic_min_insync_replicas"] = 2
        return data

    @property
    def kafka_node_ports(self) -> list[tuple[int, int]]:
        """(broker port, controller port) of each node of the local stack's Kafka, node 1
        first."""
        return [
            (self.kafka_port + 2 * i, self.kafka_controller_port + 2 * i)
            for i in range(self.kafka_brokers)
        ]

    @property
    def home_dir(self) -> Path:
        return self.home.resolve()

    @property
    def kafka_port(self) -> int:
        return int(self.kafka_bootstrap_servers.split(",")[0].rsplit(":", 1)[1])

    @property
    def embedded_warehouse(self) -> bool:
        return self.warehouse_url is None

    @property
    def pg_password_file(self) -> Path:
        return self.home_dir / "secrets" / "pg-superuser.password"

    def pg_superuser_password(self) -> str | None:
        """pg_password, else the generated one; None before the local stack made one."""
        if self.pg_password is not None:
            return self.pg_password.get_secret_value()
        try:
            return self.pg_password_file.read_text().strip() or None
        except FileNotFoundError:
            return None

    def database_url(self, database: str | None = None) -> str:
        """SQLAlchemy URL of the warehouse (or of another database on the embedded server),
        password included: hand it to create_engine, never to a log (an engine's repr hides
        the password)."""
        if self.warehouse_url is not None and database is None:
            return self.warehouse_url.get_secret_value()
        db = database or self.warehouse_db
        password = self.pg_superuser_password()
        user = quote(self.pg_user, safe="")
        login = user if password is None else f"{user}:{quote(password, safe='')}"
        return f"postgresql+psycopg://{login}@127.0.0.1:{self.pg_port}/{db}"

    @property
    def user_agent(self) -> str:
        from pipeline import __version__

        return f"newsflow/{__version__} (+{self.user_agent_contact})"
