"""The embedded Kafka broker: KRaft single node, jars resolved by Maven from Maven Central."""

from __future__ import annotations

import shutil
import subprocess
from importlib import resources
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import PrerequisiteError

POM = "kafka-pom.xml"


def _pom_path() -> Path:
    return Path(str(resources.files("pipeline.stack") / POM))


def _kafka_version() -> str:
    text = _pom_path().read_text()
    return text.split("<kafka.version>", 1)[1].split("<", 1)[0]


def jars_dir(settings: Settings) -> Path:
    return settings.home_dir / "jars" / f"kafka-{_kafka_version()}"


def check_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise PrerequisiteError(
            "java not found: install a JDK 17+ (apt-get install openjdk-17-jre-headless)"
        )
    return java


def resolve_jars(settings: Settings) -> Path:
    """Copy the broker's runtime class path into NEWSFLOW_HOME once."""
    target = jars_dir(settings)
    marker = target / ".resolved"
    if marker.exists():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise PrerequisiteError(
            "mvn not found: install Maven (apt-get install maven); it resolves the Kafka jars"
        )
    target.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(_pom_path()),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={target}",
            "-DincludeScope=runtime",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-10:]
        raise PrerequisiteError(
            "Maven could not resolve the Kafka jars (is Maven Central reachable?):\n  "
            + "\n  ".join(tail)
        )
    marker.touch()
    return target


def _properties(settings: Settings) -> str:
    host = "127.0.0.1"
    data = settings.home_dir / "kafka" / "data"
    port, ctl = settings.kafka_port, settings.kafka_controller_port
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@{host}:{ctl}",
            f"listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{ctl}",
            f"advertised.listeners=PLAINTEXT://{host}:{port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            f"log.dirs={data}",
            f"num.partitions={settings.topic_partitions}",
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=false",
            "unclean.leader.election.enable=false",
            "",
        ]
    )


def prepare(settings: Settings) -> Path:
    """Write server.properties and format the storage directory on first use."""
    check_java()
    jars = resolve_jars(settings)
    conf_dir = settings.home_dir / "kafka"
    conf_dir.mkdir(parents=True, exist_ok=True)
    conf = conf_dir / "server.properties"
    conf.write_text(_properties(settings))
    if not (conf_dir / "data" / "meta.properties").exists():
        cp = f"{jars}/*"
        cluster_id = subprocess.run(
            ["java", "-cp", cp, "kafka.tools.StorageTool", "random-uuid"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        result = subprocess.run(
            [
                "java",
                "-cp",
                cp,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(conf),
                "--ignore-formatted",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise PrerequisiteError(f"formatting Kafka storage failed: {result.stderr.strip()}")
    return conf


def command(settings: Settings) -> list[str]:
    log4j = resources.files("pipeline.stack") / "log4j2.properties"
    return [
        "java",
        "-Xms256m",
        "-Xmx1g",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j}",
        "-cp",
        f"{jars_dir(settings)}/*",
        "kafka.Kafka",
        str(settings.home_dir / "kafka" / "server.properties"),
    ]


def ready(settings: Settings) -> bool:
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    from pipeline.stack.process import port_in_use

    if not port_in_use(settings.kafka_port):
        return False  # not listening yet: skip the client's noisy connection errors
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            request_timeout_ms=3000,
            bootstrap_timeout_ms=3000,
        )
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()
