"""Sending the drafts once: what the journal says decides who gets a message, and each
message is journalled before and after its SMTP transaction (builder/welcome/journal.py)."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from builder.diagnostics import Diagnostics
from builder.errors import OutputError
from builder.gate import current
from builder.welcome.journal import Entry, Journal
from builder.welcome.mail import digest, domain, outgoing, read_eml
from builder.welcome.people import Person
from builder.welcome.run import Progress
from builder.welcome.smtp import (
    Dropped,
    Login,
    Refused,
    Server,
    Uncertain,
    connect,
    content,
    envelope,
)

ALL = "all"  # --resend all


@dataclass(frozen=True)
class Draft:
    """One person's draft as it is now, and what the journal knows of them."""

    person: Person
    eml: Path
    digest: str
    last: Entry | None
    delivered: Entry | None

    @property
    def changed(self) -> bool:
        """The draft differs from what the person was sent (their pack or mail changed)."""
        return self.delivered is not None and self.delivered.digest != self.digest


@dataclass(frozen=True)
class Plan:
    """Who is sent a message this run, who is not and why."""

    send: tuple[Draft, ...]
    kept: tuple[tuple[Draft, str], ...] = ()
    test_to: str | None = None


@dataclass
class SendReport:
    """What happened to each message handed to the server this run."""

    sent: list[Draft] = field(default_factory=list)
    failed: list[Draft] = field(default_factory=list)
    unknown: list[Draft] = field(default_factory=list)
    stopped: str = ""
    """Why the session ended before the last message ("" when it did not)."""
    seconds: float = 0.0


def read_drafts(people: Sequence[tuple[Person, Path]], journal: Journal) -> list[Draft]:
    """Each person's draft, hashed, beside their latest journal rows."""
    drafts = []
    for person, eml in people:
        drafts.append(
            Draft(
                person,
                eml,
                digest(read_eml(eml)),
                journal.last(person.email),
                journal.delivered(person.email),
            )
        )
    return drafts


def plan(
    drafts: Sequence[Draft], *, resend: Sequence[str] = (), test_to: str | None = None
) -> Plan:
    """Who to send to: everyone the server has not accepted a message for, unless it may
    have one (unknown); again only whom --resend names. A test: the first draft only."""
    if test_to is not None:
        return Plan(tuple(drafts[:1]), test_to=test_to)
    send: list[Draft] = []
    kept: list[tuple[Draft, str]] = []
    for draft in drafts:
        named = ALL in resend or draft.person.email.lower() in resend
        last = draft.last
        if named or last is None or last.state == "failed":
            send.append(draft)
        elif last.state == "sending":
            kept.append((draft, f"unknown since {last.when}: {last.answer or 'the run stopped'}"))
        else:
            changed = "; changed since" if draft.changed else ""
            kept.append((draft, f"sent {last.when}{changed}"))
    return Plan(tuple(send), tuple(kept))


def send(
    plan_: Plan,
    server: Server,
    credentials: Login | None,
    journal: Journal,
    diag: Diagnostics,
    *,
    progress: Progress | None = None,
) -> SendReport:
    """Send the plan's messages over one session; a refused recipient does not stop the
    rest, a broken session does (the next run resumes after the last message accepted)."""
    report = SendReport()
    if not plan_.send:
        return report
    start = time.monotonic()
    client = connect(server, credentials)
    try:
        for done, draft in enumerate(plan_.send, 1):
            if not _one(client, draft, plan_.test_to, server, journal, diag, report):
                break
            if progress:
                progress(done, len(plan_.send))
    finally:
        try:
            client.quit()
        except Exception:  # the session is over either way
            client.close()
        report.seconds = time.monotonic() - start
    return report


def _one(
    client: smtplib.SMTP,
    draft: Draft,
    test_to: str | None,
    server: Server,
    journal: Journal,
    diag: Diagnostics,
    report: SendReport,
) -> bool:
    """One message, journalled around its transaction; False when the session is over."""
    message = read_eml(draft.eml)
    message_id = make_msgid(domain=domain(message))
    stamped = outgoing(message, message_id, test_to=test_to)
    data = stamped.as_bytes(policy=policy.SMTP)
    recipient = test_to or draft.person.email
    row = journal.sending(
        recipient=recipient,
        person=draft.person.email,
        name=draft.person.name,
        digest=draft.digest,
        message_id=message_id,
        test=test_to is not None,
    )
    where = f"{draft.person.name} <{recipient}>"
    try:
        try:
            envelope(client, _envelope_from(server, stamped), recipient)
        except BaseException as exc:  # Ctrl-C included: nothing was handed over yet
            journal.failed(row, _why(exc))
            raise
        answer = content(client, data)
    except Refused as exc:
        journal.failed(row, str(exc))
        report.failed.append(draft)
        if exc.closing:  # about the session, not this person: said once, by the caller
            report.stopped = f"the server closed the session: {exc}"
            return False
        diag.error(f"not sent to {where}: {exc}", file=draft.eml)
        return True
    except Dropped as exc:
        report.failed.append(draft)
        report.stopped = f"the connection to {server.host} was lost: {exc}"
        return False
    except Uncertain as exc:
        journal.unknown(row, f"connection lost after the message was handed over: {exc}")
        diag.error(
            f"unknown whether {where} got the message: the connection was lost during DATA",
            file=draft.eml,
            hint=f"look for {message_id} in the server's log; --resend {draft.person.email}",
        )
        report.unknown.append(draft)
        report.stopped = f"the connection to {server.host} was lost: {exc}"
        return False
    journal.sent(row, answer)
    report.sent.append(draft)
    return True


def _envelope_from(server: Server, message: EmailMessage) -> str:
    if server.envelope_from:
        return server.envelope_from
    return str(message["From"].addresses[0].addr_spec)


def _why(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted before the message was handed over"
    return str(exc) or type(exc).__name__


def summary(report: SendReport, kept: int) -> str:
    """The one line a run ends with."""
    parts = [f"{len(report.sent)} sent"]
    if report.failed:
        parts.append(f"{len(report.failed)} failed")
    if report.unknown:
        parts.append(f"{len(report.unknown)} unknown")
    if kept:
        parts.append(f"{kept} not sent again")
    return ", ".join(parts) + f" in {report.seconds:.1f} s"


def stopped_error(report: SendReport, planned: int) -> OutputError:
    """The one-line error of a session that ended before the last message."""
    return OutputError(
        report.stopped,
        hint=f"{len(report.sent)} of {planned} sent; run the same command again for the rest",
    )


def status(people: Sequence[tuple[Person, Path]], journal: Journal) -> list[str]:
    """Per person: drafted, sent (when, the server's answer), failed (why) or unknown; then
    the test messages."""
    lines = []
    for person, eml in people:
        drafted = current().is_file(eml)
        last = journal.last(person.email)
        if last is None:
            state = "drafted, not sent" if drafted else "no draft (run guideprint welcome)"
        elif last.state == "sent":
            state = f"sent {last.when} ({last.answer})"
            if drafted and digest(read_eml(eml)) != last.digest:
                state += "; the draft changed since: not sent again unless --resend"
        elif last.state == "sending":
            why = last.answer or "the run stopped while sending"
            state = f"unknown since {last.when}: {why}; check the server, then --resend or not"
        else:
            state = f"failed {last.when}: {last.answer}"
            delivered = journal.delivered(person.email)
            if delivered is not None:
                state += f" (an earlier message was sent {delivered.when})"
        lines.append(f"{person.extension}  {person.name} <{person.email}>: {state}")
    for entry in journal.entries(test=True):
        lines.append(f"test for {entry.name}, to {entry.recipient}: {entry.shown} {entry.when}")
    return lines
