"""aiosmtpd servers on 127.0.0.1 for the sending tests (tests/test_mail_send.py, _cli.py): a
counting handler that can refuse a recipient, close the session after N messages or lose
its answer to DATA; AUTH LOGIN/PLAIN and XOAUTH2; TLS (SMTPS and STARTTLS) with a CA and a
certificate made at test time. The tests at the end check the servers themselves."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import email
import ipaddress
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"  # loopback only, never a name that could resolve elsewhere
USER, PASSWORD, TOKEN = "it@groupehautier.fr", "s3cret", "ya29.token"


@dataclass
class Received:
    """One message the server accepted."""

    rcpt: tuple[str, ...]
    mail_from: str
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Counting:
    """Keeps every message accepted; the knobs make it misbehave the ways servers do."""

    refuse: set[str] = field(default_factory=set)
    close_after: int | None = None
    """Accept this many messages in a session, then answer 421 and close (a rate limit)."""
    lose_reply_after: int | None = None
    """Accept the message past this many, then close without the 250 reaching the client."""
    accepted: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    per_session: dict[int, int] = field(default_factory=dict)

    def received(self, address: str) -> list[Received]:
        """The messages accepted for address."""
        return [r for r in self.accepted if address in r.rcpt]

    async def handle_MAIL(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        done = self.per_session.get(id(session), 0)
        if self.close_after is not None and done >= self.close_after:
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.7.0 Too many messages in this session, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.accepted.append(Received(tuple(envelope.rcpt_tos), envelope.mail_from, message))
        self.per_session[id(session)] = self.per_session.get(id(session), 0) + 1
        if self.lose_reply_after is not None and len(self.accepted) > self.lose_reply_after:
            server.transport.abort()  # kept, and the client never hears "250"
        return f"250 2.0.0 Ok: queued as Q{len(self.accepted)}"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            self.logins.append((mechanism, data.login.decode()))
        return AuthResult(success=ok, handled=False)  # False: aiosmtpd says 535

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:  # noqa: N802
        """RFC-less but documented by Google and Microsoft: user=...^Aauth=Bearer ...^A^A."""
        blob = base64.b64decode(args[1]) if len(args) > 1 else await server.challenge_auth(b"")
        fields = dict(part.split("=", 1) for part in blob.decode().split("\x01") if "=" in part)
        if fields.get("user") == USER and fields.get("auth") == f"Bearer {TOKEN}":
            self.logins.append(("XOAUTH2", USER))
            return AuthResult(success=True, auth_data=USER)
        error = json.dumps({"status": "401", "schemes": "bearer"}).encode()
        await server.challenge_auth(error)  # the client answers with an empty line
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(
    handler: Counting,
    *,
    security: str = "none",
    tls: ssl.SSLContext | None = None,
    auth: bool = True,
    exclude: tuple[str, ...] = (),
) -> Iterator[int]:
    """An aiosmtpd server on 127.0.0.1 for the block; its port."""
    port = free_port()
    options: dict[str, Any] = {
        "authenticator": handler.authenticate if auth else None,
        "auth_require_tls": security == "starttls",
        "auth_exclude_mechanism": list(exclude),
    }
    if security == "starttls":
        options |= {"tls_context": tls, "require_starttls": True}
    controller = Controller(
        handler,
        hostname=HOST,
        port=port,
        ssl_context=tls if security == "ssl" else None,
        **options,
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificates:
    """A private CA and a server certificate it signed, for 127.0.0.1."""

    ca: Path
    server: ssl.SSLContext


def make_certificates(folder: Path) -> Certificates:
    """Made afresh by the tests: a CA, and a certificate for 127.0.0.1 signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "guideprint test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(cert.public_bytes(pem))
    (folder / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    return Certificates(folder / "ca.pem", context)


# --- the servers do what the tests rely on ---


def test_the_certificate_is_trusted_through_its_ca_only(tmp_path: Path) -> None:
    certificates = make_certificates(tmp_path)
    with serve(Counting(), security="ssl", tls=certificates.server) as port:
        trusting = ssl.create_default_context(cafile=certificates.ca)
        with socket.create_connection((HOST, port), timeout=10) as raw:
            with trusting.wrap_socket(raw, server_hostname=HOST) as tls:
                assert tls.recv(100).startswith(b"220")
        with socket.create_connection((HOST, port), timeout=10) as raw:
            with pytest.raises(ssl.SSLCertVerificationError):
                ssl.create_default_context().wrap_socket(raw, server_hostname=HOST)


def test_the_counting_server_closes_after_n_messages() -> None:
    import smtplib

    handler = Counting(close_after=1)
    with serve(handler, auth=False) as port, smtplib.SMTP(HOST, port, timeout=10) as client:
        client.sendmail("a@x.fr", ["b@x.fr"], b"Subject: 1\r\n\r\none\r\n")
        assert client.mail("a@x.fr")[0] == 421
    assert len(handler.accepted) == 1
