"""Welcome packs: CSV reading and checks, packs read back, drafts parsed back (sending and
the send journal: tests/test_mail_send.py, the command: tests/test_mail_cli.py)."""

from __future__ import annotations

import email
import html
import shutil
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import weasyprint  # type: ignore[import-untyped]
from cardpdf import assert_tagged
from pypdf import PdfReader
from pypdf.generic import Destination

from builder.config import Helpdesk, Settings, Urls, WelcomeSettings
from builder.diagnostics import Diagnostics
from builder.errors import ConfigError, GuideError, InputError, RenderError
from builder.gate import Gate, Seen, current
from builder.welcome import (
    MAX_PACK_BYTES,
    WelcomeResult,
    read_people,
    run_welcome,
    slugify,
)
from builder.welcome.mail import digest, read_eml
from builder.welcome.pack import PackMeta
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
    """Cards carrying the person's name and extension, one tagged PDF; a manual made
    beforehand. With a cards folder, each card's text is read from <device>.md there."""

    def __init__(self, manual: Path, fail_for: str, cards: str = "") -> None:
        self.manual = manual
        self.fail_for = fail_for
        self.cards = Path(cards) if cards else None

    def pack_for(self, person: Person, target: Path, meta: PackMeta) -> None:
        """One page per device, written tagged as the real renderer does."""
        if person.extension == self.fail_for:
            raise RenderError("card 'yealink' does not fit", hint="1.2 mm over")
        documents = []
        for device in person.devices:
            text = f"{html.escape(person.name)} — Poste {html.escape(person.extension)}"
            if self.cards is not None:
                text += " " + html.escape(current().read_text(self.cards / f"{device}.md"))
            page = f'<html lang="fr"><title>Fiche {device}</title>'
            page += "<style>@page {size: A5 landscape}</style>"
            page += f"<h1>Fiche {device}</h1><p>{text}</p>"
            documents.append(weasyprint.HTML(string=page).render())
        merged = documents[0].copy([p for d in documents for p in d.pages])
        merged.metadata.title, merged.metadata.lang = meta.title, meta.lang
        merged.metadata.authors = [meta.author]
        merged.write_pdf(target, pdf_variant="pdf/ua-1")

    def inputs_of(self, person: Person) -> dict[str, Seen]:
        """Nothing read once for many: each pack reads its cards itself."""
        return {}

    def manual_pdf(self) -> Path:
        """The manual made by the fixture."""
        return self.manual


def fake_factory(
    diag: Diagnostics, manual: str, fail_for: str = "", cards: str = ""
) -> FakeRenderer:
    """Picklable factory, as the real one must be."""
    if fail_for == "start":
        raise RenderError("missing font NotoSans-Regular.ttf", hint="run 'make setup'")
    return FakeRenderer(Path(manual), fail_for, cards)


def write_manual(target: Path) -> Path:
    """A 3-page manual whose headings make a nested outline, tagged as the build's is."""
    pages = "".join(
        f'<h1 style="break-before: page">{title}</h1><h2>Section {n}</h2><p>Texte {n}.</p>'
        for n, title in enumerate(MANUAL_CHAPTERS, 1)
    )
    document = weasyprint.HTML(string=f'<html lang="fr"><title>Guide</title>{pages}').render()
    document.metadata.title, document.metadata.lang = "Guide", "fr"
    document.write_pdf(target, pdf_variant="pdf/ua-1")
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
        assert len(reader.pages) == len(outcome.person.devices)
        check_outline(reader, outcome.person)
        assert reader.metadata is not None
        assert reader.metadata.title == f"{SETTINGS.title} — fiches de {outcome.person.name}"
        assert reader.metadata.author == "Groupe Hautier"


def check_outline(reader: PdfReader, person: Person) -> None:
    top = [i for i in reader.outline if isinstance(i, Destination)]
    assert [i.title for i in top] == [f"Fiche {d}" for d in person.devices]
    assert [reader.get_destination_page_number(i) for i in top] == list(range(len(top)))


def test_every_attachment_is_tagged(built: WelcomeResult, tmp_path: Path) -> None:
    """PDF/UA-1 as the pdfua checker sees it, and as pikepdf reads it: the pack and the
    manual beside it, taken out of the draft as the newcomer gets them."""
    for outcome in built.packs:
        assert outcome.eml is not None
        message = email.message_from_bytes(outcome.eml.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        attachments = list(message.iter_attachments())
        assert [a.get_filename() for a in attachments] == [
            f"bienvenue-{outcome.person.slug}.pdf",
            "guide-utilisateur.pdf",
        ]
        for attachment in attachments:
            pdf = tmp_path / f"{outcome.person.extension}-{attachment.get_filename()}"
            pdf.write_bytes(attachment.get_content())
            assert_tagged(pdf, "fr")
            check_tags(pdf)
        pack_title = f"{SETTINGS.title} — fiches de {outcome.person.name}"
        check_title(tmp_path / f"{outcome.person.extension}-{attachments[0].get_filename()}",
                    pack_title)  # fmt: skip


def check_tags(pdf: Path) -> None:
    """The structure tree in reading order: the pages' marked content in the order of the
    tree, page after page (a merge by pypdf drops the tree: none of this holds)."""
    with pikepdf.open(pdf) as doc:
        root = doc.Root
        assert root.MarkInfo.Marked is True
        assert str(root.Lang) == "fr"
        assert "/StructTreeRoot" in root
        pages = {page.objgen: n for n, page in enumerate(doc.pages)}
        order: list[int] = []
        pending = [root.StructTreeRoot]
        while pending:  # depth first, in the order of /K: the reading order
            node = pending.pop()
            kids = node.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
            if "/Pg" in node and any(isinstance(k, int) for k in kids):
                order.append(pages[node.Pg.objgen])
            pending += [k for k in reversed(kids) if isinstance(k, pikepdf.Dictionary)]
        assert order == sorted(order)  # never a page read before the one before it
        assert set(order) == set(range(len(doc.pages)))  # every page's content is tagged


def check_title(pdf: Path, title: str) -> None:
    """The title shown, not the file name: /Title, dc:title and DisplayDocTitle."""
    with pikepdf.open(pdf) as doc:
        assert str(doc.docinfo.Title) == title
        assert doc.open_metadata()["dc:title"] == title
        assert doc.Root.ViewerPreferences.DisplayDocTitle is True


def test_the_same_person_makes_the_same_pack(manual: Path, tmp_path: Path) -> None:
    """Made again a second later (its ledger gone), a pack is the same bytes: the send
    journal compares what it sent with the draft."""
    packs = []
    for _ in (0, 1):
        shutil.rmtree(tmp_path / "welcome", ignore_errors=True)
        (outcome,) = build(manual, tmp_path, "name,email,extension\nZoé,zoe@x.fr,201\n").packs
        assert outcome.pack is not None
        assert outcome.rendered
        packs.append(outcome.pack.read_bytes())
        time.sleep(1.1)  # a font subset stamped with the time would differ now
    assert packs[0] == packs[1]


ROWS = [
    "name,email,extension,devices",
    "Zoé O'Brien,zoe@x.fr,201,vpn",
    "Jean Dupont,jean@x.fr,202,yealink vpn",
    "Anne Petit,anne@x.fr,203,yealink",
]


def cards_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "cards"
    folder.mkdir(exist_ok=True)
    for name in ("vpn", "yealink"):
        (folder / f"{name}.md").write_text(f"Texte de la fiche {name}.", encoding="utf-8")
    return folder


def made(result: WelcomeResult) -> list[str]:
    """The extensions whose pack this run made (not found up to date)."""
    return [o.person.extension for o in result.packs if o.rendered]


def test_packs_are_made_again_only_when_their_person_or_content_changed(
    manual: Path, tmp_path: Path
) -> None:
    """The build's rules (builder.ledger), per pack: its row, its cards, the file itself."""
    out, cards = tmp_path / "out", str(cards_folder(tmp_path))
    out.mkdir()
    csv = "\n".join(ROWS) + "\n"
    first = build(manual, out, csv, cards, jobs=2)
    assert made(first) == ["201", "202", "203"]
    assert (out / "welcome" / ".guideprint-ledger.json").is_file()
    drafts = {o.person.extension: digest(read_eml(o.eml)) for o in first.packs if o.eml}
    stamps = {o.person.extension: o.eml.stat().st_mtime_ns for o in first.packs if o.eml}

    start = time.perf_counter()
    again = build(manual, out, csv, cards, jobs=2)
    assert time.perf_counter() - start < 1.0
    assert made(again) == []
    assert [o.person.extension for o in again.packs] == ["201", "202", "203"]
    assert {o.person.extension: o.eml.stat().st_mtime_ns for o in again.packs if o.eml} == stamps

    # One row changed, one row added above the others: that person's pack only.
    rows = [ROWS[0], "Paul Neuf,paul@x.fr,204,vpn", ROWS[1], ROWS[2].replace("Jean", "Jeanne"),
            ROWS[3]]  # fmt: skip
    assert made(build(manual, out, "\n".join(rows) + "\n", cards)) == ["204", "202"]
    csv = "\n".join(rows) + "\n"

    # A card changed: the packs that hold it, and their drafts differ from what was sent.
    (Path(cards) / "yealink.md").write_text("Nouvelle version de la fiche.", encoding="utf-8")
    result = build(manual, out, csv, cards)
    assert sorted(made(result)) == ["202", "203"]
    now = {o.person.extension: digest(read_eml(o.eml)) for o in result.packs if o.eml}
    assert now["203"] != drafts["203"]
    assert now["201"] == drafts["201"]

    # A pack deleted, another truncated: made again, those two only.
    by_extension = {o.person.extension: o for o in result.packs}
    assert by_extension["201"].pack is not None
    assert by_extension["203"].pack is not None
    by_extension["201"].pack.unlink()
    with open(by_extension["203"].pack, "r+b") as handle:
        handle.truncate(100)
    assert sorted(made(build(manual, out, csv, cards))) == ["201", "203"]
    assert made(build(manual, out, csv, cards)) == []


def test_an_up_to_date_pack_says_what_it_said(
    manual: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found up to date, a pack's warnings are said again (the ledger replays them)."""
    monkeypatch.setattr("builder.welcome.run.MAX_PACK_BYTES", 1000)
    csv = "name,email,extension\nZoé,zoe@x.fr,201\n"
    for rendered in (True, False):
        (tmp_path / "users.csv").write_text(csv, encoding="utf-8")
        diag = Diagnostics()
        result = run_welcome(tmp_path / "users.csv", SETTINGS, known_cards=KNOWN, out=tmp_path,
                             factory=fake_factory, factory_args=(str(manual),), diag=diag,
                             jobs=1, manual=manual)  # fmt: skip
        assert [o.rendered for o in result.packs] == [rendered]
        assert [w.message[:19] for w in diag.warnings] == ["pack and manual are"]


def test_nested_recordings_that_read_the_same_each_get_their_reads(tmp_path: Path) -> None:
    """A pack records what it reads, and inside it each card does: the inner block reads
    all the outer one has, and both must leave cleanly (by identity, not by equal content)."""
    gate = Gate()
    (tmp_path / "a.md").write_text("a", encoding="utf-8")
    (tmp_path / "b.md").write_text("b", encoding="utf-8")
    with gate.recording() as outer:
        with gate.recording() as inner:
            gate.read_text(tmp_path / "a.md")
        gate.read_text(tmp_path / "b.md")
    assert sorted(Path(k).name for k in outer) == ["a.md", "b.md"]
    assert [Path(k).name for k in inner] == ["a.md"]
    gate.read_text(tmp_path / "b.md")
    assert [Path(k).name for k in inner] == ["a.md"]  # closed: records nothing more


def build(manual: Path, out: Path, csv: str, cards: str = "", jobs: int = 1) -> WelcomeResult:
    """The packs of csv (written beside out/) with the fake renderer."""
    (out / "users.csv").write_text(csv, encoding="utf-8")
    return run_welcome(
        out / "users.csv",
        SETTINGS,
        known_cards=KNOWN,
        out=out,
        factory=fake_factory,
        factory_args=(str(manual), "", cards),
        diag=Diagnostics(),
        jobs=jobs,
        manual=manual,
    )


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
    assert f"({pack.name})" in content
    assert "(guide-utilisateur.pdf)" in content
    attachment, guide = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == pack.name
    assert attachment.get_content() == pack.read_bytes()
    assert guide.get_content_type() == "application/pdf"


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
    assert len([w for w in diag.warnings if w.message.startswith("pack and manual are")]) == 2


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
