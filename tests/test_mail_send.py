"""Sending welcome emails once, through aiosmtpd servers on 127.0.0.1 started here: the
send journal against refusals, sessions closed after N messages, a reply lost during DATA
and a crash between "accepted" and "journal written"; a re-run after each, and the counting
handler receives every accepted message exactly once. Then the server: TLS (SMTPS and
STARTTLS, a private CA), AUTH LOGIN / PLAIN / XOAUTH2, where the secrets come from."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import types
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

import pytest
from test_mail_server import (
    HOST,
    PASSWORD,
    TOKEN,
    USER,
    Certificates,
    Counting,
    make_certificates,
    serve,
)

from builder.config import Helpdesk, Settings, SmtpSettings, Urls, WelcomeSettings, load_settings
from builder.diagnostics import Diagnostics
from builder.errors import ConfigError, InputError, OutputError
from builder.welcome import smtp as smtp_module
from builder.welcome.delivery import Plan, SendReport, plan, read_drafts, send, status
from builder.welcome.journal import Journal, journal_path
from builder.welcome.mail import draft, environment, write_eml
from builder.welcome.people import Person
from builder.welcome.smtp import Login, Server, login, server_from_settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = Settings(
    organisation="Groupe Hautier",
    urls=Urls(webclient="https://groupehautier.my3cx.fr:5001/webclient"),
    helpdesk=Helpdesk(name="Service informatique", email="assistance@groupehautier.fr"),
    welcome=WelcomeSettings(sender="Service informatique <it@groupehautier.fr>"),
)
PEOPLE = (
    Person("Zoé Bœuf", "zoe@groupehautier.fr", "201", ("vpn",), row=2),
    Person("Jean Dupont", "jean@groupehautier.fr", "202", ("vpn",), row=3),
    Person("Marie Curie", "marie@groupehautier.fr", "203", ("vpn",), row=4),
    Person("Luc Petit", "luc@groupehautier.fr", "204", ("vpn",), row=5),
)
EMAILS = [p.email for p in PEOPLE]
Drafts = list[tuple[Person, Path]]


def write_drafts(folder: Path, pack: bytes = b"%PDF-1.4\n% pack\n") -> Drafts:
    """One draft per person, as the welcome command writes them (a stand-in PDF)."""
    text, html = environment(), environment(html=True)
    drafts = []
    for person in PEOPLE:
        eml = folder / person.folder / f"bienvenue-{person.slug}.eml"
        eml.parent.mkdir(parents=True, exist_ok=True)
        data = pack + person.email.encode()
        write_eml(draft(text, SETTINGS, person, eml.with_suffix(".pdf").name, data, html), eml)
        drafts.append((person, eml))
    return drafts


@pytest.fixture
def drafts(tmp_path: Path) -> Drafts:
    return write_drafts(tmp_path / "welcome")


def plain(port: int) -> Server:
    return Server(HOST, port, security="none")


def run(
    drafts: Drafts,
    server: Server,
    credentials: Login | None = None,
    *,
    resend: Sequence[str] = (),
    test_to: str | None = None,
) -> tuple[Plan, SendReport, Diagnostics]:
    """One `welcome --send --yes`: the plan from the journal, then the sending."""
    diag = Diagnostics()
    folder = drafts[0][1].parents[1]
    with Journal(journal_path(folder)) as journal:
        todo = plan(read_drafts(drafts, journal), resend=resend, test_to=test_to)
        report = send(todo, server, credentials, journal, diag)
    return todo, report, diag


def states(drafts: Drafts) -> dict[str, str]:
    """Each person's last state in the journal, as --status words it."""
    with Journal(journal_path(drafts[0][1].parents[1])) as journal:
        return {p.email: (e.shown if (e := journal.last(p.email)) else "-") for p, _ in drafts}


def exactly_once(handler: Counting, emails: Sequence[str] = EMAILS) -> None:
    assert sorted(a for r in handler.accepted for a in r.rcpt) == sorted(emails)


# --- the journal ---


def test_each_message_goes_once_and_a_rerun_sends_nothing(drafts: Drafts) -> None:
    handler = Counting()
    with serve(handler, auth=False) as port:
        todo, report, diag = run(drafts, plain(port))
        assert (len(todo.send), len(report.sent), diag.items) == (4, 4, [])
        again, report, _ = run(drafts, plain(port))
    assert (again.send, report.sent) == ((), [])
    assert len(again.kept) == 4
    assert all(why.startswith("sent ") for _, why in again.kept)
    exactly_once(handler)
    with Journal(journal_path(drafts[0][1].parents[1])) as journal:
        entries = journal.entries()
    assert [e.state for e in entries] == ["sent"] * 4
    assert [e.answer for e in entries] == [f"250 2.0.0 Ok: queued as Q{n}" for n in range(1, 5)]
    assert [e.message_id for e in entries] == [r.message_id for r in handler.accepted]
    for received in handler.accepted:
        check_sent(received.message, received.mail_from)


def check_sent(message: EmailMessage, mail_from: str) -> None:
    assert mail_from == "it@groupehautier.fr"
    assert message["Date"]
    assert message["Message-ID"].endswith("@groupehautier.fr>")
    assert message["X-Unsent"] is None
    assert message["Reply-To"].addresses[0].addr_spec == "assistance@groupehautier.fr"
    assert next(message.iter_parts()).get_content_type() == "multipart/alternative"
    assert message.get_body(("html",)) is not None
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename().startswith("bienvenue-")


def test_a_refused_recipient_fails_alone_and_is_tried_again(drafts: Drafts) -> None:
    handler = Counting(refuse={"jean@groupehautier.fr"})
    with serve(handler, auth=False) as port:
        _, report, diag = run(drafts, plain(port))
        assert ([d.person.email for d in report.failed], len(report.sent)) == ([EMAILS[1]], 3)
        (error,) = diag.errors
        assert "not sent to Jean Dupont <jean@groupehautier.fr>: 550 5.1.1" in error.message
        assert states(drafts)[EMAILS[1]] == "failed"
        handler.refuse.clear()  # the mailbox was created: the re-run sends that one only
        todo, report, _ = run(drafts, plain(port))
    assert [d.person.email for d in todo.send] == [EMAILS[1]]
    exactly_once(handler)
    assert set(states(drafts).values()) == {"sent"}


def test_a_session_closed_after_two_messages_resumes_with_the_third(drafts: Drafts) -> None:
    handler = Counting(close_after=2)
    with serve(handler, auth=False) as port:
        _, report, _ = run(drafts, plain(port))
    assert (len(report.sent), len(report.failed)) == (2, 1)
    assert report.stopped.startswith("the server closed the session: 421 4.7.0")
    assert list(states(drafts).values()) == ["sent", "sent", "failed", "-"]
    handler.close_after = None
    with serve(handler, auth=False) as port:
        todo, report, _ = run(drafts, plain(port))
    assert [d.person.email for d in todo.send] == EMAILS[2:]
    assert report.stopped == ""
    exactly_once(handler)


def test_a_connection_dropped_before_mail_resumes(drafts: Drafts) -> None:
    handler = Counting()
    with serve(handler, auth=False) as port:
        server = plain(port)
        calls = {"n": 0}
        real = smtp_module.envelope

        def drop_on_third(client: object, sender: str, recipient: str) -> None:
            calls["n"] += 1
            if calls["n"] == 3:
                client.sock.shutdown(socket.SHUT_RDWR)  # type: ignore[attr-defined]
            real(client, sender, recipient)  # type: ignore[arg-type]

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("builder.welcome.delivery.envelope", drop_on_third)
            _, report, _ = run(drafts, server)
        assert report.stopped.startswith(f"the connection to {HOST} was lost")
        assert list(states(drafts).values()) == ["sent", "sent", "failed", "-"]
        run(drafts, server)
    exactly_once(handler)


def test_ctrl_c_before_the_message_is_handed_over_leaves_it_unsent(drafts: Drafts) -> None:
    handler = Counting()
    real = smtp_module.envelope
    calls = {"n": 0}

    def interrupted_on_second(client: object, sender: str, recipient: str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        real(client, sender, recipient)  # type: ignore[arg-type]

    with serve(handler, auth=False) as port:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("builder.welcome.delivery.envelope", interrupted_on_second)
            with pytest.raises(KeyboardInterrupt):
                run(drafts, plain(port))
        assert list(states(drafts).values()) == ["sent", "failed", "-", "-"]
        with Journal(journal_path(drafts[0][1].parents[1])) as journal:
            assert "interrupted before the message was handed over" in status(drafts, journal)[1]
        run(drafts, plain(port))
    exactly_once(handler)


def test_a_reply_lost_during_data_is_unknown_and_not_sent_again(drafts: Drafts) -> None:
    handler = Counting(lose_reply_after=1)  # the second message is kept, its 250 lost
    with serve(handler, auth=False) as port:
        _, report, diag = run(drafts, plain(port))
        assert ([d.person.email for d in report.unknown], len(report.sent)) == ([EMAILS[1]], 1)
        assert "unknown whether Jean Dupont" in diag.errors[0].message
        assert list(states(drafts).values()) == ["sent", "unknown", "-", "-"]
        handler.lose_reply_after = None
        todo, _, _ = run(drafts, plain(port))
        assert [d.person.email for d in todo.send] == EMAILS[2:]
        (kept,) = [why for d, why in todo.kept if d.person.email == EMAILS[1]]
        assert kept.startswith("unknown since")
        assert "handed over" in kept
        exactly_once(handler)  # Jean has his message once: the journal did not guess
        todo, _, _ = run(drafts, plain(port), resend=[EMAILS[1]])  # IT checked: resend it
    assert [d.person.email for d in todo.send] == [EMAILS[1]]
    assert len(handler.received(EMAILS[1])) == 2
    assert set(states(drafts).values()) == {"sent"}


CRASH = """
import json, os, sys
from pathlib import Path
from builder.welcome.journal import Journal, journal_path
from builder.welcome.people import Person
from builder.welcome.delivery import plan, read_drafts, send
from builder.welcome.smtp import Server
from builder.diagnostics import Diagnostics

# The crash: after the server accepted the message, before the journal says so.
Journal.sent = lambda self, row, answer: os._exit(3)
given = json.loads(sys.argv[1])
drafts = [(Person(**p), Path(eml)) for p, eml in given["drafts"]]
with Journal(journal_path(Path(given["folder"]))) as journal:
    todo = plan(read_drafts(drafts, journal))
    send(todo, Server("127.0.0.1", given["port"], security="none"), None, journal, Diagnostics())
"""


def test_a_crash_between_accepted_and_journalled_ends_as_unknown(drafts: Drafts) -> None:
    handler = Counting()
    folder = drafts[0][1].parents[1]
    with serve(handler, auth=False) as port:
        people = [({**vars(p), "devices": list(p.devices)}, str(eml)) for p, eml in drafts]
        given = json.dumps({"drafts": people, "folder": str(folder), "port": port})
        done = subprocess.run(
            [sys.executable, "-c", CRASH, given], cwd=ROOT, capture_output=True, timeout=60
        )
        assert done.returncode == 3, done.stderr.decode()
        assert len(handler.accepted) == 1  # the server has Zoé's message...
        assert list(states(drafts).values()) == ["unknown", "-", "-", "-"]  # ...not sure here
        todo, report, _ = run(drafts, plain(port))  # the re-run
    assert [d.person.email for d in todo.send] == EMAILS[1:]
    assert len(report.sent) == 3
    exactly_once(handler)
    with Journal(journal_path(folder)) as journal:
        lines = status(drafts, journal)
    assert lines[0].startswith("201  Zoé Bœuf <zoe@groupehautier.fr>: unknown since ")
    assert lines[1].startswith("202  Jean Dupont <jean@groupehautier.fr>: sent ")


def test_a_changed_pack_is_reported_not_resent(drafts: Drafts, tmp_path: Path) -> None:
    handler = Counting()
    with serve(handler, auth=False) as port:
        run(drafts, plain(port))
        changed = write_drafts(tmp_path / "welcome", pack=b"%PDF-1.4\n% new manual\n")
        todo, _, _ = run(changed, plain(port))
        assert todo.send == ()
        assert all(d.changed and why.endswith("; changed since") for d, why in todo.kept)
        with Journal(journal_path(tmp_path / "welcome")) as journal:
            line = status(changed, journal)[0]
        assert "the draft changed since: not sent again unless --resend" in line
        exactly_once(handler)
        todo, report, _ = run(changed, plain(port), resend=["all"])
    assert len(report.sent) == 4
    assert len(handler.accepted) == 8  # asked for: everyone has the new pack too


def test_test_to_sends_the_first_pack_to_the_tester_only(drafts: Drafts) -> None:
    handler = Counting()
    with serve(handler, auth=False) as port:
        _, report, _ = run(drafts, plain(port), test_to="me@groupehautier.fr")
        assert len(report.sent) == 1
        (test,) = handler.accepted
        assert test.rcpt == ("me@groupehautier.fr",)
        assert str(test.message["To"]) == "me@groupehautier.fr"
        assert str(test.message["Subject"]).startswith("[test] ")
        assert set(states(drafts).values()) == {"-"}  # a test is nobody's message
        with Journal(journal_path(drafts[0][1].parents[1])) as journal:
            (entry,) = journal.entries(test=True)
            assert (entry.recipient, entry.person) == ("me@groupehautier.fr", EMAILS[0])
            assert status(drafts, journal)[-1].startswith(
                "test for Zoé Bœuf, to me@groupehautier.fr: sent "
            )
        _todo, report, _ = run(drafts, plain(port))
    assert len(report.sent) == 4
    exactly_once(handler, [*EMAILS, "me@groupehautier.fr"])


def test_an_unreadable_journal_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "envois.sqlite"
    path.write_bytes(b"not a database at all, but long enough to be read as one" * 20)
    with pytest.raises(OutputError, match="send journal is unreadable"):
        Journal(path)


def test_a_link_in_place_of_the_journal_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.sqlite"
    elsewhere.write_bytes(b"")
    link = tmp_path / "welcome" / "envois.sqlite"
    link.parent.mkdir()
    link.symlink_to(elsewhere)
    Journal(link).close()
    assert not link.is_symlink()
    assert elsewhere.read_bytes() == b""


# --- the server: TLS and logins ---


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


def test_starttls_with_a_private_ca_and_auth_login(
    drafts: Drafts, certificates: Certificates
) -> None:
    handler = Counting()
    with serve(handler, security="starttls", tls=certificates.server, exclude=("PLAIN",)) as port:
        server = Server(HOST, port, "starttls", USER, cafile=certificates.ca)
        _, report, _ = run(drafts, server, Login(USER, PASSWORD))
    assert len(report.sent) == 4
    assert handler.logins == [("LOGIN", USER)]
    exactly_once(handler)


def test_smtps_with_auth_plain(drafts: Drafts, certificates: Certificates) -> None:
    handler = Counting()
    with serve(handler, security="ssl", tls=certificates.server, exclude=("LOGIN",)) as port:
        server = Server(HOST, port, "ssl", USER, cafile=certificates.ca)
        _, report, _ = run(drafts, server, Login(USER, PASSWORD))
    assert (len(report.sent), handler.logins) == (4, [("PLAIN", USER)])


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_an_untrusted_certificate_stops_before_anything_is_sent(
    drafts: Drafts, certificates: Certificates, security: str
) -> None:
    handler = Counting()
    with serve(handler, security=security, tls=certificates.server) as port:
        with pytest.raises(OutputError, match=f"the certificate of {HOST} is not trusted") as e:
            run(drafts, Server(HOST, port, security, USER), Login(USER, PASSWORD))
    assert e.value.hint == "for a private CA, set cafile in [smtp] to its PEM file"
    assert handler.accepted == []
    assert handler.logins == []
    assert set(states(drafts).values()) == {"-"}


def test_starttls_is_never_skipped(drafts: Drafts) -> None:
    with serve(Counting(), auth=False) as port:
        with pytest.raises(OutputError, match="does not offer STARTTLS"):
            run(drafts, Server(HOST, port, "starttls"))


def test_a_wrong_password_is_one_clear_error(drafts: Drafts) -> None:
    with serve(Counting()) as port:
        with pytest.raises(OutputError, match=f"SMTP login refused for {USER}: 535"):
            run(drafts, Server(HOST, port, "none", USER), Login(USER, "wrong"))


@pytest.mark.parametrize("token", [TOKEN, "expired"])
def test_xoauth2(drafts: Drafts, token: str) -> None:
    handler = Counting()
    with serve(handler, auth=True, exclude=("LOGIN", "PLAIN")) as port:
        server = Server(HOST, port, "none", USER, auth="xoauth2")
        credentials = login(server, environ={"GUIDEPRINT_SMTP_TOKEN": token})
        assert credentials is not None
        assert credentials.xoauth2
        if token != TOKEN:
            with pytest.raises(OutputError, match="SMTP login refused") as caught:
                run(drafts, server, credentials)
            assert "GUIDEPRINT_SMTP_TOKEN" in (caught.value.hint or "")
            return
        _, report, _ = run(drafts, server, credentials)
    assert (len(report.sent), handler.logins) == (4, [("XOAUTH2", USER)])


def test_xoauth2_token_from_token_command() -> None:
    command = (sys.executable, "-c", f"print('  {TOKEN}  ')")
    server = Server(HOST, 25, "none", USER, auth="xoauth2", token_command=command)
    found = login(server, environ={})
    assert found == Login(USER, TOKEN, xoauth2=True)
    assert TOKEN not in repr(found)
    failing = Server(HOST, 25, "none", USER, "xoauth2", token_command=(sys.executable, "-c", "1/0"))
    with pytest.raises(ConfigError, match=r"'smtp\.token_command' gave no token: ZeroDivision"):
        login(failing, environ={})
    with pytest.raises(InputError, match="no OAuth2 access token"):
        login(Server(HOST, 25, "none", USER, auth="xoauth2"), environ={})


# --- where the password comes from ---


def test_password_from_the_environment_first() -> None:
    server = Server(HOST, 587, "starttls", USER)
    found = login(server, environ={"GUIDEPRINT_SMTP_PASSWORD": "env"}, interactive=True)
    assert found == Login(USER, "env")
    assert "env" not in repr(found) + server.describe()
    assert login(Server(HOST, 587), environ={}) is None  # no username: no login


def test_password_from_the_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = {("guideprint-smtp", USER): "from-keyring"}
    fake = types.SimpleNamespace(get_password=lambda service, user: stored.get((service, user)))
    monkeypatch.setitem(sys.modules, "keyring", fake)
    found = login(Server(HOST, 587, "starttls", USER), environ={}, interactive=False)
    assert found == Login(USER, "from-keyring")


def test_password_asked_on_a_terminal_else_a_clear_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # not installed
    server = Server("smtp.office365.com", 587, "starttls", USER)
    asked: list[str] = []
    found = login(server, environ={}, interactive=True, ask=lambda q: asked.append(q) or "typed")
    assert found == Login(USER, "typed")
    assert asked == [f"SMTP password for {USER} at smtp.office365.com: "]
    with pytest.raises(InputError, match=f"no SMTP password for {USER}") as caught:
        login(server, environ={}, interactive=False)
    assert "set GUIDEPRINT_SMTP_PASSWORD" in (caught.value.hint or "")
    assert "pip install keyring" in (caught.value.hint or "")


def test_no_login_in_clear_text_to_a_remote_server() -> None:
    with pytest.raises(InputError, match=r"unencrypted to smtp\.example\.fr"):
        login(
            Server("smtp.example.fr", 25, "none", USER), environ={"GUIDEPRINT_SMTP_PASSWORD": "x"}
        )


# --- [smtp] in guideprint.toml ---


def settings_of(tmp_path: Path, text: str) -> Settings:
    (tmp_path / "guideprint.toml").write_text(text, encoding="utf-8")
    return load_settings(tmp_path)


def test_smtp_settings(tmp_path: Path) -> None:
    text = '[smtp]\nhost = "smtp.office365.com"\nusername = "it@x.fr"\ncafile = "ca.pem"\n'
    settings = settings_of(tmp_path, text)
    assert settings.smtp == SmtpSettings(
        host="smtp.office365.com", username="it@x.fr", cafile="ca.pem"
    )
    server = server_from_settings(settings, tmp_path)
    assert (server.port, server.security, server.cafile) == (587, "starttls", tmp_path / "ca.pem")
    assert server.describe() == "smtp.office365.com:587 (STARTTLS, CA ca.pem, login it@x.fr)"
    ssl_server = server_from_settings(settings, tmp_path, security="ssl", host="127.0.0.1")
    assert (ssl_server.host, ssl_server.port) == ("127.0.0.1", 465)
    with pytest.raises(ConfigError, match="no mail server"):
        server_from_settings(Settings(), tmp_path)


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ('[smtp]\npassword = "hunter2"\n', "unknown key 'smtp.password'", "never go in"),
        ('[smtp]\nhots = "x"\n', "unknown key 'smtp.hots'", "did you mean 'host'?"),
        ('[smtp]\nsecurity = "tls"\n', "invalid value for 'smtp.security'", "starttls or ssl"),
        ('[smtp]\nauth = "oauth"\n', "invalid value for 'smtp.auth'", "xoauth2"),
        ("[smtp]\nport = 99999\n", "invalid value for 'smtp.port'", "1 to 65535"),
    ],
)
def test_bad_smtp_settings(tmp_path: Path, text: str, message: str, hint: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        settings_of(tmp_path, text)
    assert hint in (caught.value.hint or "")
    assert caught.value.line == 2
