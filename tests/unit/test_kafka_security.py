"""Kafka security settings → kafka-python arguments, the start-up checks, and the one-line
explanations of refused connections."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from kafka import errors as kerr

from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.kafka_security import (
    check_settings,
    client_config,
    explain,
    password_file,
    secrets_dir,
)

SERVERS = "broker.example:9093"


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(home=tmp_path, kafka_bootstrap_servers=SERVERS, **values)


def _pem(tmp_path: Path, name: str, mode: int = 0o600) -> Path:
    path = tmp_path / name
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    path.chmod(mode)
    return path


def test_default_is_plaintext_with_no_security_arguments(tmp_path):
    assert client_config(_settings(tmp_path)) == {
        "bootstrap_servers": SERVERS,
        "security_protocol": "PLAINTEXT",
    }


def test_sasl_ssl_scram_maps_every_setting_and_unwraps_the_password_last(tmp_path):
    ca, cert, key = _pem(tmp_path, "ca.pem"), _pem(tmp_path, "c.pem"), _pem(tmp_path, "k.pem")
    settings = _settings(
        tmp_path,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="svc",
        kafka_sasl_password="s3cret-pw",
        kafka_ssl_cafile=ca,
        kafka_ssl_certfile=cert,
        kafka_ssl_keyfile=key,
    )
    assert "s3cret-pw" not in repr(settings)  # a SecretStr until the client gets it
    assert client_config(settings) == {
        "bootstrap_servers": SERVERS,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "svc",
        "sasl_plain_password": "s3cret-pw",
        "ssl_check_hostname": True,
        "ssl_cafile": str(ca),
        "ssl_certfile": str(cert),
        "ssl_keyfile": str(key),
    }


def test_ssl_without_sasl_has_no_sasl_arguments(tmp_path):
    ca = _pem(tmp_path, "ca.pem")
    config = client_config(_settings(tmp_path, kafka_security_protocol="SSL", kafka_ssl_cafile=ca))
    assert config == {
        "bootstrap_servers": SERVERS,
        "security_protocol": "SSL",
        "ssl_check_hostname": True,
        "ssl_cafile": str(ca),
    }


def test_secure_stack_uses_generated_ca_and_users(tmp_path):
    settings = _settings(tmp_path, kafka_secure=True)
    secrets_dir(settings).mkdir(parents=True)
    password_file(settings, "newsflow").write_text("pipeline-pw\n")
    password_file(settings, "newsflow-admin").write_text("admin-pw\n")
    pipeline = client_config(settings)
    assert pipeline["security_protocol"] == "SASL_SSL"
    assert pipeline["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (pipeline["sasl_plain_username"], pipeline["sasl_plain_password"]) == (
        "newsflow",
        "pipeline-pw",
    )
    assert pipeline["ssl_cafile"] == str(tmp_path / "secrets" / "kafka" / "ca.crt")
    admin = client_config(settings, "admin")
    assert (admin["sasl_plain_username"], admin["sasl_plain_password"]) == (
        "newsflow-admin",
        "admin-pw",
    )


def test_explicit_credentials_win_over_the_secure_stack(tmp_path):
    settings = _settings(
        tmp_path,
        kafka_secure=True,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="mine",
        kafka_sasl_password="pw",
    )
    assert client_config(settings, "admin")["sasl_plain_username"] == "mine"


def test_secure_stack_without_generated_passwords_names_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="stack up --secure"):
        client_config(_settings(tmp_path, kafka_secure=True))


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"kafka_sasl_mechanism": "PLAIN"}, "NEWSFLOW_KAFKA_SASL_MECHANISM=PLAIN needs a SASL"),
        ({"kafka_security_protocol": "SASL_SSL"}, "needs NEWSFLOW_KAFKA_SASL_MECHANISM"),
        (
            {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "SCRAM-SHA-256"},
            "needs NEWSFLOW_KAFKA_SASL_USERNAME and NEWSFLOW_KAFKA_SASL_PASSWORD",
        ),
        (
            {
                "kafka_security_protocol": "SASL_PLAINTEXT",
                "kafka_sasl_mechanism": "PLAIN",
                "kafka_sasl_username": "u",
            },
            "needs NEWSFLOW_KAFKA_SASL_PASSWORD",
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_cafile": Path("/nonexistent/ca.pem")},
            "NEWSFLOW_KAFKA_SSL_CAFILE=/nonexistent/ca.pem: no such file",
        ),
        (
            {"kafka_ssl_cafile": Path("/etc/hostname")},
            "NEWSFLOW_KAFKA_SSL_CAFILE is set but NEWSFLOW_KAFKA_SECURITY_PROTOCOL=PLAINTEXT",
        ),
    ],
    ids=[
        "mechanism-without-sasl",
        "sasl-without-mechanism",
        "no-user-or-password",
        "no-password",
        "missing-ca",
        "ca-without-tls",
    ],
)
def test_start_up_check_names_the_setting(tmp_path, values, named):
    with pytest.raises(ConfigError) as info:
        check_settings(_settings(tmp_path, **values))
    assert named in str(info.value)
    assert "\n" not in str(info.value)


def test_key_readable_by_others_is_refused(tmp_path):
    cert, key = _pem(tmp_path, "c.pem"), _pem(tmp_path, "k.pem", mode=0o640)
    settings = _settings(
        tmp_path, kafka_security_protocol="SSL", kafka_ssl_certfile=cert, kafka_ssl_keyfile=key
    )
    with pytest.raises(ConfigError, match=r"NEWSFLOW_KAFKA_SSL_KEYFILE=.* \(mode 640\).*chmod 600"):
        check_settings(settings)
    key.chmod(0o600)
    check_settings(settings)


def test_certificate_without_key_is_refused(tmp_path):
    settings = _settings(
        tmp_path, kafka_security_protocol="SSL", kafka_ssl_certfile=_pem(tmp_path, "c.pem")
    )
    with pytest.raises(ConfigError, match="go together"):
        check_settings(settings)


def test_valid_settings_pass(tmp_path):
    check_settings(_settings(tmp_path))
    check_settings(
        _settings(
            tmp_path,
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username="u",
            kafka_sasl_password="p",
            kafka_ssl_cafile=_pem(tmp_path, "ca.pem"),
        )
    )


def _sasl(tmp_path: Path) -> Settings:
    return _settings(
        tmp_path,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="svc",
        kafka_sasl_password="pw",
    )


def _verify_error(message: str) -> ssl.SSLCertVerificationError:
    exc = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    exc.verify_message = message
    return exc


BOOTSTRAP = kerr.KafkaTimeoutError(f"Unable to bootstrap from {SERVERS}")


@pytest.mark.parametrize(
    ("logged", "expected"),
    [
        (
            kerr.SaslAuthenticationFailedError("Authentication failed during authentication"),
            "rejected the credentials of user 'svc': check NEWSFLOW_KAFKA_SASL_USERNAME and "
            "NEWSFLOW_KAFKA_SASL_PASSWORD",
        ),
        (
            _verify_error("self-signed certificate in certificate chain"),
            "not signed by a trusted CA (self-signed certificate in certificate chain); check "
            "NEWSFLOW_KAFKA_SSL_CAFILE",
        ),
        (
            _verify_error("Hostname mismatch, certificate is not valid for 'broker.example'."),
            "does not name this host",
        ),
        (
            kerr.InvalidReceiveError("Invalid frame length: 352518912"),
            "is a TLS listener but this client connects without TLS "
            "(NEWSFLOW_KAFKA_SECURITY_PROTOCOL=SASL_SSL)",
        ),
        (kerr.UnsupportedSaslMechanismError(), "does not offer SASL mechanism SCRAM-SHA-512"),
    ],
    ids=["bad-password", "unknown-ca", "hostname", "plaintext-on-tls", "mechanism"],
)
def test_bootstrap_timeout_is_explained_by_the_logged_cause(tmp_path, logged, expected):
    line = explain(_sasl(tmp_path), BOOTSTRAP, [kerr.KafkaConnectionError("x"), logged])
    assert line is not None and expected in line
    assert "broker running" not in line and "broker up" not in line


def test_a_broker_that_is_down_is_not_a_security_failure(tmp_path):
    down = [kerr.KafkaConnectionError("Connection refused"), ConnectionRefusedError(111, "x")]
    assert explain(_sasl(tmp_path), BOOTSTRAP, down) is None
    # A real frame length is not a TLS record.
    assert explain(_sasl(tmp_path), BOOTSTRAP, [kerr.InvalidReceiveError("length: 1000")]) is None


def test_topic_authorization_names_the_topic_and_user(tmp_path):
    line = explain(_sasl(tmp_path), kerr.TopicAuthorizationFailedError({"other.topic"}))
    assert line is not None
    assert "denied user 'svc' the topic other.topic (TopicAuthorizationFailed)" in line


def test_debug_records_never_show_the_sasl_plain_password(caplog):
    import logging

    from kafka.protocol.sasl import SaslAuthenticateRequest

    from pipeline.kafka_security import hide_sasl_exchange

    hide_sasl_exchange()
    secret = b"\x00svc\x00plain-secret-pw"
    parser = logging.getLogger("kafka.protocol.parser")
    connection = logging.getLogger("kafka.net.connection")
    # Each logger's own level too: another test may have quietened the kafka loggers.
    with (
        caplog.at_level(logging.DEBUG),
        caplog.at_level(logging.DEBUG, logger=parser.name),
        caplog.at_level(logging.DEBUG, logger=connection.name),
    ):
        parser.debug("%s Sending request %d %s", "node", 3, SaslAuthenticateRequest(secret))
        parser.debug("%s Send: %r", "node", bytearray(secret))
        connection.debug("%s Request %d: %s", "conn", 3, SaslAuthenticateRequest(secret))
    text = caplog.text
    assert "plain-secret-pw" not in text
    assert "Sending request 3 SaslAuthenticateRequest" in text


@pytest.mark.parametrize(
    ("request_name", "expected"),
    [
        ("ApiVersionsRequest", "is a TLS listener but this client connects without TLS"),
        ("SaslAuthenticateRequest", "rejected the credentials of user 'svc'"),
        ("SaslHandshakeRequest", "does not offer SASL mechanism SCRAM-SHA-512 (it closed"),
    ],
)
def test_hang_up_is_read_from_the_request_left_unanswered(tmp_path, request_name, expected):
    """What kafka-python logs when the broker just closes the connection: the request that
    was waiting says why (seen with Kafka 4.1: a TLS listener hangs up on ApiVersions, a SCRAM
    failure or a mechanism it does not offer may close before the error response arrives)."""
    import logging

    from kafka.protocol.metadata.api_versions import ApiVersionsRequest
    from kafka.protocol.sasl import SaslAuthenticateRequest, SaslHandshakeRequest

    from pipeline.kafka_security import explained_failures, hide_sasl_exchange

    hide_sasl_exchange()  # as make_client does: the filter replaces SASL requests by names
    requests = {
        "ApiVersionsRequest": ApiVersionsRequest(),
        "SaslAuthenticateRequest": SaslAuthenticateRequest(b"x"),
        "SaslHandshakeRequest": SaslHandshakeRequest(mechanism="SCRAM-SHA-512"),
    }
    plaintext = request_name == "ApiVersionsRequest"
    settings = _settings(tmp_path) if plaintext else _sasl(tmp_path)
    parser = logging.getLogger("kafka.protocol.parser")
    manager = logging.getLogger("kafka.net.manager")
    lost = kerr.KafkaConnectionError("socket disconnected")
    with pytest.raises(ConfigError) as info, explained_failures(settings):
        parser.debug("%s Sending request %d %s", "node", 1, requests[request_name])
        manager.warning("Bootstrap connection to %s failed: %s", "bootstrap-0", lost)
        raise BOOTSTRAP
    assert expected in str(info.value)


def test_the_brokers_own_answer_wins_over_a_hang_up(tmp_path):
    """Retries within one bootstrap: one attempt lost the handshake's answer, a later one read
    it with the mechanisms the broker offers."""
    from pipeline.kafka_security import HandshakeRefused

    answer = kerr.UnsupportedSaslMechanismError("Enabled mechanisms: ['SCRAM-SHA-256']")
    line = explain(_sasl(tmp_path), BOOTSTRAP, [HandshakeRefused(), answer])
    assert line is not None and "(it offers ['SCRAM-SHA-256'])" in line


def test_hang_up_after_an_answer_is_not_a_security_failure(tmp_path):
    import logging

    from kafka.protocol.metadata.api_versions import ApiVersionsResponse

    from pipeline.kafka_security import explained_failures

    parser = logging.getLogger("kafka.protocol.parser")
    manager = logging.getLogger("kafka.net.manager")
    lost = kerr.KafkaConnectionError("socket disconnected")
    with pytest.raises(kerr.KafkaTimeoutError), explained_failures(_settings(tmp_path)):
        parser.debug("%s Received response %d %s", "node", 1, ApiVersionsResponse())
        manager.warning("Bootstrap connection to %s failed: %s", "bootstrap-0", lost)
        raise BOOTSTRAP
