"""Kafka client security in one place: Settings → kafka-python keyword arguments, the start-up
checks of those settings, and one line for a connection the broker or TLS refused.

Every Kafka client newsflow makes (publisher, enricher, dead-letter, admin, tail, stack status,
benchmarks) takes its connection arguments from `client_config`. With `kafka_secure` (the
local stack's SASL_SSL listeners) and no explicit credentials, the clients use the CA and the
SCRAM users the stack generated under NEWSFLOW_HOME/secrets/kafka.

kafka-python reports a refused login, an unknown CA and a plaintext client on a TLS port all
as `KafkaTimeoutError: Unable to bootstrap`; the cause is only in its log records
(`kafka.net.manager`: "Bootstrap connection to … failed: <exception>"). `explained_failures`
captures those records while a client connects, and `explain` turns them into one line naming
the cause and the setting to check.
"""

from __future__ import annotations

import logging
import ssl
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pipeline.config import Settings
from pipeline.errors import ConfigError

# The secured local stack's generated material (pipeline/stack/kafka_secrets.py writes it).
SECRETS_DIR = Path("secrets") / "kafka"
CA_FILE = "ca.crt"
PIPELINE_USER = "newsflow"
ADMIN_USER = "newsflow-admin"
STACK_MECHANISM = "SCRAM-SHA-512"
# The topics the pipeline's user may use on the secured stack (ACLs, prefixed).
TOPIC_PREFIX = "news.articles."

Role = Literal["pipeline", "admin"]
SASL_PROTOCOLS = ("SASL_PLAINTEXT", "SASL_SSL")
TLS_PROTOCOLS = ("SSL", "SASL_SSL")


def secrets_dir(settings: Settings) -> Path:
    return settings.home_dir / SECRETS_DIR


def password_file(settings: Settings, user: str) -> Path:
    return secrets_dir(settings) / f"{user}.password"


def _uses_stack_secrets(settings: Settings) -> bool:
    """The secured local stack's generated CA and users, unless the Kafka security settings
    name something else."""
    return (
        settings.kafka_secure
        and settings.kafka_security_protocol == "PLAINTEXT"
        and settings.kafka_sasl_username is None
    )


def _read_password(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise ConfigError(
            f"{path} does not exist: NEWSFLOW_KAFKA_SECURE is on but the secured stack's "
            "passwords were not generated; run `newsflow stack up --secure` (or set "
            "NEWSFLOW_KAFKA_SASL_USERNAME and NEWSFLOW_KAFKA_SASL_PASSWORD)"
        ) from None


def client_config(settings: Settings, role: Role = "pipeline") -> dict[str, Any]:
    """kafka-python keyword arguments for a client of `settings`' Kafka: bootstrap servers and
    security. `role="admin"`: the secured local stack's admin user (topic creation, ACLs, group
    status); with explicit settings both roles are the same user. The password leaves its
    SecretStr here, in the arguments handed to the client."""
    config: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap_servers}
    if _uses_stack_secrets(settings):
        user = ADMIN_USER if role == "admin" else PIPELINE_USER
        config.update(
            security_protocol="SASL_SSL",
            sasl_mechanism=STACK_MECHANISM,
            sasl_plain_username=user,
            sasl_plain_password=_read_password(password_file(settings, user)),
            ssl_cafile=str(secrets_dir(settings) / CA_FILE),
            ssl_check_hostname=True,
        )
        return config
    protocol = settings.kafka_security_protocol
    config["security_protocol"] = protocol
    if protocol in SASL_PROTOCOLS:
        config["sasl_mechanism"] = settings.kafka_sasl_mechanism
        config["sasl_plain_username"] = settings.kafka_sasl_username
        if settings.kafka_sasl_password is not None:
            config["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    if protocol in TLS_PROTOCOLS:
        config["ssl_check_hostname"] = True
        for key, path in (
            ("ssl_cafile", settings.kafka_ssl_cafile),
            ("ssl_certfile", settings.kafka_ssl_certfile),
            ("ssl_keyfile", settings.kafka_ssl_keyfile),
        ):
            if path is not None:
                config[key] = str(path)
    return config


# -- start-up checks -------------------------------------------------------------------------


def check_settings(settings: Settings) -> None:
    """Raise ConfigError (one line naming the setting) for Kafka security settings that cannot
    work, before any client connects."""
    protocol = settings.kafka_security_protocol
    mechanism = settings.kafka_sasl_mechanism
    if _uses_stack_secrets(settings):
        ca = secrets_dir(settings) / CA_FILE
        if not ca.exists():
            raise ConfigError(
                f"{ca} does not exist: NEWSFLOW_KAFKA_SECURE is on but the secured stack's CA "
                "was not generated; run `newsflow stack up --secure`"
            )
        return
    if mechanism is not None and protocol not in SASL_PROTOCOLS:
        raise ConfigError(
            f"NEWSFLOW_KAFKA_SASL_MECHANISM={mechanism} needs a SASL protocol, but "
            f"NEWSFLOW_KAFKA_SECURITY_PROTOCOL={protocol}: set it to SASL_SSL (or "
            "SASL_PLAINTEXT), or unset the mechanism"
        )
    if protocol in SASL_PROTOCOLS:
        if mechanism is None:
            raise ConfigError(
                f"NEWSFLOW_KAFKA_SECURITY_PROTOCOL={protocol} needs "
                "NEWSFLOW_KAFKA_SASL_MECHANISM (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)"
            )
        missing = [
            name
            for name, value in (
                ("NEWSFLOW_KAFKA_SASL_USERNAME", settings.kafka_sasl_username),
                ("NEWSFLOW_KAFKA_SASL_PASSWORD", settings.kafka_sasl_password),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                f"NEWSFLOW_KAFKA_SASL_MECHANISM={mechanism} needs {' and '.join(missing)}"
            )
    tls = protocol in TLS_PROTOCOLS
    for env, path in (
        ("NEWSFLOW_KAFKA_SSL_CAFILE", settings.kafka_ssl_cafile),
        ("NEWSFLOW_KAFKA_SSL_CERTFILE", settings.kafka_ssl_certfile),
        ("NEWSFLOW_KAFKA_SSL_KEYFILE", settings.kafka_ssl_keyfile),
    ):
        if path is None:
            continue
        if not tls:
            raise ConfigError(
                f"{env} is set but NEWSFLOW_KAFKA_SECURITY_PROTOCOL={protocol} does not use "
                "TLS: set it to SSL or SASL_SSL"
            )
        if not path.is_file():
            raise ConfigError(f"{env}={path}: no such file")
    if (settings.kafka_ssl_certfile is None) != (settings.kafka_ssl_keyfile is None):
        raise ConfigError(
            "NEWSFLOW_KAFKA_SSL_CERTFILE and NEWSFLOW_KAFKA_SSL_KEYFILE go together (the client "
            "certificate and its key for mutual TLS): set both or neither"
        )
    key = settings.kafka_ssl_keyfile
    if key is not None:
        mode = stat.S_IMODE(key.stat().st_mode)
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"NEWSFLOW_KAFKA_SSL_KEYFILE={key} is readable by others (mode {mode:o}): "
                f"`chmod 600 {key}`"
            )


# -- failures --------------------------------------------------------------------------------


class _Capture(logging.Handler):
    """Keeps the exceptions kafka-python's connection code logs (as arguments or exc_info).

    Three refusals arrive as a bare "socket disconnected", told apart by the request that was
    waiting for its answer: a broker that rejects SCRAM credentials may close the connection
    before its SaslAuthenticate error response reaches kafka-python (recorded as rejected
    credentials); one that does not offer the mechanism asked for does the same to its
    SaslHandshake response (recorded as HandshakeRefused); and a TLS listener hangs up on a
    plaintext client's first request, ApiVersions, which any plaintext listener answers
    (recorded as NoAnswerToFirstRequest)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.errors: list[BaseException] = []
        self._pending = ""
        self._lock_errors = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == PARSER_LOGGER:
            # Only the request and response names: the records also carry the SASL bytes.
            template = str(record.msg)
            args = record.args if isinstance(record.args, tuple) else ()
            if "Sending request" in template and args:
                # A class name once _HideSaslExchange has replaced the request.
                request = args[-1] if isinstance(args[-1], str) else type(args[-1]).__name__
                self._pending = request
            elif "Received response" in template:
                self._pending = ""
            return
        found = [a for a in (record.args or ()) if isinstance(a, BaseException)]
        if record.exc_info and record.exc_info[1] is not None:
            found.append(record.exc_info[1])
        if not found:
            return
        from kafka import errors as kerr

        with self._lock_errors:
            if self._pending and any(isinstance(e, kerr.KafkaConnectionError) for e in found):
                if self._pending.startswith("SaslAuthenticate"):
                    found.append(
                        kerr.SaslAuthenticationFailedError(
                            "the broker closed the connection during SASL authentication"
                        )
                    )
                elif self._pending.startswith("SaslHandshake"):
                    found.append(HandshakeRefused())
                elif self._pending.startswith("ApiVersions"):
                    found.append(NoAnswerToFirstRequest())
                self._pending = ""
            self.errors.extend(found)


class HandshakeRefused(Exception):
    """The broker hung up on the SaslHandshake request: it does not offer the mechanism, or
    the listener takes no SASL at all."""


class NoAnswerToFirstRequest(Exception):
    """The broker hung up on the ApiVersions request that opens every connection."""


_INFERRED = (HandshakeRefused, NoAnswerToFirstRequest)
PARSER_LOGGER = "kafka.protocol.parser"
_CAPTURED = ("kafka.net.manager", "kafka.net.connection", "kafka.net.transport")


@contextmanager
def explained_failures(settings: Settings, role: Role = "pipeline") -> Iterator[None]:
    """Around a client's construction: a refused login, TLS failure or authorization error
    becomes ConfigError with one line naming the cause and the setting; anything else goes on
    (a broker that is down stays the caller's "cannot reach Kafka")."""
    capture = _Capture()
    loggers = [logging.getLogger(name) for name in (*_CAPTURED, PARSER_LOGGER)]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(capture)
        # The command-line silences kafka-python; the records must still reach the capture,
        # and no further (the parser's debug records hold the SASL exchange).
        wanted = logging.DEBUG if lg.name == PARSER_LOGGER else logging.WARNING
        if lg.getEffectiveLevel() > wanted:
            lg.setLevel(wanted)
            lg.propagate = False
    try:
        yield
    except Exception as exc:
        line = explain(settings, exc, capture.errors, role)
        if line is None:
            raise
        raise ConfigError(line) from exc
    finally:
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.removeHandler(capture)
            lg.setLevel(level)
            lg.propagate = propagate


def _user(settings: Settings, role: Role) -> str:
    if _uses_stack_secrets(settings):
        return ADMIN_USER if role == "admin" else PIPELINE_USER
    return settings.kafka_sasl_username or "(none)"


def explain(
    settings: Settings,
    exc: BaseException,
    logged: list[BaseException] | None = None,
    role: Role = "pipeline",
) -> str | None:
    """One line for a Kafka failure caused by security settings, or None for any other."""
    from kafka import errors as kerr

    servers = settings.kafka_bootstrap_servers
    # What the broker said before what a hang-up suggests (retries log both kinds).
    causes = sorted([exc, *(logged or [])], key=lambda c: isinstance(c, _INFERRED))
    for first in causes:
        cause: BaseException | None = first
        seen: set[int] = set()
        while cause is not None and id(cause) not in seen:
            seen.add(id(cause))
            line = _explain_one(settings, cause, servers, role, kerr)
            if line is not None:
                return line
            cause = cause.__cause__ or cause.__context__
    return None


def client_config_mechanism(settings: Settings) -> str | None:
    return STACK_MECHANISM if _uses_stack_secrets(settings) else settings.kafka_sasl_mechanism


def client_config_protocol(settings: Settings) -> str:
    return "SASL_SSL" if _uses_stack_secrets(settings) else settings.kafka_security_protocol


def _explain_one(
    settings: Settings, cause: BaseException, servers: str, role: Role, kerr: Any
) -> str | None:
    text = str(cause)
    if isinstance(cause, kerr.UnsupportedSaslMechanismError):
        offered = text.split("Enabled mechanisms:", 1)[1].strip() if "Enabled" in text else ""
        return (
            f"Kafka at {servers} does not offer SASL mechanism "
            f"{client_config_mechanism(settings)}"
            + (f" (it offers {offered})" if offered else "")
            + ": check NEWSFLOW_KAFKA_SASL_MECHANISM"
        )
    if isinstance(cause, HandshakeRefused):
        return (
            f"Kafka at {servers} does not offer SASL mechanism "
            f"{client_config_mechanism(settings)} (it closed the connection on the SASL "
            "handshake; a listener without SASL does the same): check "
            "NEWSFLOW_KAFKA_SASL_MECHANISM and NEWSFLOW_KAFKA_SECURITY_PROTOCOL"
        )
    if isinstance(cause, kerr.SaslAuthenticationFailedError) or "Authentication failed" in text:
        return (
            f"Kafka at {servers} rejected the credentials of user {_user(settings, role)!r}: "
            "check NEWSFLOW_KAFKA_SASL_USERNAME and NEWSFLOW_KAFKA_SASL_PASSWORD"
        )
    if isinstance(cause, ssl.SSLCertVerificationError):
        reason = cause.verify_message or text
        if "mismatch" in reason.lower() or "hostname" in reason.lower():
            return (
                f"TLS to Kafka at {servers} failed: the broker's certificate does not name this "
                f"host ({reason}); check the bootstrap address and NEWSFLOW_KAFKA_SSL_CAFILE"
            )
        return (
            f"TLS to Kafka at {servers} failed: the broker's certificate is not signed by a "
            f"trusted CA ({reason}); check NEWSFLOW_KAFKA_SSL_CAFILE"
        )
    if isinstance(cause, ssl.SSLError):
        if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
            return (
                f"TLS to Kafka at {servers} failed: the port does not speak TLS ({text}); "
                "check NEWSFLOW_KAFKA_SECURITY_PROTOCOL and the bootstrap port"
            )
        return (
            f"TLS to Kafka at {servers} failed ({text}): check NEWSFLOW_KAFKA_SSL_CAFILE, "
            "NEWSFLOW_KAFKA_SSL_CERTFILE and NEWSFLOW_KAFKA_SSL_KEYFILE"
        )
    tls_reply = isinstance(cause, kerr.InvalidReceiveError) and _tls_record(text)
    hung_up = isinstance(cause, NoAnswerToFirstRequest)
    if tls_reply or (hung_up and client_config_protocol(settings) not in TLS_PROTOCOLS):
        return (
            f"Kafka at {servers} is a TLS listener but this client connects without TLS "
            f"(NEWSFLOW_KAFKA_SECURITY_PROTOCOL={client_config_protocol(settings)}): set it to "
            "SASL_SSL or SSL (or NEWSFLOW_KAFKA_SECURE=1 for the secured local stack)"
        )
    if isinstance(cause, kerr.TopicAuthorizationFailedError):
        arg = cause.args[0] if cause.args else ""
        names = ", ".join(sorted(arg)) if isinstance(arg, set | frozenset | list) else str(arg)
        return (
            f"Kafka at {servers} denied user {_user(settings, role)!r} the topic {names} "
            f"(TopicAuthorizationFailed): the user needs ACLs on it (the secured local stack "
            f"grants {TOPIC_PREFIX}* only); check NEWSFLOW_KAFKA_SASL_USERNAME"
        )
    if isinstance(cause, kerr.GroupAuthorizationFailedError):
        return (
            f"Kafka at {servers} denied user {_user(settings, role)!r} the consumer group "
            f"({text}): check NEWSFLOW_CONSUMER_GROUP and the user's group ACLs"
        )
    if isinstance(cause, kerr.ClusterAuthorizationFailedError):
        return (
            f"Kafka at {servers} denied user {_user(settings, role)!r} a cluster operation "
            f"({text}): this needs an admin user; check NEWSFLOW_KAFKA_SASL_USERNAME"
        )
    return None


class _HideSaslExchange(logging.Filter):
    """kafka-python's debug records show every request and the raw bytes sent: with SASL PLAIN
    that is the password. Keep the request's name, never its bytes."""

    def filter(self, record: logging.LogRecord) -> bool:
        template = str(record.msg)
        if template.endswith(("Send: %r", "Recv: %r")):
            return False
        if isinstance(record.args, tuple) and any(
            type(a).__name__.startswith("Sasl") for a in record.args
        ):
            record.args = tuple(
                type(a).__name__ if type(a).__name__.startswith("Sasl") else a for a in record.args
            )
        return True


_HIDE = _HideSaslExchange()


def hide_sasl_exchange() -> None:
    """Install the filter on the loggers that print requests (once per process)."""
    for name in (PARSER_LOGGER, "kafka.net.connection"):
        logger = logging.getLogger(name)
        if _HIDE not in logger.filters:
            logger.addFilter(_HIDE)


def make_client(cls: Any, settings: Settings, role: Role = "pipeline", **config: Any) -> Any:
    """`cls` (KafkaProducer, KafkaConsumer, KafkaAdminClient) connected with the settings'
    security: checked first, and a refused connection explained in one line."""
    check_settings(settings)
    hide_sasl_exchange()
    with explained_failures(settings, role):
        return cls(**{**client_config(settings, role), **config})


def _tls_record(text: str) -> bool:
    """kafka-python read a TLS record header (alert 0x15 or handshake 0x16, version 3.x) as the
    4-byte length of a Kafka response: "Invalid frame length: 352518912" is 0x15030300."""
    try:
        length = int(text.rsplit(":", 1)[1].strip())
    except (IndexError, ValueError):
        return False
    return (length >> 24) in (0x15, 0x16) and (length >> 16) & 0xFF == 0x03


def denied_topic(settings: Settings, topic: str) -> None:
    """Raise ConfigError when Kafka refuses to describe `topic` to this user
    (TOPIC_AUTHORIZATION_FAILED): kafka-python's consumer reports such a topic as one with no
    partitions. Kafka gives the same answer for a topic that does not exist, so as not to
    reveal it."""
    from kafka import KafkaAdminClient
    from kafka.errors import TopicAuthorizationFailedError

    admin = make_client(KafkaAdminClient, settings, client_id="newsflow-describe")
    try:
        (described,) = admin.describe_topics([topic])
    finally:
        admin.close()
    if described.get("error_code") == TopicAuthorizationFailedError.errno:
        line = explain(settings, TopicAuthorizationFailedError(topic)) or topic
        raise ConfigError(
            line.replace(
                " (TopicAuthorizationFailed)", " (TopicAuthorizationFailed, or no such topic)"
            )
        )
