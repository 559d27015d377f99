"""The welcome email: a draft .eml per person from a French template, sent on request."""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from functools import partial
from pathlib import Path

import jinja2

from builder.config import Settings
from builder.diagnostics import Diagnostics
from builder.errors import ConfigError, InputError, OutputError
from builder.gate import ReadRefused, current
from builder.output import write_bytes
from builder.welcome.people import Person

DEFAULT_LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"
TEMPLATE = "welcome/email.txt.j2"
USER_VAR = "GUIDEPRINT_SMTP_USER"
PASSWORD_VAR = "GUIDEPRINT_SMTP_PASSWORD"  # the variable's name, not a secret
LOOPBACK = ("127.0.0.1", "::1", "localhost")
# Refusals that concern one message; the session goes on with the next one.
REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def environment(layouts: Sequence[Path] = (DEFAULT_LAYOUTS,)) -> jinja2.Environment:
    """Jinja environment for text/plain mail, layouts searched in order (project first),
    each template read through the gate."""
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(partial(_template, tuple(Path(p) for p in layouts))),
        autoescape=False,  # text/plain: "<b>" in a name must stay "<b>", not "&lt;b&gt;"
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _template(folders: tuple[Path, ...], name: str) -> tuple[str, str, Callable[[], bool]] | None:
    """Jinja's loader: the first file called name, read through the gate; one that is a link
    leading outside the project is refused, not passed over for guideprint's own."""
    if ".." in Path(name).parts:
        return None
    gate = current()
    for folder in folders:
        path = folder / name
        if gate.kind(path) in ("file", "refused"):
            try:
                text = gate.read_text(path, what="template")
            except ReadRefused as exc:
                raise ReadRefused(exc.message, file=path, hint=exc.hint) from exc
            return text, str(path), lambda: True  # read once per environment
    return None


def check_template(env: jinja2.Environment) -> None:
    """Fail early, before any pack is built, when the mail template is missing or broken."""
    try:
        env.get_template(TEMPLATE)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(
            f"template error: {exc.message}", file=exc.filename, line=exc.lineno
        ) from exc
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"template not found: {TEMPLATE}", hint="restore layouts/") from exc


def sender(settings: Settings) -> Address:
    """The From: address, from welcome.sender (else the help desk's email)."""
    text = settings.welcome.sender or settings.helpdesk.email
    message = EmailMessage()
    try:
        message["From"] = text
        addresses = message["From"].addresses
    except (ValueError, IndexError, TypeError) as exc:
        raise ConfigError(
            f"invalid 'welcome.sender': {text!r}", file=settings.path or None
        ) from exc
    if len(addresses) != 1 or "@" not in addresses[0].addr_spec:
        raise ConfigError(
            "'welcome.sender' must be one address",
            file=settings.path or None,
            hint='e.g. "Service informatique <informatique@example.fr>"',
        )
    address = addresses[0]
    assert isinstance(address, Address)
    return address


def body(env: jinja2.Environment, settings: Settings, person: Person, attachment: str) -> str:
    """The French plain-text body for one person."""
    return env.get_template(TEMPLATE).render(
        person=person,
        organisation=settings.organisation,
        webclient=settings.urls.webclient,
        helpdesk=settings.helpdesk,
        attachment=attachment,
    )


def draft(
    env: jinja2.Environment, settings: Settings, person: Person, pack: str, data: bytes
) -> EmailMessage:
    """The welcome message for person with the pack attached (no Date: it is a draft)."""
    message = EmailMessage()
    message["From"] = sender(settings)
    # An Address object: the name is encoded as a phrase, it can never add a header.
    message["To"] = Address(display_name=person.name, addr_spec=person.email)
    message["Subject"] = settings.welcome.subject
    message["X-Unsent"] = "1"  # Outlook opens the .eml as a message ready to send
    message.set_content(body(env, settings, person, pack))
    message.add_attachment(data, maintype="application", subtype="pdf", filename=pack)
    return message


def write_eml(message: EmailMessage, target: Path) -> None:
    """Write the message as an .eml file (CRLF line ends), atomically."""
    write_bytes(target, message.as_bytes(policy=policy.SMTP))


def read_eml(path: Path) -> EmailMessage:
    """Read an .eml draft back."""
    data = current().read_bytes(path, what="draft")
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


@dataclass(frozen=True)
class Smtp:
    """Where and how to send; the login comes from the environment, never the command line."""

    host: str
    port: int = 587
    starttls: bool = True
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0


def smtp_from_env(
    host: str, port: int = 587, starttls: bool = True, environ: Mapping[str, str] | None = None
) -> Smtp:
    """SMTP settings with user and password from GUIDEPRINT_SMTP_USER / _PASSWORD."""
    env = os.environ if environ is None else environ
    return Smtp(host, port, starttls, env.get(USER_VAR, ""), env.get(PASSWORD_VAR, ""))


def send_summary(emls: Sequence[Path], smtp: Smtp) -> str:
    """What --send is about to do, for the confirmation prompt."""
    security = "STARTTLS" if smtp.starttls else "no encryption"
    login = f"login {smtp.user}" if smtp.user else "no login"
    lines = [f"{len(emls)} email(s) to send via {smtp.host}:{smtp.port} ({security}, {login}):"]
    for path in emls:
        message = read_eml(path)
        size = path.stat().st_size / 1_000_000
        lines.append(f"  {message['To']}  {message['Subject']}  ({size:.1f} MB)")
    return "\n".join(lines)


@dataclass
class SendReport:
    """Which drafts went out and which did not."""

    sent: list[Path] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)


def send(emls: Sequence[Path], smtp: Smtp, diag: Diagnostics) -> SendReport:
    """Send the drafts over one SMTP connection; a refused recipient does not stop the rest."""
    _check_login(smtp)
    report = SendReport()
    if not emls:
        return report
    with _connect(smtp) as client:
        for path in emls:
            message = _outgoing(read_eml(path))
            try:
                client.send_message(message)
            except REFUSED as exc:
                diag.error(f"not sent to {message['To']}: {exc}", file=path)
                report.failed.append(path)
            except (smtplib.SMTPException, OSError) as exc:
                raise OutputError(
                    f"SMTP session with {smtp.host} broke: {exc}",
                    hint=f"{len(report.sent)} of {len(emls)} sent; the others were not",
                ) from exc
            else:
                report.sent.append(path)
    return report


def _outgoing(message: EmailMessage) -> EmailMessage:
    """Turn a draft into a message to send: stamped with date and id, no draft marker."""
    for name in ("X-Unsent", "Date", "Message-ID"):
        del message[name]
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=_domain(message))
    return message


def _check_login(smtp: Smtp) -> None:
    if smtp.user and not smtp.password:
        raise InputError(f"{USER_VAR} is set but {PASSWORD_VAR} is not")
    if smtp.user and not smtp.starttls and smtp.host not in LOOPBACK:
        raise InputError(
            f"refusing to send the SMTP password unencrypted to {smtp.host}",
            hint="use STARTTLS",
        )


def _connect(smtp: Smtp) -> smtplib.SMTP:
    try:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    except OSError as exc:
        raise OutputError(
            f"cannot reach SMTP server {smtp.host}:{smtp.port}: {exc}",
            hint="check --smtp-host and --smtp-port",
        ) from exc
    try:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.user:
            client.login(smtp.user, smtp.password)
    except smtplib.SMTPAuthenticationError as exc:
        client.close()
        raise OutputError(
            f"SMTP login refused for {smtp.user}", hint=f"check {USER_VAR} and {PASSWORD_VAR}"
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        client.close()
        raise OutputError(f"SMTP session with {smtp.host} failed: {exc}") from exc
    return client


def _domain(message: EmailMessage) -> str:
    addresses = message["From"].addresses if message["From"] else ()
    return addresses[0].domain if addresses else "guideprint.invalid"
