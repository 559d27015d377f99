"""Welcome packs: CSV reading and checks, packs read back, drafts parsed back (sending and
the send journal: tests/test_mail_send.py, the command: tests/test_mail_cli.py)."""

from __future__ import annotations

import email
import html
import io
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import weasyprint  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont
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
    slugify,
)
from builder.welcome.pack import assemble, pack_meta
from builder.welcome.people import Person

FIXTURES = Path(__file__).parent / "fixtures" / "welcome"
KNOWN = ("yealink", "smartphone", "vpn", "webclient", "desktop")
GOOD = {
    "201": "Zoé O'Brien",
    "202": '<b>Jean</b> "JJ" Dupont',
    "203": "Marie-Christine de La Rochefoucauld-Montmorency-Laval",
}
PERSON = Person("Zoé O'Brien", "zoe@x.fr", "201", ("vpn",))
MANUAL_CHAPTERS = ("Premiers pas", "Poste Yealink", "Client web")
SETTINGS = Settings(
    title="Téléphonie 3CX — guide utilisateur",
    organisation="Groupe Hautier",
    language="fr",
    urls=Urls(webclient="https://groupehautier.my3cx.fr:5001/webclient"),
    helpdesk=Helpdesk(
        name="Service informatique", email="assistance@groupehautier.fr", extension="100"
    ),
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
    assert roster.people[0].greeting == "Zoé"


def test_french_hr_headers(tmp_path: Path) -> None:
    text = "Prénom;Nom;Courriel;N° de poste;Service\nZoé;Bœuf;zoe@x.fr;201;Compta\n"
    roster, diag = read(text, tmp_path)
    assert diag.items == []
    (person,) = roster.people
    assert (person.name, person.email, person.extension) == ("Zoé Bœuf", "zoe@x.fr", "201")
    assert (person.greeting, person.department, person.slug) == ("Zoé", "Compta", "zoe-boeuf")


@pytest.mark.parametrize(
    ("name", "greeting"),
    [
        ("Zoé O'Brien", "Zoé"),
        ("Marie-Christine de La Rochefoucauld", "Marie-Christine"),
        ("DUPONT Jean", "Jean"),  # an HR export: surname first, in capitals
        ("LE GALL Yann", "Yann"),
        ("JJ Dupont", "JJ"),  # initials are not a surname
        ("ZOÉ", "ZOÉ"),
    ],
)
def test_greeting_is_the_first_name(name: str, greeting: str) -> None:
    assert Person(name, "a@x.fr", "201", ()).greeting == greeting


def test_a_header_close_to_ours_is_reported(tmp_path: Path) -> None:
    roster, diag = read("Nom;Email;Poste;Apareils;Manager\nZoé;zoe@x.fr;201;vpn;Paul\n", tmp_path)
    assert roster.people[0].devices == KNOWN  # the misspelt column is not read...
    (warning,) = diag.warnings  # ...but said, and "Manager" is HR's own column
    assert (warning.line, warning.hint) == (1, "did you mean 'appareils'?")
    assert "column 'Apareils' not recognised" in warning.message
    with pytest.raises(InputError, match="missing column 'email'") as caught:
        read("Nom;Couriel;Poste\nZoé;zoe@x.fr;201\n", tmp_path)
    assert caught.value.hint == "'Couriel': did you mean 'courriel'?"
    with pytest.raises(InputError, match="missing column 'extension'") as caught:
        read("Nom;Courriel;N° de post\nZoé;zoe@x.fr;201\n", tmp_path)
    assert caught.value.hint == "'N° de post': did you mean 'N° de poste'?"


def test_a_row_error_names_the_person(tmp_path: Path) -> None:
    text = "Prénom;Nom;Courriel;Poste\nZoé;Bœuf;zoe@x.fr;201\n\n\nJean;Sans-Courriel;;202\n"
    _, diag = read(text, tmp_path)
    (error,) = diag.errors
    assert str(error) == (
        f"{tmp_path / 'users.csv'}:5: Jean Sans-Courriel: missing email (fill in the email column)"
    )


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
    assert slugify("Bœuf Œdipe Straße") == "boeuf-oedipe-strasse"  # not "buf-dipe-strae"
    assert slugify("李小龍") == "li-xiao-long"
    assert slugify("¿?") == "personne"
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
        (csv, 5, "Paul Martin: malformed email 'paul.martin@groupehautier'"),
        (csv, 6, "Luc Petit: extension '20' does not match the expected form"),
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


NOTO = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")


def test_the_same_pages_make_the_same_pack(manual: Path, tmp_path: Path) -> None:
    """A font made with fontTools carries the time it was saved (`head.modified`): the same
    card rendered with a font made a second later differs; its pack must not (the send
    journal compares packs)."""
    cards = []
    for second in (0, 1):
        with TTFont(NOTO, lazy=True, recalcTimestamp=False) as font:
            font["head"].modified += second
            font.save(tmp_path / f"font{second}.ttf")
        font_url = (tmp_path / f"font{second}.ttf").as_uri()
        style = f"@font-face {{font-family: F; src: url({font_url})}}"
        page = f"<title>Fiche vpn</title><style>{style} p {{font-family: F}}</style>"
        card = tmp_path / f"vpn{second}.pdf"
        weasyprint.HTML(string=f"{page}<p>Zoé — Poste 201</p>").write_pdf(card)
        cards.append(card)
    assert cards[0].read_bytes() != cards[1].read_bytes()
    meta = pack_meta(SETTINGS, PERSON)
    first, second_pack = (assemble([card], PdfReader(manual), meta) for card in cards)
    assert first == second_pack
    reader = PdfReader(io.BytesIO(first))
    assert "Zoé — Poste 201" in reader.pages[0].extract_text()


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
        assert message["Reply-To"].addresses[0].addr_spec == "assistance@groupehautier.fr"
        assert message["Date"] is None  # stamped when sent, with the Message-ID
        check_body_and_attachment(message, outcome.person, outcome.pack)
        check_html(message, outcome.person)


def check_body_and_attachment(message: EmailMessage, person: Person, pack: Path) -> None:
    text = message.get_body(("plain",))
    assert text is not None
    content = text.get_content()
    assert f"Bonjour {person.greeting}," in content  # as typed, <b> and quotes included
    for expected in (person.extension, person.email, SETTINGS.urls.webclient, "poste 100"):
        assert expected in content
    assert "provisioning" not in content.lower()
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == pack.name
    assert attachment.get_content() == pack.read_bytes()


def check_html(message: EmailMessage, person: Person) -> None:
    """The HTML alternative: the same words, every value escaped, the web client a link."""
    assert message.get_content_type() == "multipart/mixed"
    alternative = next(message.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    part = message.get_body(("html",))
    assert part is not None
    page = part.get_content()
    assert f"Bonjour {html.escape(person.greeting, quote=False)}," in page
    assert "<b>" not in page  # the row's "<b>Jean</b>" is text
    assert f'<a href="{SETTINGS.urls.webclient}">' in page
    assert f"<li>Votre numéro de poste : {person.extension}</li>" in page
    assert '<html lang="fr">' in page


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
