"""HTTPS through the guarded network backend, against a real TLS server on 127.0.0.1.

The backend connects by IP number, so these check what that must not cost: the certificate is
still verified against the URL's host name, SNI and the Host header still carry that name, a
certificate that fails is reported as such (tls_error) and not retried, and the network policy
applies to https as it does to http. Certificates are made here: a test CA, leaves for
news.test and other.test signed by it, and a self-signed leaf for news.test.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pipeline.config import Settings
from pipeline.errors import FetchError
from pipeline.fetch.http import HttpClient
from pipeline.fetch.network import NetworkPolicy

NAMES = {"news.test": "127.0.0.1", "other.test": "127.0.0.1", "intranet.test": "10.0.0.1"}
BODY = b"<p>over TLS</p>"


# -- certificates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pem:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Certs:
    ca: bytes  # the CA certificate, PEM
    news: Pem  # news.test, signed by the CA
    other: Pem  # other.test, signed by the CA
    self_signed: Pem  # news.test, signed by its own key


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(folder: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Pem:
    pem = Pem(folder / f"{stem}.crt", folder / f"{stem}.key")
    pem.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pem


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    folder = tmp_path_factory.mktemp("tls")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("newsflow test CA", ca_key, "newsflow test CA", ca_key, ca=True)

    def leaf(stem: str, host: str, self_signed: bool = False) -> Pem:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            _certificate(host, key, host, key, ca=False)
            if self_signed
            else _certificate(host, key, "newsflow test CA", ca_key, ca=False)
        )
        return _write(folder, stem, cert, key)

    return Certs(
        ca=ca.public_bytes(serialization.Encoding.PEM),
        news=leaf("news", "news.test"),
        other=leaf("other", "other.test"),
        self_signed=leaf("self-signed", "news.test", self_signed=True),
    )


def trusting(certs: Certs) -> ssl.SSLContext:
    """A client context that trusts the test CA and nothing else."""
    return ssl.create_default_context(cadata=certs.ca.decode())


# -- the server --------------------------------------------------------------------------------


@dataclass
class Seen:
    connections: int = 0  # TCP connections accepted
    handshakes: list[str | None] = field(default_factory=list)  # SNI of each handshake begun
    hosts: list[str] = field(default_factory=list)  # Host header of each request answered


class TlsServer(ThreadingHTTPServer):
    """Serves BODY over TLS with one certificate, logging connections, SNI and Host headers.

    `hang_up` closes every connection before the handshake instead, as an overloaded or
    restarting server does.
    """

    daemon_threads = True

    def __init__(self, pem: Pem, hang_up: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen = Seen()
        self.hang_up = hang_up
        self.lock = threading.Lock()
        self.port = self.server_address[1]
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(pem.cert, pem.key)
        self.context.sni_callback = self._note_sni

    def _note_sni(self, _socket: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        with self.lock:
            self.seen.handshakes.append(name)

    def finish_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        with self.lock:
            self.seen.connections += 1
        if self.hang_up:
            return  # process_request_thread closes the socket
        request.settimeout(5)  # a stuck client must not keep a thread after the test
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client refused our certificate: what several tests want
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up are expected here; what matters is in `seen`

    @contextmanager
    def running(self) -> Iterator[TlsServer]:
        thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.shutdown()
            self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        server: TlsServer = self.server  # type: ignore[assignment]
        with server.lock:
            server.seen.hosts.append(self.headers.get("Host", ""))
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


# -- the client --------------------------------------------------------------------------------


def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The test names, and IP numbers as themselves, as getaddrinfo answers them."""
    try:
        return [ipaddress.ip_address(NAMES.get(host, host))]
    except ValueError:
        raise FetchError(f"cannot resolve {host}", "dns_error") from None


def client(server: TlsServer, context: ssl.SSLContext | None, *, seam: bool = True) -> HttpClient:
    """A client for public sites only, the test server standing in for one when `seam`."""
    endpoints = frozenset({("127.0.0.1", server.port)}) if seam else frozenset()
    network = NetworkPolicy(public_endpoints=endpoints, resolver=resolve)
    return HttpClient(
        Settings(fetch_timeout_seconds=5),
        network=network,
        backoff_seconds=0.01,
        ssl_context=context,
    )


def fetch_error(http: HttpClient, url: str) -> FetchError:
    with pytest.raises(FetchError) as caught:
        http.get(url)
    return caught.value


# -- the tests ---------------------------------------------------------------------------------


def test_https_page_is_fetched_with_sni_and_host_of_the_url(certs):
    with TlsServer(certs.news).running() as server, client(server, trusting(certs)) as http:
        page = http.get(f"https://news.test:{server.port}/a")

    assert (page.status, page.body) == (200, BODY)
    assert server.seen.handshakes == ["news.test"]
    assert server.seen.hosts == [f"news.test:{server.port}"]


def test_certificate_for_another_host_is_a_tls_error_tried_once(certs):
    with TlsServer(certs.other).running() as server, client(server, trusting(certs)) as http:
        error = fetch_error(http, f"https://news.test:{server.port}/")

    assert error.outcome == "tls_error"
    assert "Hostname mismatch" in str(error) and "news.test" in str(error)
    assert (server.seen.connections, server.seen.handshakes) == (1, ["news.test"])
    assert server.seen.hosts == []
    assert [(e.outcome, e.url) for e in http.journal.entries] == [
        ("tls_error", f"https://news.test:{server.port}/")
    ]


@pytest.mark.parametrize(
    ("served", "trusted", "cause"),
    [
        ("self_signed", "test CA", "self-signed certificate"),
        ("self_signed", "certifi", "self-signed certificate"),
        ("news", "certifi", "unable to get local issuer certificate"),
    ],
    ids=["self-signed", "self-signed-default-context", "private-CA-default-context"],
)
def test_certificate_nobody_vouches_for_is_a_tls_error(certs, served, trusted, cause):
    context = trusting(certs) if trusted == "test CA" else None
    with TlsServer(getattr(certs, served)).running() as server, client(server, context) as http:
        error = fetch_error(http, f"https://news.test:{server.port}/")

    assert error.outcome == "tls_error" and cause in str(error)
    assert server.seen.connections == 1 and server.seen.hosts == []


def test_server_hanging_up_during_handshake_is_a_retried_connect_error(certs):
    with (
        TlsServer(certs.news, hang_up=True).running() as server,
        client(server, trusting(certs)) as http,
    ):
        error = fetch_error(http, f"https://news.test:{server.port}/")

    assert error.outcome == "connect_error" and "gave up after 3 attempts" in str(error)
    assert server.seen.connections == 3


@pytest.mark.parametrize("host", ["intranet.test", "127.0.0.1", "news.test"])
def test_private_address_over_https_is_refused_before_connecting(certs, host):
    with (
        TlsServer(certs.news).running() as server,
        client(server, trusting(certs), seam=False) as http,
    ):
        error = fetch_error(http, f"https://{host}:{server.port}/")

    assert error.outcome == "refused" and "not a public address" in str(error)
    assert server.seen == Seen()


def test_dns_rebinding_over_https_is_refused_before_the_handshake(certs):
    answers = iter([[ipaddress.ip_address("93.184.215.14")], [ipaddress.ip_address("127.0.0.1")]])
    with TlsServer(certs.news).running() as server:
        network = NetworkPolicy(
            resolver=lambda host, port: next(answers),
            public_endpoints=frozenset({("93.184.215.14", server.port)}),
        )
        with HttpClient(
            Settings(fetch_timeout_seconds=5),
            network=network,
            max_attempts=1,
            ssl_context=trusting(certs),
        ) as http:
            error = fetch_error(http, f"https://news.test:{server.port}/")

    # The first answer passed the check before the request; the second, the one the pool would
    # have connected to, is loopback: refused before a TCP connection, let alone a handshake.
    assert error.outcome == "refused" and "127.0.0.1" in str(error)
    assert server.seen == Seen()
