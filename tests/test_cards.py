"""Quick cards: files -> checked cards -> one-page PDFs, read back (boxes, text, sizes, QR)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from cardpdf import (
    assert_tagged,
    figures,
    footer_words,
    lines,
    plain,
    raster,
    struct_elements,
    text_runs,
)
from fontTools.ttLib import TTFont
from markupsafe import Markup
from PIL import Image, ImageChops, ImageStat
from pyzbar.pyzbar import decode

from builder.cards import card_names, load_card, load_cards, parse_card, render_card
from builder.cards.edition import dated
from builder.cards.fit import CardResult
from builder.cards.html import COMPACT, document, footer_lines, markdown, sides_html
from builder.cards.model import SIZES_MM
from builder.cli import main
from builder.config import Helpdesk, Settings, load_settings
from builder.diagnostics import Diagnostics
from builder.errors import ConfigError, ContentError, RenderError
from builder.fonts import FACES
from builder.gate import current
from builder.layouts import Layouts
from builder.pdf import Renderer
from builder.sheets import trim_card

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "cards"
REFERENCE = REPO / "tests" / "reference" / "cards"
DECK = REPO / "content" / "cards"
CARDS = ["desktop", "smartphone", "vpn", "webclient", "yealink"]
PT_PER_MM = 72 / 25.4
MIN_BODY, MIN_KEY, SAFE_MM = 8.0, 11.0, 5.0
# The words each card must print (the actions a colleague looks for).
WORDS = {
    "yealink": ["Secret", "Attente", "Transfert", "micro", "musique d'attente", "Transférez",
                "3 chiffres", "BLF", "sans 0", "27", "Ligne", "Raccourci d'appel",
                "client web", "loupe"],
    "smartphone": ["Play Store", "App Store", "Scanner le QR Code", "Absent", "Renvois",
                   "numéro professionnel", "ne l'imprimez pas"],
    "vpn": ["nom d'utilisateur et mot de passe", "alerte de sécurité", "Oui",
            "barre de tâches", "connecté"],
    "webclient": ["adresse mail", "extension", "Mot de passe oublié", "Statut", "Appareil",
                  "loupe", "Favoris", "Transfert d'appels", "27", "Raccourci d'appel"],
    "desktop": ["Softphone", "Deskphone", "casque", "2 appareils", "numéro professionnel"],
}  # fmt: skip
KEY_NAMES = {"yealink": ["Secret", "Attente", "Transfert", "0"], "desktop": ["Softphone"]}
# Every card takes the brand colour, but the VPN card: FortiClient's red, the colour of the
# shield people look for in the taskbar, on the one card used away from the office.
OWN_ACCENT = {"vpn": "#b3261e"}
JAN_2027 = "1798761600"  # SOURCE_DATE_EPOCH of 2027-01-01 00:00 UTC
QR_URLS = {
    "smartphone": ["urls.webclient", "urls.play_store", "urls.app_store"],
    "webclient": ["urls.webclient"],
    "vpn": ["urls.vpn_portal"],
}


# -- fixtures: one renderer and one build of every card per module ---------------------------


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(REPO)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cards")


@pytest.fixture(scope="module")
def renderer(scratch: Path) -> Iterator[Renderer]:
    r = Renderer([REPO, scratch], Diagnostics())
    yield r
    r.close()
    assert not r.diag.items, f"unexpected warnings: {[str(d) for d in r.diag.items]}"


@pytest.fixture(scope="module")
def built(
    settings: Settings, renderer: Renderer, scratch: Path
) -> dict[str, tuple[CardResult, Path]]:
    out = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOURCE_DATE_EPOCH", JAN_2027)  # the edition printed: the same every run
        for card in load_cards(DECK, settings, renderer.diag):
            target = scratch / "out" / f"{card.name}.pdf"
            out[card.name] = (render_card(card, renderer, target), target)
    return out


@pytest.fixture(scope="module")
def fixture_project(scratch: Path) -> Path:
    """A copy of the fixture project inside the renderer's sandbox."""
    dest = scratch / "project"
    if not dest.exists():
        shutil.copytree(FIXTURE, dest)
    return dest


# -- the card model ------------------------------------------------------------------------


def test_card_names_are_the_five_cards() -> None:
    assert card_names(DECK) == CARDS


def test_listing_and_checking_cards_does_not_import_weasyprint() -> None:
    code = (
        "import sys; from pathlib import Path; from builder.cards import load_cards; "
        "from builder.config import load_settings; from builder.diagnostics import Diagnostics; "
        "d = Diagnostics(); cards = load_cards(Path('content/cards'), load_settings(Path()), d); "
        "print('weasyprint' in sys.modules, len(cards), len(d.items))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "5", "0"], out.stderr


def test_back_and_qr_slot_are_split_with_their_lines(settings: Settings) -> None:
    card = load_card(DECK, "webclient", settings)
    assert card.back is not None
    text = (REPO / "content/cards/webclient.md").read_text(encoding="utf-8").split("\n")
    assert text[card.back.first_line - 1].strip() == "<!-- back -->"
    assert "Renvois selon le statut" in card.back.markdown
    assert "<!-- qr -->" in card.front.markdown
    assert load_card(DECK, "vpn", settings).back is None


def test_unknown_front_matter_key_names_file_line_and_closest_key(settings: Settings) -> None:
    with pytest.raises(ConfigError) as info:
        parse_card(FIXTURE / "bad/unknown-key.md", settings, project=FIXTURE)
    assert str(info.value) == "bad/unknown-key.md:3: unknown key 'sizee' (did you mean 'size'?)"


def test_invalid_yaml_is_a_content_error_with_its_line(settings: Settings) -> None:
    with pytest.raises(ContentError) as info:
        parse_card(FIXTURE / "bad/bad-yaml.md", settings, project=FIXTURE)
    assert info.value.line == 3
    assert "invalid front matter" in info.value.message


@pytest.mark.parametrize(
    ("front", "message", "hint"),
    [
        ("size: A8", "invalid size 'A8'", "known: A5, A6, A7, credit-card"),
        ("icon: key-mut", "unknown icon 'key-mut'", "did you mean 'key-mute'?"),
        ("layout: checklst", "unknown layout 'checklst'", "did you mean 'checklist'?"),
        ("qr: [urls.webclent]", "unknown qr target 'urls.webclent'", "did you mean"),
        ("min_size: 6", "'min_size' 6 is out of bounds", "use 8 to 11 (points)"),
        ("accent: red", "invalid accent 'red'", "use #rrggbb, quoted"),
        ("back: Verso", "unknown key 'back'", "'<!-- back -->'"),
    ],
)
def test_wrong_values_are_named_with_a_fix(
    tmp_path: Path, settings: Settings, front: str, message: str, hint: str
) -> None:
    path = tmp_path / "content/cards/wrong.md"
    path.parent.mkdir(parents=True)
    path.write_text(f"---\ntitle: Faux\n{front}\n---\n\nTexte.\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        parse_card(path, settings, project=REPO)
    assert info.value.message == message
    assert info.value.line == 3
    assert hint in (info.value.hint or "")


def test_a_second_back_separator_is_refused(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="one '<!-- back -->' line at most") as info:
        parse_card(FIXTURE / "bad/two-backs.md", settings, project=FIXTURE)
    assert info.value.line == 11


def test_provisioning_links_are_never_printed(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="carries credentials"):
        parse_card(FIXTURE / "bad/provisioning.md", settings, project=FIXTURE)


def test_unknown_card_name_lists_the_closest(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="unknown card 'yelink'") as info:
        load_card(DECK, "yelink", settings)
    assert info.value.hint == "did you mean 'yealink'?"


def test_a_wrong_card_is_recorded_and_the_others_load(tmp_path: Path, settings: Settings) -> None:
    shutil.copytree(FIXTURE, tmp_path / "p")
    shutil.copy(FIXTURE / "bad/unknown-key.md", tmp_path / "p/content/cards/wrong.md")
    diag = Diagnostics()
    cards = load_cards(tmp_path / "p/content/cards", load_settings(tmp_path / "p"), diag)
    assert [c.name for c in cards] == ["include", "keymap", "overfull"]
    assert [(d.file, d.line) for d in diag.errors] == [("content/cards/wrong.md", 3)]


def test_empty_store_urls_are_skipped(fixture_project: Path) -> None:
    card = load_card(fixture_project / "content/cards", "include", load_settings(fixture_project))
    assert [(q.label, q.url) for q in card.qr] == [
        ("Client web", "https://pbx.example.fr:5001/webclient")
    ]


# -- the five cards, rendered once ---------------------------------------------------------


@pytest.mark.parametrize("name", CARDS)
def test_pages_and_trim_box(
    name: str, settings: Settings, built: dict[str, tuple[CardResult, Path]]
) -> None:
    card = load_card(DECK, name, settings)
    result, pdf = built[name]
    reader = pypdf.PdfReader(pdf)
    assert len(reader.pages) == result.pages == (2 if card.back else 1)
    w, h = (round(v * PT_PER_MM, 3) for v in card.size_mm)
    for page in reader.pages:
        assert [round(float(v), 3) for v in page.trimbox] == [0, 0, w, h]
        assert [round(float(v), 3) for v in page.mediabox] == [0, 0, w, h]
    assert reader.metadata is not None
    assert reader.metadata.title == card.title


@pytest.mark.parametrize("name", CARDS)
def test_no_text_under_the_minimum_sizes(
    name: str, built: dict[str, tuple[CardResult, Path]]
) -> None:
    reader = pypdf.PdfReader(built[name][1])
    runs = [run for page in reader.pages for run in text_runs(page)]
    assert runs
    small = [(t, round(s, 2)) for t, s in runs if s < MIN_BODY - 0.01]
    assert not small
    sizes = {t.strip(): s for t, s in runs}
    for key in [*KEY_NAMES.get(name, []), "100"]:  # "100": the help desk's extension
        assert sizes[key] >= MIN_KEY - 0.01, key


@pytest.mark.parametrize("name", CARDS)
def test_the_words_that_matter_are_printed(
    name: str, built: dict[str, tuple[CardResult, Path]]
) -> None:
    reader = pypdf.PdfReader(built[name][1])
    text = plain(" ".join(page.extract_text() for page in reader.pages))
    missing = [w for w in WORDS[name] if plain(w) not in text]
    assert not missing
    assert "Service informatique" in text
    assert "informatique@groupehautier.fr" in text


@pytest.mark.parametrize("name", CARDS)
def test_text_stays_5mm_inside_the_trim_and_no_punctuation_starts_a_line(
    name: str, settings: Settings, built: dict[str, tuple[CardResult, Path]]
) -> None:
    card = load_card(DECK, name, settings)
    pdf = built[name][1]
    w, h = (v * PT_PER_MM for v in card.size_mm)
    safe = SAFE_MM * PT_PER_MM - 0.5  # half a point for the rounding of glyph boxes
    for number in range(1, built[name][0].pages + 1):
        for line in lines(pdf, number):
            for word, x0, y0, x1, y1 in line:
                assert min(x0, y0) >= safe, (word, x0, y0)
                assert x1 <= w - safe, (word, x1)
                assert y1 <= h - safe, (word, y1)
            assert line[0][0] not in ("»", ":", ";", "?", "!"), line
            assert line[-1][0] != "«", line


@pytest.mark.parametrize("name", CARDS)
def test_every_character_has_a_glyph(name: str, built: dict[str, tuple[CardResult, Path]]) -> None:
    covered: set[int] = set()
    for face in FACES:
        # A collection (.ttc: Noto Sans CJK) holds several fonts: their first covers its set.
        number = 0 if face.file.suffix.lower() in (".ttc", ".otc") else -1
        with TTFont(face.file, lazy=True, fontNumber=number) as font:
            covered |= set(font.getBestCmap())
    reader = pypdf.PdfReader(built[name][1])
    text = "".join(page.extract_text() for page in reader.pages)
    tofu = {c for c in text if ord(c) not in covered and not c.isspace() and c != "\u200b"}
    assert not tofu


@pytest.mark.parametrize("name", sorted(QR_URLS))
def test_qr_codes_decode_to_the_configured_urls(
    name: str, settings: Settings, built: dict[str, tuple[CardResult, Path]], tmp_path: Path
) -> None:
    expected = [getattr(settings.urls, key.removeprefix("urls.")) for key in QR_URLS[name]]
    front = raster(built[name][1], 200, tmp_path / name)[0]
    with Image.open(front) as image:
        found = decode(image)
    assert sorted(code.data.decode() for code in found) == sorted(expected)
    for code in found:
        assert code.type == "QRCODE"
        assert min(code.rect.width, code.rect.height) / 200 * 25.4 >= 20.0  # mm, symbol only


def test_the_fit_takes_few_renders(built: dict[str, tuple[CardResult, Path]]) -> None:
    renders = [result.renders for result, _ in built.values()]
    assert sum(renders) / len(renders) <= 3.0, renders
    for result, _ in built.values():
        assert all(8.0 <= size <= 11.0 for size in result.sizes.values())
        assert all(fill <= 1.0 for fill in result.fill.values())


def test_an_include_pulls_only_its_section(
    fixture_project: Path, renderer: Renderer, scratch: Path
) -> None:
    card = load_card(fixture_project / "content/cards", "include", load_settings(fixture_project))
    pdf = scratch / "include.pdf"
    result = render_card(card, renderer, pdf)
    text = plain(" ".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages))
    assert "section bravo" in text
    assert "Une note de la section bravo" in text
    assert "alpha" not in text
    assert "charlie" not in text
    assert "« des guillemets »" in text
    assert result.pages == 2


# -- fitting and failing -------------------------------------------------------------------


def test_an_overfull_card_fails_and_keeps_the_previous_pdf(
    fixture_project: Path, renderer: Renderer, scratch: Path
) -> None:
    card = load_card(fixture_project / "content/cards", "overfull", load_settings(fixture_project))
    target = scratch / "kept" / "overfull.pdf"
    target.parent.mkdir()
    target.write_bytes(b"%PDF-previous")
    with pytest.raises(RenderError) as info:
        render_card(card, renderer, target)
    message = str(info.value)
    assert message.startswith("content/cards/overfull.md: card 'overfull' (front) does not fit")
    assert re.search(r"even at 8 pt: over by \d+ mm / \d\.\d pages", message)
    assert target.read_bytes() == b"%PDF-previous"
    assert [p.name for p in target.parent.iterdir()] == ["overfull.pdf"]


@pytest.mark.parametrize(
    ("size", "orientation"),
    [("A7", "portrait"), ("credit-card", "landscape"), ("A5", "landscape"), ("A6", "landscape")],
)
def test_every_size_and_orientation_has_its_trim_box(
    fixture_project: Path, renderer: Renderer, scratch: Path, size: str, orientation: str
) -> None:
    path = fixture_project / "content/cards" / f"s-{size.lower()}-{orientation}.md"
    path.write_text(
        f"---\ntitle: Taille\nsize: {size}\norientation: {orientation}\n---\n\nAppelez le `100`.\n",
        encoding="utf-8",
    )
    card = load_card(fixture_project / "content/cards", path.stem, load_settings(fixture_project))
    pdf = scratch / f"{path.stem}.pdf"
    render_card(card, renderer, pdf)
    short, long = SIZES_MM[size]
    w, h = (long, short) if orientation == "landscape" else (short, long)
    page = pypdf.PdfReader(pdf).pages[0]
    assert [round(float(v), 2) for v in page.trimbox] == [0, 0, round(w * PT_PER_MM, 2),
                                                          round(h * PT_PER_MM, 2)]  # fmt: skip


def test_bleed_extends_the_band_3mm_past_the_trim(
    settings: Settings, renderer: Renderer, scratch: Path, tmp_path: Path
) -> None:
    card = load_card(DECK, "yealink", settings)
    pdf = scratch / "yealink-bleed.pdf"
    render_card(card, renderer, pdf, bleed=True)
    bleed = 3 * PT_PER_MM
    w, h = (v * PT_PER_MM for v in card.size_mm)
    for page in pypdf.PdfReader(pdf).pages:
        assert [round(float(v), 3) for v in page.trimbox] == [0, 0, round(w, 3), round(h, 3)]
        outer = [round(v, 3) for v in (-bleed, -bleed, w + bleed, h + bleed)]
        assert [round(float(v), 3) for v in page.mediabox] == outer
        assert [round(float(v), 3) for v in page.bleedbox] == outer
    with Image.open(raster(pdf, 60, tmp_path / "bleed")[0]) as image:
        corner = image.convert("RGB").getpixel((1, 1))  # inside the bleed, top left
    assert corner == (0x1F, 0x5F, 0xA8)


def test_a_person_is_printed_as_typed_and_never_as_markup(
    settings: Settings, renderer: Renderer, scratch: Path, built: dict[str, tuple[CardResult, Path]]
) -> None:
    card = load_card(DECK, "smartphone", settings)
    person = {
        "name": "<b>Marie-Françoise O'Brien de la Tour d'Auvergne-Lauraguais</b>",
        "extension": "142",
        "login": "marie-francoise.obrien-delatourdauvergne@groupehautier.fr",
    }
    body = markdown(card, card.front, renderer.diag)
    page = document(card, "front", body, Layouts(REPO), body_pt=9, person=person)
    assert "&lt;b&gt;Marie-Françoise O&#39;Brien" in page
    assert "<b>Marie" not in page
    pdf = scratch / "person.pdf"
    result = render_card(card, renderer, pdf, person=person, previous=built["smartphone"][0])
    reader = pypdf.PdfReader(pdf)
    text = plain(reader.pages[0].extract_text())
    assert "<b>Marie-Françoise O'Brien" in text
    assert "142" in text
    assert "VOTRE POSTE" in text
    assert result.pages == 2
    assert result.sizes["front"] >= MIN_BODY
    assert max(s for t, s in text_runs(reader.pages[0]) if t == "142") >= MIN_KEY - 0.01


def test_unknown_person_fields_are_refused(settings: Settings, renderer: Renderer) -> None:
    card = load_card(DECK, "yealink", settings)
    body = markdown(card, card.front, renderer.diag)
    with pytest.raises(ValueError, match="password"):
        document(card, "front", body, Layouts(REPO), body_pt=9, person={"password": "x"})


# -- the company's look: brand colour and logo ----------------------------------------------


@pytest.fixture(scope="module")
def branded(scratch: Path) -> Path:
    """The fixture project with a logo and every help desk field, inside the sandbox."""
    dest = scratch / "branded"
    if not dest.exists():
        shutil.copytree(FIXTURE, dest)
        (dest / "content/cards/overfull.md").unlink()
        (dest / "assets").mkdir()
        shutil.copy(REPO / "assets/logo.svg", dest / "assets/logo.svg")
        shutil.copytree(REPO / "assets/icons", dest / "assets/icons")
        toml = (dest / "guideprint.toml").read_text(encoding="utf-8")
        toml = toml.replace('language = "fr"', 'language = "fr"\nlogo = "assets/logo.svg"')
        toml = toml.replace('extension = "999"', 'extension = "999"\nphone = "01 23 45 67 89"')
        (dest / "guideprint.toml").write_text(toml, encoding="utf-8")
    return dest


def write_card(project: Path, name: str, front: str, body: str = "Appelez le `100`.") -> Path:
    path = project / "content/cards" / f"{name}.md"
    path.write_text(f"---\ntitle: Essai\n{front}\n---\n\n{body}\n", encoding="utf-8")
    return path


def render(project: Path, name: str, renderer: Renderer, scratch: Path, **kw: object) -> Path:
    """Render one card of a project (its edition from this read) and return the PDF."""
    settings = kw.pop("settings", None) or load_settings(project)
    assert isinstance(settings, Settings)
    card = load_card(project / "content/cards", name, settings)
    pdf = scratch / f"{project.name}-{name}.pdf"
    render_card(card, renderer, pdf, **kw)  # type: ignore[arg-type]
    return pdf


def test_every_card_takes_the_brand_colour_unless_its_own_means_something(
    settings: Settings, built: dict[str, tuple[CardResult, Path]], tmp_path: Path
) -> None:
    for name in CARDS:
        assert load_card(DECK, name, settings).accent == OWN_ACCENT.get(name, settings.brand_colour)
    with Image.open(raster(built["desktop"][1], 60, tmp_path / "band")[0]) as image:
        band = image.convert("RGB").getpixel((2, 2))
    assert band == (0x1F, 0x5F, 0xA8)  # brand_colour, the card says no accent of its own


def test_a_new_brand_colour_reaches_every_card_without_one(tmp_path: Path) -> None:
    settings = dataclasses.replace(load_settings(REPO), brand_colour="#8a1c7c")
    assert {load_card(DECK, n, settings).accent for n in CARDS if n not in OWN_ACCENT} == {
        "#8a1c7c"
    }


@pytest.mark.parametrize("name", CARDS)
def test_the_logo_is_small_in_the_footer_of_every_card(
    name: str, settings: Settings, built: dict[str, tuple[CardResult, Path]]
) -> None:
    card = load_card(DECK, name, settings)
    logos = [box for alt, box in figures(built[name][1]) if alt == settings.organisation]
    assert len(logos) == (2 if card.back else 1)  # on each side
    px_per_mm = 96 / 25.4
    for _, y0, x1, y1 in logos:
        assert (y1 - y0) / px_per_mm <= 4.6  # small: 4.5 mm high
        assert y1 / px_per_mm >= card.size_mm[1] - 5.5  # on the footer's bottom line
        assert x1 / px_per_mm <= card.size_mm[0] - 5 + 0.1  # inside the 5 mm margin


def test_logo_false_removes_the_logo(branded: Path, renderer: Renderer, scratch: Path) -> None:
    write_card(branded, "sans-logo", "logo: false")
    write_card(branded, "avec-logo", "size: A6")
    alts = {n: [a for a, _ in figures(render(branded, n, renderer, scratch))]
            for n in ("sans-logo", "avec-logo")}  # fmt: skip
    assert alts["avec-logo"] == ["Fixture & Co"]
    assert alts["sans-logo"] == []


def test_a_missing_logo_is_an_error_naming_the_settings_line(settings: Settings) -> None:
    wrong = dataclasses.replace(settings, logo="assets/logoo.svg")
    with pytest.raises(ConfigError) as info:
        load_card(DECK, "desktop", wrong)
    lines_ = (REPO / "guideprint.toml").read_text(encoding="utf-8").split("\n")
    assert info.value.file == "guideprint.toml"
    assert lines_[(info.value.line or 0) - 1].startswith("logo =")
    assert info.value.message == "logo 'assets/logoo.svg' not found"
    assert "logo: false" in (info.value.hint or "")


def test_check_fails_on_a_missing_logo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(FIXTURE, tmp_path / "p")
    (tmp_path / "p/content/cards/overfull.md").unlink()
    toml = tmp_path / "p/guideprint.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + 'logo = "assets/typo.svg"\n', "utf-8")
    # A top-level key after a table belongs to the table: put it first.
    text = toml.read_text(encoding="utf-8").replace('logo = "assets/typo.svg"\n', "")
    toml.write_text('logo = "assets/typo.svg"\n' + text, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "p")
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "error: guideprint.toml:1: logo 'assets/typo.svg' not found" in err


# -- the edition -----------------------------------------------------------------------------


def test_the_edition_is_the_month_of_source_date_epoch(
    fixture_project: Path, renderer: Renderer, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JAN_2027)
    pdf = render(fixture_project, "include", renderer, scratch)
    words = [w[0] for w in footer_words(pdf)]
    assert words[-2:] == ["édition", "2027-01"]


def test_the_edition_setting_wins(
    fixture_project: Path, renderer: Renderer, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JAN_2027)
    base = load_settings(fixture_project)
    settings = dataclasses.replace(base, cards=dataclasses.replace(base.cards, edition="2027-B"))
    pdf = render(fixture_project, "include", renderer, scratch, settings=settings)
    assert "édition 2027-B" in plain(pypdf.PdfReader(pdf).pages[0].extract_text())


def test_without_source_date_epoch_the_newest_include_dates_the_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The card file and what it includes (any depth), not the layouts or the icons."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    shutil.copytree(FIXTURE, tmp_path / "p")
    project = tmp_path / "p"
    when = {"content/cards/include.md": "2020-03-15", "content/guide.md": "2024-07-02"}
    for name, day in [*when.items(), ("guideprint.toml", "2031-01-01")]:
        stamp = int(dt.datetime.fromisoformat(f"{day}T12:00+00:00").timestamp())
        os.utime(project / name, (stamp, stamp))
    settings = load_settings(project)
    with current().recording() as seen:
        card = load_card(project / "content/cards", "include", settings)
        sides_html(card, Diagnostics())
    assert dated(card, seen).edition == "2024-07"
    alone = write_card(project, "alone", "size: A6", "Sans inclusion.")
    os.utime(alone, (1_600_000_000, 1_600_000_000))  # 2020-09-13
    with current().recording() as seen:
        card = load_card(project / "content/cards", "alone", settings)
        sides_html(card, Diagnostics())
    assert dated(card, seen).edition == "2020-09"


def test_the_same_edition_on_the_card_its_print_shop_file_and_the_sheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(FIXTURE, tmp_path / "p")
    (tmp_path / "p/content/cards/overfull.md").unlink()
    monkeypatch.chdir(tmp_path / "p")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JAN_2027)
    assert main(["build", "-q", "--sheets"]) == 0
    out = tmp_path / "p/out"
    files = ["cards/include.pdf", "print/imprimeur/include-fond-perdu.pdf",
             "print/cartes-bureau.pdf", "print/imprimeur/planche-sra3.pdf"]  # fmt: skip
    for name in files:
        text = plain(" ".join(p.extract_text() for p in pypdf.PdfReader(out / name).pages))
        assert "édition 2027-01" in text, name
    assert_tagged(out / "cards/include.pdf", "fr")  # the card as built: laid out, then cut


# -- footers that fit --------------------------------------------------------------------------

DESKS = [
    Helpdesk("Support", "s@example.fr", "01 23 45 67 89", "999"),
    Helpdesk("Support", "", "", "999"),
    Helpdesk("", "s@example.fr", "", ""),
    Helpdesk("", "", "01 23 45 67 89", ""),
    Helpdesk("Support", "", "", ""),
    Helpdesk(),
]


@pytest.mark.parametrize("desk", DESKS)
@pytest.mark.parametrize("size", ["A6", "A7", "credit-card"])
@pytest.mark.parametrize("org", ["", "Fixture & Co"])
def test_no_footer_part_is_empty_whatever_field_is_missing(
    fixture_project: Path, desk: Helpdesk, size: str, org: str
) -> None:
    settings = dataclasses.replace(load_settings(fixture_project), helpdesk=desk, organisation=org)
    card = load_card(fixture_project / "content/cards", "include", settings)
    card = dataclasses.replace(card, size=size, edition="2027-01")
    found = footer_lines(card)
    assert found
    assert all(line for line in found)
    parts = [part for line in found for part in line]
    assert all(part.value for part in parts)
    assert parts[-1].value == "2027-01"
    if size in COMPACT:  # one way to call, and the edition: one short line
        assert len(found) == 1
        assert len(parts) <= 2
    page = document(card, "front", Markup(""), Layouts(REPO), body_pt=9)
    footer = page[page.index("<footer") :]
    assert "·" not in footer  # the separators are drawn between parts, never written
    assert '<span class="value"></span>' not in footer


@pytest.mark.parametrize("size", ["A6", "A7", "credit-card"])
def test_a_footer_with_every_field_wraps_without_dangling_or_clipping(
    branded: Path, renderer: Renderer, scratch: Path, size: str
) -> None:
    write_card(branded, f"pied-{size.lower()}", f"size: {size}")
    pdf = render(branded, f"pied-{size.lower()}", renderer, scratch)
    w = SIZES_MM[size][0] * PT_PER_MM
    words = footer_words(pdf)
    text = " ".join(word for word, *_ in words)
    assert "·" not in text
    for word, x0, _, x1, _ in words:
        assert x0 >= SAFE_MM * PT_PER_MM - 0.5, word
        assert x1 <= w - SAFE_MM * PT_PER_MM + 0.5, word
    height = (max(y1 for *_, y1 in words) - min(y0 for _, _, y0, _, _ in words)) / PT_PER_MM
    if size in COMPACT:
        assert "999" in text  # the extension only: one way to call
        assert "01" not in text
        assert height <= 0.12 * SIZES_MM[size][1], height  # a third of a credit card before
    else:
        for field in ("Support", "01 23 45 67 89", "support@example.fr"):
            assert field in text
        assert height <= 11.0, height
    sizes = {t: s for t, s in text_runs(pypdf.PdfReader(pdf).pages[0])}
    assert sizes["999"] >= MIN_KEY - 0.01


def test_footer_false_keeps_the_edition_only(
    branded: Path, renderer: Renderer, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JAN_2027)
    write_card(branded, "sans-pied", "size: credit-card\nfooter: false")
    pdf = render(branded, "sans-pied", renderer, scratch)
    text = plain(pypdf.PdfReader(pdf).pages[0].extract_text())
    assert "édition 2027-01" in text
    for helpdesk in ("Aide", "999", "support@"):
        assert helpdesk not in text
    with pytest.raises(ConfigError, match="'footer' must be true or false"):
        parse_card(write_card(branded, "faux", "footer: non"), load_settings(branded))


def test_every_fixed_word_follows_the_language(
    fixture_project: Path, renderer: Renderer, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JAN_2027)
    settings = dataclasses.replace(load_settings(fixture_project), language="en")
    person = {"name": "Ann", "extension": "142", "login": "ann@example.org"}
    pdf = render(fixture_project, "include", renderer, scratch, settings=settings, person=person)
    text = plain(pypdf.PdfReader(pdf).pages[0].extract_text())
    for english in ("Need help?", "ext. 999", "edition 2027-01", "YOUR PHONE", "Extension: 142",
                    "Login: ann@example.org"):  # fmt: skip
        assert english in text, english
    for french in ("Besoin", "édition", "Extension :", "Login :", "QR code :"):
        assert french not in text
    alts = [alt for alt, _ in figures(pdf)]
    assert any(alt.startswith("QR code: ") for alt in alts), alts


# -- tagged cards (PDF/UA-1) -------------------------------------------------------------------


@pytest.mark.parametrize("name", CARDS)
def test_cards_are_tagged_pdf_ua(
    name: str, settings: Settings, built: dict[str, tuple[CardResult, Path]]
) -> None:
    assert_tagged(built[name][1], settings.language)
    assert all(alt for alt, _ in figures(built[name][1]))  # icons, QR codes, logo: described


def test_the_tags_survive_the_cut_to_the_trim(
    settings: Settings, renderer: Renderer, scratch: Path
) -> None:
    card = load_card(DECK, "webclient", settings)
    bleed, cut = scratch / "tags-bleed.pdf", scratch / "tags-cut.pdf"
    render_card(card, renderer, bleed, bleed=True)
    trim_card(bleed, cut, trim_mm=card.size_mm)
    assert_tagged(cut, settings.language)
    assert len(struct_elements(cut)) == len(struct_elements(bleed))


def test_a_card_written_with_its_cut_is_the_pypdf_cut_to_the_pixel(
    settings: Settings, renderer: Renderer, scratch: Path
) -> None:
    """The build writes out/cards/ from the bleed layout's own PDF objects (no pypdf): the
    same page boxes, tags and picture as trim_card's cut of the written bleed file."""
    card = load_card(DECK, "yealink", settings)
    bleed, cut, old = scratch / "y-bleed.pdf", scratch / "y-cut.pdf", scratch / "y-old.pdf"
    render_card(card, renderer, bleed, bleed=True, trimmed=cut)
    trim_card(bleed, old, trim_mm=card.size_mm)
    assert_tagged(cut, settings.language)
    assert len(struct_elements(cut)) == len(struct_elements(bleed))
    for new, was in zip(pypdf.PdfReader(cut).pages, pypdf.PdfReader(old).pages, strict=True):
        for name in ("mediabox", "cropbox", "trimbox", "bleedbox"):
            assert [float(v) for v in getattr(new, name)] == pytest.approx(
                [float(v) for v in getattr(was, name)]
            ), name
    bleed_page = pypdf.PdfReader(bleed).pages[0]  # the first file keeps its bleed
    assert float(bleed_page.mediabox.width) > float(bleed_page.trimbox.width) + 16
    for a, b in zip(raster(cut, 60, scratch / "yc"), raster(old, 60, scratch / "yo"), strict=True):
        assert ImageChops.difference(Image.open(a), Image.open(b)).getbbox() is None


def test_a_cut_refused_by_its_check_writes_neither_file(
    settings: Settings, renderer: Renderer, scratch: Path
) -> None:
    from builder.cards.fit import _check_trim, card_meta, lay_out_card
    from builder.pdf import Cut

    card = load_card(DECK, "vpn", settings)
    bleed, cut = scratch / "n-bleed.pdf", scratch / "n-cut.pdf"
    document, _ = lay_out_card(card, renderer, bleed, bleed=True)
    wrong = Cut(cut, lambda number, *boxes: _check_trim(bleed, (90.0, 60.0), number, *boxes))
    with pytest.raises(RenderError, match=r"page 1: trim is 105\.0 x 148\.0 mm, not 90 x 60"):
        renderer.write(document, bleed, card_meta(card), cut=wrong)
    assert not bleed.exists()
    assert not cut.exists()


# -- what the cards look like --------------------------------------------------------------


@pytest.mark.parametrize("name", CARDS)
def test_cards_look_like_their_reviewed_references(
    name: str, built: dict[str, tuple[CardResult, Path]], tmp_path: Path
) -> None:
    pages = raster(built[name][1], 60, tmp_path / name)
    if os.environ.get("GUIDEPRINT_UPDATE_REFERENCES"):
        REFERENCE.mkdir(parents=True, exist_ok=True)
        for number, png in enumerate(pages, 1):
            shutil.copy(png, REFERENCE / f"{name}-{number}.png")
    references = sorted(REFERENCE.glob(f"{name}-*.png"))
    assert len(references) == len(pages), "run with GUIDEPRINT_UPDATE_REFERENCES=1, then review"
    for png, ref in zip(pages, references, strict=True):
        with Image.open(png) as a, Image.open(ref) as b:
            assert a.size == b.size
            diff = ImageChops.difference(a.convert("L"), b.convert("L"))
            similarity = 1 - ImageStat.Stat(diff).mean[0] / 255
        assert similarity >= 0.985, f"{png.name}: {similarity:.4f}"


def test_the_wording_tables_have_the_same_words_in_french_and_english() -> None:
    from builder.i18n import WORDS as TABLES

    assert set(TABLES["fr"]) == set(TABLES["en"])
    assert all(TABLES[lang][key].strip() for lang in TABLES for key in TABLES[lang])
