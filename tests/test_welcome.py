"""Welcome packs: CSV reading and checks, packs read back, drafts parsed back, SMTP."""

from __future__ import annotations

import email
import html
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import weasyprint  # type: ignore[import-untyped]
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pypdf import PdfReader
from pypdf.generic import Destination

from builder.config import Helpdesk, Settings, Urls, WelcomeSettings
from builder.diagnostics import Diagnostics
from builder.errors import ConfigError, GuideError, InputError, RenderError
from builder.welcome import (
    MAX_PACK_BYTES,
    WelcomeResult,
    read_people,
    run_welcome,
    send,
    send_summary,
    slugify,
    smtp_from_env,
)
from builder.welcome.people import Person

FIXTURES = Path(__file__).parent / "fixtures" / "welcome"
KNOWN = ("yealink", "smartphone", "vpn", "webclient", "desktop")
GOOD = {
    "201": "Zoé O'Brien",
    "202": '<b>Jean</b> "JJ" Dupont',
    "203": "Marie-Christine de La Rochefoucauld-Montmorency-Laval",
}
MANUAL_CHAPTERS = ("Premiers pas", "Poste Yealink", "Client web")
SETTINGS = Settings(
    title="Téléphonie 3CX — guide utilisateur",
    organisation="Groupe Hautier",
    language="fr",
    urls=Urls(webclient="https://groupehautier.my3cx.fr:5001/webclient"),
    helpdesk=Helpdesk(name="Service informatique", email="it@groupehautier.fr", extension="100"),
    welcome=WelcomeSettings(
        sender="Service informatique <it@groupehautier.fr>",
        subject="Bienvenue au Groupe Hautier : votre téléphonie 3CX",
    ),
)


# --- a stand-in renderer: tiny real PDFs (module level: pickled into worker processes) ---


class FakeRenderer:
    """Cards carrying the person's name and extension; a manual made beforehand."""

    def __init__(self, manual: Path, fail_for: str) -> None:
        self.manual = manual
        self.fail_for = fail_for

    def cards_for(self, person: Person, out_dir: Path) -> list[Path]:
        """Write one small PDF per device."""
        if person.extension == self.fail_for:
            raise RenderError("card 'yealink' does not fit", hint="1.2 mm over")
        cards = []
        for device in person.devices:
            text = f"{html.escape(person.name)} — Poste {html.escape(person.extension)}"
            page = f"<title>Fiche {device}</title><style>@page {{size: A5 landscape}}</style>"
            target = out_dir / f"{device}.pdf"
            weasyprint.HTML(string=f"{page}<h1>{device}</h1><p>{text}</p>").write_pdf(target)
            cards.append(target)
        return cards

    def manual_pdf(self) -> Path:
        """The manual made by the fixture."""
        return self.manual


def fake_factory(diag: Diagnostics, manual: str, fail_for: str = "") -> FakeRenderer:
    """Picklable factory, as the real one must be."""
    if fail_for == "start":
        raise RenderError("missing font NotoSans-Regular.ttf", hint="run 'make setup'")
    return FakeRenderer(Path(manual), fail_for)


def write_manual(target: Path) -> Path:
    """A 3-page manual whose headings make a nested outline."""
    pages = "".join(
        f'<h1 style="break-before: page">{title}</h1><h2>Section {n}</h2><p>Texte {n}.</p>'
        for n, title in enumerate(MANUAL_CHAPTERS, 1)
    )
    weasyprint.HTML(string=f"<title>Guide</title>{pages}").write_pdf(target)
    return target


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_manual(tmp_path_factory.mktemp("manual") / "manual.pdf")


@pytest.fixture(scope="module")
def build_run(
    manual: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[WelcomeResult, Diagnostics]:
    """The fixture CSV (3 good rows, 2 bad) built over two worker processes."""
    out = tmp_path_factory.mktemp("out")
    diag = Diagnostics()
    result = run_welcome(
        FIXTURES / "users.csv",
        SETTINGS,
        known_cards=KNOWN,
        out=out,
        factory=fake_factory,
        factory_args=(str(manual),),
        diag=diag,
        jobs=2,
    )
    return result, diag


@pytest.fixture
def built(build_run: tuple[WelcomeResult, Diagnostics]) -> WelcomeResult:
    return build_run[0]


def read(csv_text: str, tmp_path: Path, encoding: str = "utf-8", **welcome: Any) -> Any:
    path = tmp_path / "users.csv"
    path.write_bytes(csv_text.encode(encoding))
    diag = Diagnostics()
    settings = Settings(welcome=WelcomeSettings(**welcome))
    return read_people(path, settings, KNOWN, diag), diag


def flat(text: str) -> str:
    return " ".join(text.split())


# --- CSV ---


@pytest.mark.parametrize(
    ("encoding", "header", "sep"),
    [
        ("utf-8", "name,email,extension,devices,department", ","),
        ("utf-8-sig", "Nom;E-mail;Poste;Appareils;Service", ";"),
        ("cp1252", "NOM;Courriel;Extension;appareils;SERVICE", ";"),
        ("cp1252", "Nom,Adresse e-mail,Numéro de poste,Appareils,Service", ","),
        ("utf-16", "Nom\tCourriel\tPoste\tAppareils\tService", "\t"),
    ],
)
def test_csv_encodings_separators_and_french_headers(
    tmp_path: Path, encoding: str, header: str, sep: str
) -> None:
    rows = [header, sep.join(["Zoé Lefèvre", "zoe@x.fr", "201", "vpn", "Comptabilité"])]
    roster, diag = read("\r\n".join(rows) + "\r\n", tmp_path, encoding)
    assert diag.items == []
    (person,) = roster.people
    assert (person.name, person.email, person.extension) == ("Zoé Lefèvre", "zoe@x.fr", "201")
    assert (person.devices, person.department, person.row) == (("vpn",), "Comptabilité", 2)


def test_first_and_last_name_columns_are_joined(tmp_path: Path) -> None:
    roster, _ = read("Prénom;Nom;Email;Poste\nZoé;Lefèvre;zoe@x.fr;201\n", tmp_path)
    assert roster.people[0].name == "Zoé Lefèvre"


def test_devices_split_on_any_separator_and_default_to_settings(tmp_path: Path) -> None:
    text = 'name,email,extension,devices\nA,a@x.fr,201,"Yealink, vpn|smartphone;vpn  desktop"\n'
    text += "B,b@x.fr,202,\n"
    roster, diag = read(text, tmp_path, default_devices=("webclient",))
    assert diag.items == []
    assert roster.people[0].devices == ("yealink", "vpn", "smartphone", "desktop")
    assert roster.people[1].devices == ("webclient",)
    roster, _ = read(text, tmp_path)
    assert roster.people[1].devices == KNOWN


@pytest.mark.parametrize(
    ("row", "message", "hint"),
    [
        ("Ann,,202,", "missing email", "fill in"),
        ("Ann,ann@x,202,", "malformed email 'ann@x'", "prenom.nom@"),
        ("Ann,ann dupont@x.fr,202,", "malformed email", None),
        ("Ann,ann@x.fr,2020,", "extension '2020' does not match", r"^\d{3}$"),
        ("Ann,ann@x.fr,,", "missing extension", None),
        ("Ann,ann@x.fr,201,", "duplicate extension '201'", "already on row 2"),
        ("Ann,ZOE@x.fr,202,", "duplicate email 'ZOE@x.fr'", "already on row 2"),
        ("Ann,ann@x.fr,202,yalink", "unknown device 'yalink'", "did you mean 'yealink'?"),
        (",ann@x.fr,202,", "missing name", None),
        ('"Ann\nBcc: x@evil.fr",ann@x.fr,202,', "contains a line break", None),
    ],
)
def test_each_bad_row_is_reported_with_its_row_number(
    tmp_path: Path, row: str, message: str, hint: str | None
) -> None:
    text = f"name,email,extension,devices\nZoé,zoe@x.fr,201,vpn\n\n{row}\n"
    roster, diag = read(text, tmp_path)
    assert [p.name for p in roster.people] == ["Zoé"]
    assert roster.rejected == 1
    (error,) = diag.errors
    assert (error.file, error.line) == (str(tmp_path / "users.csv"), 4)  # blank row 3 counts
    assert message in error.message
    if hint:
        assert hint in (error.hint or "")


def test_row_numbers_follow_records_not_lines(tmp_path: Path) -> None:
    text = 'name,email,extension,department\nA,a@x.fr,201,"two\nlines"\nB,b@x,202,\n'
    _, diag = read(text, tmp_path)
    assert [e.line for e in diag.errors] == [3]


def test_missing_column_is_one_clear_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read("Nom;Mail;Service\nZoé;zoe@x.fr;Compta\n", tmp_path)
    assert "missing column 'extension'" in str(caught.value)
    assert caught.value.line == 1
    assert "found 'Nom', 'Mail', 'Service'" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "empty file"), (b"PK\x03\x04rest", "Excel workbook"), (b"a\x81\x8d\x8f", "UTF-8")],
)
def test_unreadable_files(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "users.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message):
        read_people(path, SETTINGS, KNOWN, Diagnostics())


def test_unknown_default_device_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"welcome\.default_devices"):
        read("name,email,extension\n", tmp_path, default_devices=("yealnk",))


def test_slugs_are_ascii_and_bounded() -> None:
    assert slugify("Zoé O'Brien") == "zoe-o-brien"
    assert slugify('<b>Jean</b> "JJ"') == "b-jean-b-jj"
    assert slugify("李小龍") == "personne"
    assert len(slugify("x" * 200)) == 40
    assert slugify("Marie-Christine de La Rochefoucauld-Montmorency-Laval") == (
        "marie-christine-de-la-rochefoucauld"  # cut between words
    )


# --- packs and drafts (3 good rows + 2 bad, built in parallel) ---


def test_bad_rows_are_reported_and_counted(build_run: tuple[WelcomeResult, Diagnostics]) -> None:
    result, diag = build_run
    csv = str(FIXTURES / "users.csv")
    assert result.failed == 2
    assert diag.warnings == []
    errors = [(d.file, d.line, d.message) for d in diag.errors]
    assert errors == [
        (csv, 5, "malformed email 'paul.martin@groupehautier'"),
        (csv, 6, "extension '20' does not match the expected form"),
    ]


def test_three_packs_carry_name_extension_and_outline(built: WelcomeResult) -> None:
    assert sorted(o.person.extension for o in built.packs) == sorted(GOOD)
    for outcome in built.packs:
        assert outcome.pack is not None
        assert outcome.folder.name == f"{outcome.person.extension}-{outcome.person.slug}"
        assert outcome.pack.stat().st_size <= MAX_PACK_BYTES
        reader = PdfReader(outcome.pack)
        text = flat(" ".join(page.extract_text() for page in reader.pages))
        assert GOOD[outcome.person.extension] in text
        assert f"Poste {outcome.person.extension}" in text
        assert len(reader.pages) == len(outcome.person.devices) + len(MANUAL_CHAPTERS)
        check_outline(reader, outcome.person)
        assert reader.metadata is not None
        assert reader.metadata.title == f"{SETTINGS.title} — {outcome.person.name}"
        assert reader.metadata.author == "Groupe Hautier"


def check_outline(reader: PdfReader, person: Person) -> None:
    top = [i for i in reader.outline if isinstance(i, Destination)]
    assert [i.title for i in top] == [f"Fiche {d}" for d in person.devices] + ["Guide utilisateur"]
    cards = len(person.devices)
    assert [reader.get_destination_page_number(i) for i in top] == [*range(cards), cards]
    nested = reader.outline[-1]
    assert isinstance(nested, list)
    chapters = [i for i in nested if isinstance(i, Destination)]
    assert [i.title for i in chapters] == list(MANUAL_CHAPTERS)
    pages = [reader.get_destination_page_number(i) for i in chapters]
    assert pages == [cards, cards + 1, cards + 2]
    sections = [i for i in nested if isinstance(i, list)]
    assert len(sections) == len(MANUAL_CHAPTERS)  # the h2 levels kept under each chapter


def test_no_half_written_files_are_left(built: WelcomeResult) -> None:
    for outcome in built.packs:
        assert [p for p in outcome.folder.iterdir() if p.name.startswith(".")] == []


def test_three_drafts_parse_back_with_the_pack_attached(built: WelcomeResult) -> None:
    assert len(built.emls) == 3
    for outcome in built.packs:
        assert outcome.eml is not None
        assert outcome.pack is not None
        message = email.message_from_bytes(outcome.eml.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        (to,) = message["To"].addresses
        assert (to.display_name, to.addr_spec) == (outcome.person.name, outcome.person.email)
        assert message["Subject"] == SETTINGS.welcome.subject
        assert message["From"].addresses[0].addr_spec == "it@groupehautier.fr"
        check_body_and_attachment(message, outcome.person, outcome.pack)


def check_body_and_attachment(message: EmailMessage, person: Person, pack: Path) -> None:
    text = message.get_body(("plain",))
    assert text is not None
    content = text.get_content()
    assert f"Bonjour {person.name}," in content  # exactly as typed, <b> and quotes included
    for expected in (person.extension, person.email, SETTINGS.urls.webclient, "poste 100"):
        assert expected in content
    assert "provisioning" not in content.lower()
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == pack.name
    assert attachment.get_content() == pack.read_bytes()


def test_serial_build_reports_progress_removes_stale_and_isolates_failures(
    manual: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "welcome" / "201-zoe-o-brien" / "vpn.pdf"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old card")
    monkeypatch.setattr("builder.welcome.run.MAX_PACK_BYTES", 1000)
    seen: list[tuple[int, int]] = []
    diag = Diagnostics()
    result = run_welcome(
        FIXTURES / "users.csv",
        SETTINGS,
        known_cards=KNOWN,
        out=tmp_path,
        factory=fake_factory,
        factory_args=(str(manual), "202"),
        diag=diag,
        jobs=1,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert not stale.exists()
    assert result.failed == 3
    assert [o.person.extension for o in result.packs] == ["201", "203"]
    assert any("no pack for" in e.message and e.line == 3 for e in diag.errors)
    assert len([w for w in diag.warnings if w.message.startswith("pack is")]) == 2


def test_broken_sender_stops_before_any_render(manual: Path, tmp_path: Path) -> None:
    settings = Settings(welcome=WelcomeSettings(sender="not an address"))
    with pytest.raises(GuideError, match=r"welcome\.sender"):
        run_welcome(
            FIXTURES / "users.csv",
            settings,
            known_cards=KNOWN,
            out=tmp_path,
            factory=fake_factory,
            factory_args=(str(manual),),
            diag=Diagnostics(),
            jobs=1,
        )
    assert not (tmp_path / "welcome").exists()


def test_a_renderer_that_cannot_start_in_workers_is_one_clear_error(
    manual: Path, tmp_path: Path
) -> None:
    with pytest.raises(RenderError, match="missing font") as caught:
        run_welcome(
            FIXTURES / "users.csv",
            SETTINGS,
            known_cards=KNOWN,
            out=tmp_path,
            factory=fake_factory,
            factory_args=(str(manual), "start"),
            diag=Diagnostics(),
            jobs=2,
            manual=manual,
        )
    assert caught.value.hint == "run 'make setup'"


def test_missing_manual_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="manual not found"):
        run_welcome(
            FIXTURES / "users.csv",
            SETTINGS,
            known_cards=KNOWN,
            out=tmp_path,
            factory=fake_factory,
            factory_args=("nowhere.pdf",),
            diag=Diagnostics(),
        )


# --- sending ---


class Inbox:
    """aiosmtpd handler keeping what arrives."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[list[str], bytes]] = []
        self.logins: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == b"s3cret"
        if ok:
            self.logins.append(data.login)
        return AuthResult(success=ok)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=handler.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_smtp_delivers_three_messages_with_their_packs(
    built: WelcomeResult, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    env = {"GUIDEPRINT_SMTP_USER": "it", "GUIDEPRINT_SMTP_PASSWORD": "s3cret"}
    smtp = smtp_from_env("127.0.0.1", port, starttls=False, environ=env)
    summary = send_summary(built.emls, smtp)
    assert f"3 email(s) to send via 127.0.0.1:{port}" in summary
    assert "s3cret" not in summary + repr(smtp)
    report = send(built.emls, smtp, Diagnostics())
    assert (len(report.sent), report.failed, handler.logins) == (3, [], [b"it"])
    arrived = {tuple(rcpt): data for rcpt, data in handler.envelopes}
    for outcome in built.packs:
        assert outcome.pack is not None
        data = arrived[(outcome.person.email,)]
        message = email.message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        assert message["X-Unsent"] is None
        assert message["Message-ID"]
        assert message["Date"]
        (attachment,) = message.iter_attachments()
        assert attachment.get_content() == outcome.pack.read_bytes()


def test_no_password_in_clear_to_a_remote_server(built: WelcomeResult) -> None:
    env = {"GUIDEPRINT_SMTP_USER": "it", "GUIDEPRINT_SMTP_PASSWORD": "x"}
    smtp = smtp_from_env("smtp.example.fr", 25, starttls=False, environ=env)
    with pytest.raises(InputError, match="unencrypted"):
        send(built.emls, smtp, Diagnostics())
