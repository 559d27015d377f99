"""The welcome email: a draft .eml per person (plain text and HTML from one Jinja template,
the pack attached), and the same message stamped for sending."""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Sequence
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate
from functools import partial
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from builder.config import Settings
from builder.errors import ConfigError
from builder.gate import ReadRefused, current
from builder.layouts import BUILTIN
from builder.output import write_bytes
from builder.welcome.people import Person

DEFAULT_LAYOUTS = BUILTIN  # guideprint's own layouts/, found where builder.layouts finds them
TEMPLATE = "welcome/email.txt.j2"
# The headers a person sees: with the parts, what the journal's hash of a message covers.
SEEN_HEADERS = ("From", "To", "Reply-To", "Subject")
HTML_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: Arial, sans-serif; font-size: 15px; line-height: 1.5; color: #222">
{body}
</body></html>
"""


def environment(
    layouts: Sequence[Path] = (DEFAULT_LAYOUTS,), *, html: bool = False
) -> jinja2.Environment:
    """Jinja environment for the mail, layouts searched in order (project first), each
    template read through the gate; html: the same template, every value escaped."""
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(partial(_template, tuple(Path(p) for p in layouts))),
        # text/plain: "<b>" in a name must stay "<b>"; text/html: it must become "&lt;b&gt;".
        autoescape=html,
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
    return _one_address(
        settings.welcome.sender or settings.helpdesk.email, "welcome.sender", settings
    )


def reply_to(settings: Settings) -> Address | None:
    """The Reply-To: address, the help desk's (None when it has no email)."""
    if not settings.helpdesk.email:
        return None
    found = _one_address(settings.helpdesk.email, "helpdesk.email", settings)
    return Address(settings.helpdesk.name or found.display_name, addr_spec=found.addr_spec)


def _one_address(text: str, key: str, settings: Settings) -> Address:
    message = EmailMessage()
    try:
        message["From"] = text
        addresses = message["From"].addresses
    except (ValueError, IndexError, TypeError) as exc:
        raise ConfigError(f"invalid '{key}': {text!r}", file=settings.path or None) from exc
    if len(addresses) != 1 or "@" not in addresses[0].addr_spec:
        raise ConfigError(
            f"'{key}' must be one address",
            file=settings.path or None,
            hint='e.g. "Service informatique <informatique@example.fr>"',
        )
    address = addresses[0]
    assert isinstance(address, Address)
    return address


def body(
    env: jinja2.Environment,
    settings: Settings,
    person: Person,
    attachment: str,
    *,
    html: bool = False,
    manual: str = "",
) -> str:
    """The body for one person, as text (env without autoescape) or escaped (html env);
    attachment: the pack's name, manual: the manual's ("" when not attached)."""
    return env.get_template(TEMPLATE).render(
        person=person,
        organisation=settings.organisation,
        webclient=settings.urls.webclient,
        helpdesk=settings.helpdesk,
        attachment=attachment,
        manual=manual,
        html=html,
    )


def html_body(escaped: str, settings: Settings) -> str:
    """Simple HTML from the template rendered with every value escaped: paragraphs, indented
    lines as a list, the settings' own links clickable (never a URL a CSV cell brought)."""
    blocks = []
    for block in re.split(r"\n\s*\n", escaped.strip("\n")):
        lines = [line for line in block.split("\n") if line.strip()]
        if lines and all(line[:1].isspace() for line in lines):
            items = "".join(f"<li>{line.strip()}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        elif lines:
            blocks.append("<p>" + "<br>\n".join(line.strip() for line in lines) + "</p>")
    text = "\n".join(blocks)
    for url in sorted({u for u in vars(settings.urls).values() if u}, key=len, reverse=True):
        shown = str(escape(url))
        text = text.replace(shown, f'<a href="{shown}">{shown}</a>')
    title = escape(settings.welcome.subject)
    return HTML_PAGE.format(lang=escape(settings.language), title=title, body=Markup(text))


def draft(
    env: jinja2.Environment,
    settings: Settings,
    person: Person,
    pack: str,
    data: bytes,
    html_env: jinja2.Environment | None = None,
    more: Sequence[tuple[str, bytes]] = (),
) -> EmailMessage:
    """The welcome message for person, text and HTML, the pack attached, then `more` PDFs
    (name, bytes: the manual); no Date nor Message-ID: it is a draft, both are stamped when
    it is sent."""
    message = EmailMessage()
    message["From"] = sender(settings)
    # An Address object: the name is encoded as a phrase, it can never add a header.
    message["To"] = Address(display_name=person.name, addr_spec=person.email)
    reply = reply_to(settings)
    if reply is not None and reply.addr_spec != message["From"].addresses[0].addr_spec:
        message["Reply-To"] = reply
    message["Subject"] = settings.welcome.subject
    message["X-Unsent"] = "1"  # Outlook opens the .eml as a message ready to send
    manual = more[0][0] if more else ""
    message.set_content(body(env, settings, person, pack, manual=manual))
    if html_env is not None:
        escaped = body(html_env, settings, person, pack, html=True, manual=manual)
        message.add_alternative(html_body(escaped, settings), subtype="html")
    for name, content in [(pack, data), *more]:
        message.add_attachment(content, maintype="application", subtype="pdf", filename=name)
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


def digest(message: EmailMessage) -> str:
    """The hash of what the person receives: the headers they see and every part's content,
    not the MIME boundaries (new at each draft), Date or Message-ID (new at each send)."""
    sha = hashlib.sha256()
    for name in SEEN_HEADERS:
        sha.update(f"{name}: {message[name] or ''}\n".encode())
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        head = f"{part.get_content_type()} {part.get_filename() or ''} {len(payload or b'')}\n"
        sha.update(head.encode())
        sha.update(payload if isinstance(payload, bytes) else b"")
    return sha.hexdigest()


def outgoing(message: EmailMessage, message_id: str, *, test_to: str | None = None) -> EmailMessage:
    """The draft stamped for sending: Date, the Message-ID the journal holds, no draft
    marker; a test goes To: the tester, its subject marked."""
    sent = copy.deepcopy(message)
    for name in ("X-Unsent", "Date", "Message-ID"):
        del sent[name]
    sent["Date"] = formatdate(localtime=True)
    sent["Message-ID"] = message_id
    if test_to is not None:
        del sent["To"]
        sent["To"] = Address(addr_spec=test_to)
        subject = str(message["Subject"] or "")
        del sent["Subject"]
        sent["Subject"] = f"[test] {subject}"
    return sent


def domain(message: EmailMessage) -> str:
    """The From: address's domain: the right side of the Message-IDs made for it."""
    addresses = message["From"].addresses if message["From"] else ()
    return addresses[0].domain if addresses else "guideprint.invalid"
