"""The embedded Kafka: one KRaft node, or a cluster of N (each node broker and controller),
jars resolved by Maven from Maven Central."""

from __future__ import annotations

import shutil
import subprocess
from collections import deque
from importlib import resources
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import PrerequisiteError
from pipeline.kafka_security import client_config
from pipeline.progress import Meter, NullMeter
from pipeline.stack import kafka_secure

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


def resolve_jars(settings: Settings, meter: Meter | None = None) -> Path:
    """Copy the broker's runtime class path into NEWSFLOW_HOME once. `meter` counts the files
    Maven downloads and the jars it copies (minutes on a first run with an empty ~/.m2)."""
    target = jars_dir(settings)
    marker = target / ".resolved"
    if marker.exists():
        return target
    meter = meter if meter is not None else NullMeter()
    mvn = shutil.which("mvn")
    if mvn is None:
        raise PrerequisiteError(
            "mvn not found: install Maven (apt-get install maven); it resolves the Kafka jars"
        )
    target.mkdir(parents=True, exist_ok=True)
    meter.advance(step="kafka: resolving its jars with Maven (first start)")
    # Not quiet: Maven's line per file downloaded and per jar copied is the progress.
    proc = subprocess.Popen(
        [
            mvn,
            "-B",
            "-Dstyle.color=never",
            "-f",
            str(_pom_path()),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={target}",
            "-DincludeScope=runtime",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    errors: list[str] = []
    tail: deque[str] = deque(maxlen=10)
    copied = 0
    with proc:
        for line in proc.stdout or ():
            line = line.rstrip()
            tail.append(line)
            if line.startswith("[ERROR]"):
                errors.append(line)
            elif line.startswith("Downloaded from ") or " Downloaded from " in line:
                meter.advance(downloaded=1)
            elif line.startswith("[INFO] Copying "):
                copied += 1
                meter.advance(jars=1)
    if proc.returncode != 0:
        shown = errors[:10] or list(tail)
        raise PrerequisiteError(
            "Maven could not resolve the Kafka jars (is Maven Central reachable?):\n  "
            + "\n  ".join(shown)
        )
    marker.touch()
    meter.advance(step=f"kafka: {copied} jars resolved")
    return target


def node_names(settings: Settings) -> list[str]:
    """The stack components of the local Kafka: `kafka` alone, or `kafka-1` ... `kafka-N` for a
    cluster (NEWSFLOW_KAFKA_BROKERS)."""
    if settings.kafka_brokers == 1:
        return ["kafka"]
    return [f"kafka-{i}" for i in range(1, settings.kafka_brokers + 1)]


def node_index(name: str) -> int:
    """1 for `kafka` and `kafka-1`, N for `kafka-N`."""
    return int(name.split("-", 1)[1]) if "-" in name else 1


def node_port(settings: Settings, name: str) -> int:
    return settings.kafka_node_ports[node_index(name) - 1][0]


def _node_dir(settings: Settings, name: str) -> Path:
    return settings.home_dir / name


def _data_dir(settings: Settings, name: str) -> Path:
    """The secured stack keeps its log directory apart: its storage is formatted with the
    SCRAM users, and a plaintext stack's topics are not carried over into it."""
    return _node_dir(settings, name) / ("data-secure" if settings.kafka_secure else "data")


def _properties(settings: Settings, name: str) -> str:
    """Each node is broker and controller (KRaft combined mode); a cluster's nodes form one
    quorum of N voters, so it keeps a controller majority with one node down when N >= 3."""
    host = "127.0.0.1"
    data = _data_dir(settings, name)
    node = node_index(name)
    port, ctl = settings.kafka_node_ports[node - 1]
    voters = ",".join(
        f"{i}@{host}:{c}" for i, (_, c) in enumerate(settings.kafka_node_ports, start=1)
    )
    # Kafka's internal topics (group offsets, transactions) replicated like ours.
    rf = min(settings.kafka_brokers, 3)
    min_isr = min(rf, 2)
    if settings.kafka_secure:
        listeners = kafka_secure.listener_properties(settings, node, host, port, ctl)
    else:
        listeners = [
            f"listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{ctl}",
            f"advertised.listeners=PLAINTEXT://{host}:{port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        ]
    return "\n".join(
        [
            "process.roles=broker,controller",
            f"node.id={node}",
            f"controller.quorum.voters={voters}",
            *listeners,
            f"log.dirs={data}",
            f"num.partitions={settings.topic_partitions}",
            f"default.replication.factor={rf}",
            f"offsets.topic.replication.factor={rf}",
            f"transaction.state.log.replication.factor={rf}",
            f"transaction.state.log.min.isr={min_isr}",
            f"share.coordinator.state.topic.replication.factor={rf}",
            f"share.coordinator.state.topic.min.isr={min_isr}",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=false",
            "unclean.leader.election.enable=false",
            "",
        ]
    )


def _cluster_id(settings: Settings, jars: Path) -> str:
    """One id for every node of the cluster, kept under NEWSFLOW_HOME once made."""
    path = settings.home_dir / "run" / "kafka-cluster-id"
    if settings.kafka_brokers > 1 and path.exists():
        return path.read_text().strip()
    cluster_id = subprocess.run(
        ["java", "-cp", f"{jars}/*", "kafka.tools.StorageTool", "random-uuid"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if settings.kafka_brokers > 1:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(cluster_id + "\n")
    return cluster_id


def prepare(settings: Settings, name: str = "kafka", meter: Meter | None = None) -> Path:
    """Write the node's server.properties and format its storage directory on first use."""
    check_java()
    jars = resolve_jars(settings, meter)
    conf_dir = _node_dir(settings, name)
    conf_dir.mkdir(parents=True, exist_ok=True)
    conf = conf_dir / "server.properties"
    # The secured stack's file holds the broker's key and the brokers' password.
    conf.touch(mode=0o600)
    conf.chmod(0o600 if settings.kafka_secure else 0o644)
    conf.write_text(_properties(settings, name))
    if not (_data_dir(settings, name) / "meta.properties").exists():
        scram = kafka_secure.scram_format_args(settings) if settings.kafka_secure else []
        result = subprocess.run(
            [
                "java",
                "-cp",
                f"{jars}/*",
                "kafka.tools.StorageTool",
                "format",
                "-t",
                _cluster_id(settings, jars),
                "-c",
                str(conf),
                "--ignore-formatted",
                *scram,
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise PrerequisiteError(f"formatting Kafka storage failed: {result.stderr.strip()}")
    return conf


def command(settings: Settings, name: str = "kafka") -> list[str]:
    log4j = resources.files("pipeline.stack") / "log4j2.properties"
    heap = "-Xmx1g" if settings.kafka_brokers == 1 else "-Xmx512m"
    return [
        "java",
        "-Xms256m",
        heap,
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j}",
        "-cp",
        f"{jars_dir(settings)}/*",
        "kafka.Kafka",
        str(_node_dir(settings, name) / "server.properties"),
    ]


def ready(settings: Settings, name: str = "kafka") -> bool:
    """The node answers a metadata request (a cluster's node: once the quorum has a leader)."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    from pipeline.stack.process import port_in_use

    port = node_port(settings, name)
    if not port_in_use(port):
        return False  # not listening yet: skip the client's noisy connection errors
    try:
        config = {**client_config(settings, "admin"), "bootstrap_servers": f"127.0.0.1:{port}"}
        admin = KafkaAdminClient(
            **config,
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


def cluster_size(settings: Settings) -> int:
    """How many brokers the cluster's metadata lists (0 when no node answers)."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        admin = KafkaAdminClient(
            **client_config(settings, "admin"),
            request_timeout_ms=3000,
            bootstrap_timeout_ms=3000,
        )
    except (KafkaError, OSError, ValueError):
        return 0
    try:
        return len(admin.describe_cluster()["brokers"])
    except (KafkaError, OSError):
        return 0
    finally:
        admin.close()
