"""The company's mail server: where ([smtp] in guideprint.toml), how it is trusted (TLS with
certificate checking), how guideprint logs in (password or OAuth2), and one message's SMTP
transaction split where "not sent" turns into "maybe sent"."""

from __future__ import annotations

import getpass
import importlib
import os
import smtplib
import ssl
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.config import Settings, SmtpSettings
from builder.errors import ConfigError, InputError, OutputError
from builder.gate import current

PASSWORD_VAR = "GUIDEPRINT_SMTP_PASSWORD"  # the variables' names, not secrets
TOKEN_VAR = "GUIDEPRINT_SMTP_TOKEN"
KEYRING_SERVICE = "guideprint-smtp"  # keyring set guideprint-smtp USER
PORTS = {"starttls": 587, "ssl": 465, "none": 25}
SECURITY_SHOWN = {"starttls": "STARTTLS", "ssl": "SSL/TLS", "none": "no encryption"}
LOOPBACK = ("127.0.0.1", "::1", "localhost")
TOKEN_TIMEOUT = 60  # seconds for token_command (an `az` or `gcloud` call can be slow)


@dataclass(frozen=True)
class Server:
    """Where and how to send: the [smtp] settings with the command line's overrides."""

    host: str
    port: int
    security: str = "starttls"
    username: str = ""
    auth: str = "password"
    envelope_from: str = ""
    """MAIL FROM; "" for the message's From: address."""
    token_command: tuple[str, ...] = ()
    cafile: Path | None = None
    timeout: float = 30.0

    def describe(self) -> str:
        """How the run will reach the server, for the confirmation: no secret in it."""
        login = "no login"
        if self.username:
            login = f"{'OAuth2' if self.auth == 'xoauth2' else 'login'} {self.username}"
        security = SECURITY_SHOWN[self.security]
        if self.cafile is not None and self.security != "none":
            security += f", CA {self.cafile.name}"
        return f"{self.host}:{self.port} ({security}, {login})"


def server_from_settings(
    settings: Settings,
    project: Path,
    *,
    host: str | None = None,
    port: int | None = None,
    security: str | None = None,
) -> Server:
    """The server to use: [smtp] of guideprint.toml, host/port/security given overriding."""
    smtp: SmtpSettings = settings.smtp
    where = settings.path or None
    chosen = security or smtp.security
    name = host or smtp.host
    if not name:
        raise ConfigError(
            "no mail server to send through",
            file=where,
            hint="set host in the [smtp] table of guideprint.toml, or give --smtp-host",
        )
    cafile = None
    if smtp.cafile:
        cafile = Path(smtp.cafile) if Path(smtp.cafile).is_absolute() else project / smtp.cafile
    if smtp.auth == "xoauth2" and not smtp.username:
        raise ConfigError("'smtp.auth' is xoauth2 but 'smtp.username' is empty", file=where)
    return Server(
        host=name,
        port=port or smtp.port or PORTS[chosen],
        security=chosen,
        username=smtp.username,
        auth=smtp.auth,
        envelope_from=smtp.sender,
        token_command=smtp.token_command,
        cafile=cafile,
        timeout=float(smtp.timeout),
    )


@dataclass(frozen=True)
class Login:
    """A username and its secret (a password, or an OAuth2 access token)."""

    username: str
    secret: str = field(repr=False)
    xoauth2: bool = False


def check_server(server: Server) -> None:
    """Refuse, before anything is read or asked, what would expose a secret."""
    if server.username and server.security == "none" and server.host not in LOOPBACK:
        raise InputError(
            f"refusing to send the SMTP login unencrypted to {server.host}",
            hint='use security = "starttls" or "ssl" in [smtp]',
        )


def login(
    server: Server,
    *,
    environ: Mapping[str, str] | None = None,
    interactive: bool | None = None,
    ask: Callable[[str], str] = getpass.getpass,
) -> Login | None:
    """The login of the run (None without a username): the token or password taken from
    the environment, else (a password) the system keyring, else the prompt on a terminal."""
    check_server(server)
    if not server.username:
        return None
    env = os.environ if environ is None else environ
    if server.auth == "xoauth2":
        return Login(server.username, _token(server, env), xoauth2=True)
    password = env.get(PASSWORD_VAR) or _from_keyring(server)
    if not password and (sys.stdin.isatty() if interactive is None else interactive):
        password = ask(f"SMTP password for {server.username} at {server.host}: ")
    if not password:
        keyring_hint = (
            f"keyring set {KEYRING_SERVICE} {server.username}"
            if _keyring() is not None
            else "pip install keyring, then keyring set ..."
        )
        raise InputError(
            f"no SMTP password for {server.username}",
            hint=f"set {PASSWORD_VAR}, or store it with `{keyring_hint}`, or run on a terminal",
        )
    return Login(server.username, password)


def _keyring() -> Any:
    """The keyring package when installed (optional: a server may need no password)."""
    try:
        return importlib.import_module("keyring")
    except ImportError:
        return None


def _from_keyring(server: Server) -> str:
    module = _keyring()
    if module is None:
        return ""
    try:
        found = module.get_password(KEYRING_SERVICE, server.username)
    except Exception:  # no backend on this machine (a server, CI): nothing stored
        return ""
    return found if isinstance(found, str) else ""


def _token(server: Server, env: Mapping[str, str]) -> str:
    token = env.get(TOKEN_VAR, "").strip()
    if token:
        return token
    if not server.token_command:
        raise InputError(
            f"no OAuth2 access token for {server.username}",
            hint=f"set {TOKEN_VAR}, or token_command in [smtp]",
        )
    command = list(server.token_command)
    try:  # the admin's own command, run as given (no shell)
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TOKEN_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"'smtp.token_command' failed: {exc}") from exc
    token = done.stdout.strip()
    if done.returncode or not token:
        said = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise ConfigError(f"'smtp.token_command' gave no token: {said}")
    return token


def tls_context(server: Server) -> ssl.SSLContext:
    """Certificates checked, host name included; a private CA from cafile, read through
    the gate (the settings name it, so the run allows it)."""
    if server.cafile is None:
        return ssl.create_default_context()
    try:
        pem = current().read_text(server.cafile, what="CA file")
        return ssl.create_default_context(cadata=pem)
    except (OSError, UnicodeDecodeError, ssl.SSLError) as exc:
        raise ConfigError(
            f"'smtp.cafile' is not a readable PEM file: {exc}",
            file=server.cafile,
            hint="the CA certificate, PEM (-----BEGIN CERTIFICATE-----)",
        ) from exc


def connect(server: Server, credentials: Login | None) -> smtplib.SMTP:
    """An SMTP session, encrypted as the settings say and logged in; one clear error when
    the server cannot be reached, is not trusted or refuses the login."""
    context = tls_context(server) if server.security != "none" else None
    try:
        if server.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host, server.port, timeout=server.timeout, context=context
            )
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    except ssl.SSLCertVerificationError as exc:
        raise _untrusted(server, exc) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise OutputError(
            f"cannot reach SMTP server {server.host}:{server.port}: {exc}",
            hint="check host, port and security in [smtp]",
        ) from exc
    try:
        _secure_and_login(client, server, credentials, context)
    except BaseException:
        client.close()
        raise
    return client


def _secure_and_login(
    client: smtplib.SMTP, server: Server, credentials: Login | None, context: Any
) -> None:
    try:
        client.ehlo()
        if server.security == "starttls":
            if not client.has_extn("starttls"):  # never carry on in clear text
                raise OutputError(
                    f"{server.host}:{server.port} does not offer STARTTLS",
                    hint='security = "ssl" for port 465; "none" only for a local relay',
                )
            client.starttls(context=context)
            client.ehlo()
        if credentials is not None:
            _authenticate(client, credentials)
    except ssl.SSLCertVerificationError as exc:
        raise _untrusted(server, exc) from exc
    except smtplib.SMTPAuthenticationError as exc:
        answer = _said(exc.smtp_code, exc.smtp_error)
        hint = (
            f"check {TOKEN_VAR} or token_command"
            if credentials and credentials.xoauth2
            else (f"check the password ({PASSWORD_VAR}, keyring or prompt)")
        )
        raise OutputError(
            f"SMTP login refused for {credentials.username if credentials else '?'}: {answer}",
            hint=hint,
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise OutputError(f"SMTP session with {server.host} failed: {exc}") from exc


def _authenticate(client: smtplib.SMTP, credentials: Login) -> None:
    if not credentials.xoauth2:
        client.login(credentials.username, credentials.secret)  # PLAIN or LOGIN, as offered
        return
    offered = client.esmtp_features.get("auth", "").upper().split()
    if "XOAUTH2" not in offered:
        raise OutputError(
            "the server does not offer XOAUTH2", hint=f"it offers {' '.join(offered) or 'none'}"
        )
    text = f"user={credentials.username}\x01auth=Bearer {credentials.secret}\x01\x01"

    def xoauth2(challenge: bytes | None = None) -> str:
        # A 334 challenge carries the server's error (JSON): an empty answer ends the exchange.
        return "" if challenge is not None else text

    client.auth("XOAUTH2", xoauth2, initial_response_ok=True)


def _untrusted(server: Server, exc: ssl.SSLCertVerificationError) -> OutputError:
    return OutputError(
        f"the certificate of {server.host} is not trusted: {exc.verify_message}",
        hint="for a private CA, set cafile in [smtp] to its PEM file",
    )


class Refused(Exception):  # noqa: N818 -- the server's answer, not our fault
    """The server refused this message before taking it: not sent."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(_said(code, text))
        self.code = code

    @property
    def closing(self) -> bool:
        """421: the server ends the session (too many messages, shutting down)."""
        return self.code == 421


class Dropped(Exception):  # noqa: N818
    """The session broke before the message was handed over: not sent."""


class Uncertain(Exception):  # noqa: N818
    """The session broke after the message was handed over, before the server answered."""


def envelope(client: smtplib.SMTP, sender: str, recipient: str) -> None:
    """MAIL FROM and RCPT TO; afterwards the message can still be taken back (RSET)."""
    try:
        code, text = client.mail(sender)
        if code == 250:
            code, text = client.rcpt(recipient)
        if code not in (250, 251):
            if code != 421:
                client.rset()
            raise Refused(code, _text(text))
    except (smtplib.SMTPException, OSError) as exc:
        raise Dropped(str(exc) or type(exc).__name__) from exc


def content(client: smtplib.SMTP, data: bytes) -> str:
    """DATA: the message handed over; the server's answer when it took it. From the first
    byte sent on, a broken session means the server may have it (Uncertain)."""
    try:
        code, text = client.data(data)
    except smtplib.SMTPDataError as exc:  # DATA itself refused: nothing was handed over
        raise Refused(exc.smtp_code, _text(exc.smtp_error)) from exc
    except (smtplib.SMTPException, OSError) as exc:  # TimeoutError is an OSError
        raise Uncertain(str(exc) or type(exc).__name__) from exc
    if code != 250:
        raise Refused(code, _text(text))
    return _said(code, text)


def _text(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _said(code: int, text: bytes | str) -> str:
    return " ".join(f"{code} {_text(text)}".split())
