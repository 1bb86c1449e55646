"""The secured local Kafka (`stack up --secure`): SASL_SSL listeners with SCRAM-SHA-512, the
controller listener on SASL_SSL with PLAIN, PEM key and trust stores, the StandardAuthorizer,
and the ACLs that let the pipeline's user use newsflow's topics and consumer groups only."""

from __future__ import annotations

from typing import Any

from pipeline.config import DLT_REPLAY_GROUP as REPLAY_GROUP
from pipeline.config import Settings
from pipeline.kafka_security import (
    ADMIN_USER,
    CA_FILE,
    PIPELINE_USER,
    STACK_MECHANISM,
    TOPIC_PREFIX,
    client_config,
    secrets_dir,
)
from pipeline.stack.kafka_secrets import BROKER_USER, USERS, broker_files, ensure, password

LISTENER = "SASL_SSL"
CONTROLLER = "CONTROLLER"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"


def _escape(value: str) -> str:
    """A value for a Java properties file: one line, backslashes and newlines escaped."""
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def listener_properties(settings: Settings, node: int, host: str, port: int, ctl: int) -> list[str]:
    """The lines of a node's server.properties that differ from the plaintext stack. They hold
    the node's key and the brokers' password: the file is written 0600."""
    ensure(settings)
    cert, key = broker_files(settings, node)
    broker_pw = password(settings, BROKER_USER)
    scram_jaas = f'{SCRAM_MODULE} required username="{BROKER_USER}" password="{broker_pw}";'
    plain_jaas = (
        f'{PLAIN_MODULE} required username="{BROKER_USER}" password="{broker_pw}" '
        f'user_{BROKER_USER}="{broker_pw}";'
    )
    return [
        f"listeners={LISTENER}://{host}:{port},{CONTROLLER}://{host}:{ctl}",
        f"advertised.listeners={LISTENER}://{host}:{port}",
        f"controller.listener.names={CONTROLLER}",
        f"inter.broker.listener.name={LISTENER}",
        f"listener.security.protocol.map={CONTROLLER}:SASL_SSL,{LISTENER}:SASL_SSL",
        f"sasl.enabled.mechanisms={STACK_MECHANISM}",
        f"sasl.mechanism.inter.broker.protocol={STACK_MECHANISM}",
        "sasl.mechanism.controller.protocol=PLAIN",
        f"listener.name.sasl_ssl.sasl.enabled.mechanisms={STACK_MECHANISM}",
        f"listener.name.sasl_ssl.{STACK_MECHANISM.lower()}.sasl.jaas.config={_escape(scram_jaas)}",
        "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
        f"listener.name.controller.plain.sasl.jaas.config={_escape(plain_jaas)}",
        "ssl.keystore.type=PEM",
        f"ssl.keystore.certificate.chain={_escape(cert.read_text())}",
        f"ssl.keystore.key={_escape(key.read_text())}",
        "ssl.truststore.type=PEM",
        f"ssl.truststore.location={secrets_dir(settings) / CA_FILE}",
        "ssl.endpoint.identification.algorithm=https",
        f"authorizer.class.name={AUTHORIZER}",
        f"super.users=User:{ADMIN_USER};User:{BROKER_USER}",
        "allow.everyone.if.no.acl.found=false",
    ]


def scram_format_args(settings: Settings) -> list[str]:
    """StorageTool format arguments creating the SCRAM users with the storage."""
    args = []
    for user in USERS:
        args += [
            "--add-scram",
            f"{STACK_MECHANISM}=[name={user},password={password(settings, user)}]",
        ]
    return args


def pipeline_acls(settings: Settings) -> list[Any]:
    """The pipeline user's ACLs: read, write and describe newsflow's topics (prefix
    news.articles.), read and describe its consumer groups (the enricher group's prefix, the
    dead-letter replay group)."""
    from kafka.admin import (
        ACL,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        ResourcePattern,
        ResourceType,
    )

    principal = f"User:{PIPELINE_USER}"
    allow = ACLPermissionType.ALLOW
    topics = ResourcePattern(ResourceType.TOPIC, TOPIC_PREFIX, ACLResourcePatternType.PREFIXED)
    groups = [
        ResourcePattern(
            ResourceType.GROUP, settings.consumer_group, ACLResourcePatternType.PREFIXED
        ),
        ResourcePattern(ResourceType.GROUP, REPLAY_GROUP, ACLResourcePatternType.LITERAL),
    ]
    acls = [
        ACL(principal, "*", op, allow, topics)
        for op in (
            ACLOperation.READ,
            ACLOperation.WRITE,
            ACLOperation.DESCRIBE,
            ACLOperation.DESCRIBE_CONFIGS,
        )
    ]
    for group in groups:
        acls += [
            ACL(principal, "*", op, allow, group)
            for op in (ACLOperation.READ, ACLOperation.DESCRIBE)
        ]
    return acls


def grant_acls(settings: Settings) -> int:
    """Create the pipeline user's ACLs as the admin user (idempotent: Kafka keeps one copy of
    an ACL created twice); how many were granted."""
    from kafka import KafkaAdminClient

    from pipeline.errors import PrerequisiteError

    acls = pipeline_acls(settings)
    admin = KafkaAdminClient(client_id="newsflow-stack", **client_config(settings, "admin"))
    try:
        result = admin.create_acls(acls)
    finally:
        admin.close()
    failed = result.get("failed") or []
    if failed:
        raise PrerequisiteError(f"creating the pipeline user's Kafka ACLs failed: {failed}")
    return len(acls)
