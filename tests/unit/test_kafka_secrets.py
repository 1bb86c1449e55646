"""The secured local Kafka's generated material and broker configuration."""

from __future__ import annotations

import ipaddress
import stat

from cryptography import x509

from pipeline.config import Settings
from pipeline.stack import kafka_secrets, kafka_secure


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_material_is_private_and_made_once(tmp_path):
    settings = Settings(home=tmp_path, kafka_secure=True, kafka_brokers=3)
    ca = kafka_secrets.ensure(settings)
    folder = ca.parent
    assert _mode(folder) == 0o700 and _mode(folder.parent) == 0o700
    keys = ["ca.key", "broker-1.key", "broker-2.key", "broker-3.key"]
    passwords = [f"{user}.password" for user in kafka_secrets.USERS]
    for name in keys + passwords:
        assert _mode(folder / name) == 0o600, name
    first = (folder / "newsflow.password").read_text()
    assert len(first.strip()) >= 24
    kafka_secrets.ensure(settings)
    assert (folder / "newsflow.password").read_text() == first
    assert (folder / "ca.crt").read_bytes() == ca.read_bytes()


def test_broker_certificate_names_loopback_and_is_signed_by_the_ca(tmp_path):
    settings = Settings(home=tmp_path, kafka_secure=True)
    ca_path = kafka_secrets.ensure(settings)
    cert_path, _ = kafka_secrets.broker_files(settings, 1)
    chain = x509.load_pem_x509_certificates(cert_path.read_bytes())
    ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
    san = chain[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    chain[0].verify_directly_issued_by(ca)
    assert chain[1] == ca


def test_broker_properties_sasl_ssl_with_authorizer(tmp_path):
    settings = Settings(home=tmp_path, kafka_secure=True)
    lines = kafka_secure.listener_properties(settings, 1, "127.0.0.1", 9092, 9093)
    props = dict(line.split("=", 1) for line in lines)
    assert props["listeners"] == "SASL_SSL://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert props["listener.security.protocol.map"] == "CONTROLLER:SASL_SSL,SASL_SSL:SASL_SSL"
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["ssl.keystore.type"] == "PEM"
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["super.users"] == "User:newsflow-admin;User:newsflow-broker"
    # One line per property: the PEM blocks' newlines are escaped.
    assert all("\n" not in line for line in lines)


def test_pipeline_acls_cover_the_prefix_and_groups_only(tmp_path):
    from kafka.admin import ACLOperation, ACLResourcePatternType, ResourceType

    acls = kafka_secure.pipeline_acls(Settings(home=tmp_path, consumer_group="g1"))
    granted = {
        (
            a.resource_pattern.resource_type,
            a.resource_pattern.resource_name,
            a.resource_pattern.pattern_type,
            a.operation,
        )
        for a in acls
    }
    assert {a.principal for a in acls} == {"User:newsflow"}
    topic = (ResourceType.TOPIC, "news.articles.", ACLResourcePatternType.PREFIXED)
    assert (*topic, ACLOperation.WRITE) in granted and (*topic, ACLOperation.READ) in granted
    assert (ResourceType.GROUP, "g1", ACLResourcePatternType.PREFIXED, ACLOperation.READ) in granted
    assert not any(r[0] == ResourceType.CLUSTER for r in granted)
    assert not any(r[3] in (ACLOperation.CREATE, ACLOperation.ALL) for r in granted)
