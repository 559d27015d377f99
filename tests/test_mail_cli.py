"""`guideprint welcome` as IT runs it, in-process on a copy of the project, against an
aiosmtpd server on 127.0.0.1: nothing sent while the CSV has errors, --skip-invalid,
re-runs that send nothing, --resend, --test-to, --status, the usage errors, --help."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pikepdf
import pytest
from cardpdf import assert_tagged
from clirun import cli
from test_mail_server import HOST, PASSWORD, USER, Counting, make_certificates, serve

from builder.welcome.people import ALIASES

HEADER = "Prénom;Nom;Courriel;N° de poste;Appareils"
ROWS = [
    "Zoé;Bœuf;zoe@groupehautier.fr;201;vpn",
    "Jean;Sans-Courriel;;202;vpn",
    "Marie;Curie;marie@groupehautier.fr;203;vpn",
]


def project(copy: Path, port: int, rows: list[str] = ROWS) -> Path:
    """The copy with its [smtp] table aimed at the test server and a users.csv."""
    with (copy / "guideprint.toml").open("a", encoding="utf-8") as settings:
        settings.write(f'\n[smtp]\nhost = "{HOST}"\nport = {port}\nsecurity = "none"\n')
    (copy / "users.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return copy


def welcome(copy: Path, *options: str) -> tuple[int, str, str]:
    return cli(["welcome", "users.csv", "--jobs", "1", *options], copy)


def test_nothing_is_sent_while_the_csv_has_errors_then_skip_invalid(copy: Path) -> None:
    handler = Counting()
    with serve(handler, auth=False) as port:
        project(copy, port)
        code, _, err = welcome(copy, "--send", "--yes")
        assert code == 1
        assert "users.csv:3: Jean Sans-Courriel: missing email (fill in the email column)" in err
        assert "error: " in err
        assert "1 row(s) with errors: nothing sent" in err
        assert handler.accepted == []
        assert not (copy / "out" / "welcome").exists()  # checked before anything was built

        code, _, err = welcome(copy, "--send", "--yes", "--skip-invalid")
        assert code == 0, err
        assert "warning: users.csv:3: Jean Sans-Courriel: missing email" in err
        assert "2 pack(s) written" in err
        assert [line for line in err.splitlines() if " sent in " in line] == [
            next(line for line in err.splitlines() if line.startswith("2 sent in "))
        ]  # one summary line for the sending
        assert "[####" not in err  # no progress bar when not on a terminal
        assert sorted(r.rcpt for r in handler.accepted) == [
            ("marie@groupehautier.fr",),
            ("zoe@groupehautier.fr",),
        ]
        zoe = next(r.message for r in handler.accepted if r.rcpt == ("zoe@groupehautier.fr",))
        text = zoe.get_body(("plain",))
        assert text is not None
        assert "Bonjour Zoé," in text.get_content()
        attachment, guide = zoe.iter_attachments()
        assert attachment.get_filename() == "bienvenue-zoe-boeuf.pdf"
        assert guide.get_filename() == "guide-utilisateur.pdf"

        code, _, err = welcome(copy, "--send", "--yes", "--skip-invalid")  # the re-run
        assert code == 0, err
        assert "nothing to send: 2 already sent or unknown" in err
        assert "changed since" not in err  # packs made again are the same: not "changed"
        assert "(0 made, 2 up to date)" in err  # nor made again: nothing of them changed
        assert len(handler.accepted) == 2

        code, out, _ = cli(["welcome", "users.csv", "--status"], copy)
        assert code == 1  # the bad row is still an error
        lines = out.strip().splitlines()
        assert lines[0].startswith("201  Zoé Bœuf <zoe@groupehautier.fr>: sent ")
        assert "(250 2.0.0 Ok: queued as Q" in lines[0]
        assert len(lines) == 2

        code, _, err = welcome(copy, "--send", "--yes", "--skip-invalid", "--resend", "Zoé Bœuf")
        assert code == 0, err
        assert len(handler.received("zoe@groupehautier.fr")) == 2
        assert len(handler.received("marie@groupehautier.fr")) == 1


def test_test_to_then_confirmation(copy: Path) -> None:
    handler = Counting()
    with serve(handler, auth=False) as port:
        project(copy, port, [ROWS[0], ROWS[2]])
        code, _, err = welcome(copy, "--test-to", "me@groupehautier.fr")
        assert code == 0, err
        assert "1 pack(s) written" in err  # the first person's only
        (test,) = handler.accepted
        assert test.rcpt == ("me@groupehautier.fr",)
        code, out, _ = cli(["welcome", "users.csv", "--status"], copy)
        assert code == 0
        assert out.splitlines()[0] == "201  Zoé Bœuf <zoe@groupehautier.fr>: drafted, not sent"
        assert "no draft" in out.splitlines()[1]  # only the test's pack was made
        assert out.splitlines()[2].startswith("test for Zoé Bœuf, to me@groupehautier.fr: sent ")

        code, _, err = welcome(copy, "--send")  # the test did not count: both are to send
        assert code == 1
        assert f"2 email(s) to send via {HOST}:{port} (no encryption, no login):" in err
        assert "  Zoé Bœuf <zoe@groupehautier.fr>" in err
        assert "error: nothing sent (add --yes to send these emails)" in err
        assert len(handler.accepted) == 1


def test_a_session_closed_by_the_server_resumes_on_the_next_run(copy: Path) -> None:
    handler = Counting(close_after=1)
    with serve(handler, auth=False) as port:
        project(copy, port, [ROWS[0], ROWS[2]])
        code, _, err = welcome(copy, "--send", "--yes")
        assert code == 1
        assert (
            "error: the server closed the session: 421 4.7.0 Too many messages in this session, "
            "closing (1 of 2 sent; run the same command again for the rest)"
        ) in err
        code, out, _ = cli(["welcome", "users.csv", "--status"], copy)
        assert ": failed " in out.splitlines()[1]
        assert "421 4.7.0" in out.splitlines()[1]
        code, _, err = welcome(copy, "--send", "--yes")
        assert code == 0, err
        assert "1 sent, 1 not sent again in " in err
    assert sorted(r.rcpt for r in handler.accepted) == [
        ("marie@groupehautier.fr",),
        ("zoe@groupehautier.fr",),
    ]


def test_starttls_with_a_private_ca_and_the_password_from_the_environment(
    copy: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    certificates = make_certificates(tmp_path_factory.mktemp("tls"))
    (copy / "certs").mkdir()
    (copy / "certs" / "ca.pem").write_bytes(certificates.ca.read_bytes())  # outside the roots
    monkeypatch.setenv("GUIDEPRINT_SMTP_PASSWORD", PASSWORD)
    handler = Counting()
    with serve(handler, security="starttls", tls=certificates.server) as port:
        project(copy, port, [ROWS[0]])
        settings = (copy / "guideprint.toml").read_text(encoding="utf-8")
        settings = settings.replace('security = "none"\n', "")
        settings += f'username = "{USER}"\ncafile = "certs/ca.pem"\n'
        (copy / "guideprint.toml").write_text(settings, encoding="utf-8")
        code, _, err = welcome(copy, "--send", "--yes")
    assert code == 0, err
    assert handler.logins == [("PLAIN", USER)]
    assert [r.rcpt for r in handler.accepted] == [("zoe@groupehautier.fr",)]
    assert PASSWORD not in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--resend", "all"], "--resend needs --send"),
        (["--status", "--send"], "--status sends nothing"),
        (["--test-to", "me@x"], "--test-to: not an email address: 'me@x'"),
        (["--test-to", "me@x.fr", "--send"], "--test-to sends one test only"),
        (["--send", "--resend", "Zoe Boeuf"], "--resend 'Zoe Boeuf': no such person in users.csv"),
    ],
)
def test_usage_errors(copy: Path, options: list[str], message: str) -> None:
    project(copy, 25, [ROWS[0]])
    code, _, err = welcome(copy, *options)
    assert code == 2, err
    assert message in err
    assert err.startswith("usage: guideprint welcome")


def test_help_documents_the_columns(copy: Path) -> None:
    code, out, _ = cli(["welcome", "--help"], copy)
    assert code == 0
    for name in ALIASES:
        assert f"\n  {name} " in out
    journal = ".guideprint/envois.sqlite"
    for header in ("Prénom", "Nom", "Courriel", "N° de poste", "Poste", journal):
        assert header in out


def test_packs_go_out_tagged_and_are_made_again_only_when_changed(
    copy: Path, tmp_path: Path
) -> None:
    """The real renderer: each attachment PDF/UA-1 (pdfua, and read back); a re-run makes
    nothing; a card edited makes the packs holding it; a row edited, that person's."""
    rows = ["Zoé;Bœuf;zoe@groupehautier.fr;201;vpn", "Marie;Curie;marie@gh.fr;203;yealink"]
    (copy / "users.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    code, _, err = welcome(copy)
    assert code == 0, err
    assert "2 pack(s) written" in err
    assert "(2 made, 0 up to date)" in err
    folder = copy / "out" / "welcome"
    zoe, marie = folder / "201-zoe-boeuf", folder / "203-marie-curie"
    message = read_message(zoe / "bienvenue-zoe-boeuf.eml")
    for part in message.iter_attachments():
        pdf = tmp_path / str(part.get_filename())
        pdf.write_bytes(part.get_content())
        assert_tagged(pdf, "fr")
        with pikepdf.open(pdf) as doc:
            title = str(doc.docinfo.Title)
            assert doc.open_metadata()["dc:title"] == title
            assert doc.Root.ViewerPreferences.DisplayDocTitle is True
    assert title == "Téléphonie 3CX — guide utilisateur"  # the manual's, last
    with pikepdf.open(zoe / "bienvenue-zoe-boeuf.pdf") as doc:
        assert str(doc.docinfo.Title).endswith("— fiches de Zoé Bœuf")
    stamps = {p: p.stat().st_mtime_ns for p in (*zoe.iterdir(), *marie.iterdir())}

    code, _, err = welcome(copy)
    assert "(0 made, 2 up to date)" in err, err
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps

    with (copy / "content" / "cards" / "yealink.md").open("a", encoding="utf-8") as card:
        card.write("\n<!-- edited -->\n")
    code, _, err = welcome(copy)
    assert "(1 made, 1 up to date)" in err, err
    changed = {p for p in stamps if p.stat().st_mtime_ns != stamps[p]}
    assert changed == set(marie.iterdir())

    rows[0] = rows[0].replace("Zoé;", "Zoë;")
    (copy / "users.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    code, _, err = welcome(copy)
    assert "(1 made, 1 up to date)" in err, err
    text = read_message(zoe / "bienvenue-zoe-boeuf.eml").get_body(("plain",))
    assert text is not None
    assert "Bonjour Zoë," in text.get_content()


def read_message(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message
