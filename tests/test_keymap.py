"""Key-map cards (layout: keymap): a drawing, numbered callouts on it, the legend checked.

Read back as the other cards are: one page, trim size, sizes, QR codes, and where each
numbered circle landed on the drawing (text boxes, pixels).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from cardpdf import PT_PER_MM, assert_tagged, figures, lines, raster, text_runs
from PIL import Image
from pyzbar.pyzbar import decode

from builder.cards import load_card, load_cards, parse_card, render_card, sides_html
from builder.config import load_settings
from builder.diagnostics import Diagnostics
from builder.errors import ConfigError, ContentError, RenderError
from builder.pdf import Renderer

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "cards"
DECK = REPO / "content" / "cards"
MIN_BODY, MIN_KEY, SAFE_MM = 8.0, 11.0, 5.0
ACCENT = (0x1F, 0x5F, 0xA8)  # the fixture's brand colour: the circles'
CALLOUTS = [(37.5, 75.0), (57.5, 75.0), (77.5, 75.0)]  # the fixture's, in % of the drawing


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("keymap") / "project"
    shutil.copytree(FIXTURE, dest)
    return dest


@pytest.fixture(scope="module")
def renderer(project: Path) -> Iterator[Renderer]:
    r = Renderer([REPO, project.parent], Diagnostics())
    yield r
    r.close()
    assert not r.diag.items, [str(d) for d in r.diag.items]


@pytest.fixture(scope="module")
def keymap_pdf(project: Path, renderer: Renderer) -> Path:
    card = load_card(project / "content/cards", "keymap", load_settings(project))
    pdf = project.parent / "keymap.pdf"
    result = render_card(card, renderer, pdf)
    assert result.pages == 1
    return pdf


def write(project: Path, name: str, front: str, body: str) -> Path:
    path = project / "content/cards" / f"{name}.md"
    path.write_text(f"---\ntitle: Essai\n{front}\n---\n\n{body}\n", encoding="utf-8")
    return path


KEYMAP = "layout: keymap\ndrawing: ../.gitbook/assets/phone.svg\n"
TWO = "callouts:\n  - {x: 10, y: 10}\n  - {x: 20, y: 20}"


# -- the Yealink card and the fixture, printed ---------------------------------------------


def test_the_yealink_card_is_a_key_map() -> None:
    card = load_card(DECK, "yealink", load_settings(REPO))
    assert card.layout == "keymap"
    assert card.drawing is not None
    assert card.drawing.path.name == "yealink-t54w.svg"
    assert card.drawing.alt.startswith("Poste Yealink T54W")
    assert [c.number for c in card.callouts] == [1, 2, 3, 4, 5]


def test_the_key_map_fits_its_trim_and_keeps_the_print_rules(
    project: Path, keymap_pdf: Path, tmp_path: Path
) -> None:
    reader = pypdf.PdfReader(keymap_pdf)
    assert len(reader.pages) == 1
    w, h = 105 * PT_PER_MM, 148 * PT_PER_MM
    page = reader.pages[0]
    assert [round(float(v), 2) for v in page.trimbox] == [0, 0, round(w, 2), round(h, 2)]
    runs = text_runs(page)
    assert not [(t, s) for t, s in runs if s < MIN_BODY - 0.01]
    sizes = {t: s for t, s in runs}
    for key in ("Gauche", "Milieu", "Droite", "999"):
        assert sizes[key] >= MIN_KEY - 0.01, key
    numbers = [s for t, s in runs if t in ("1", "2", "3")]
    assert len(numbers) >= 6  # on the drawing and in the legend
    assert min(numbers) >= MIN_BODY  # legible: never under 8 pt
    safe = SAFE_MM * PT_PER_MM - 0.5
    for line in lines(keymap_pdf, 1):
        for word, x0, y0, x1, y1 in line:
            assert min(x0, y0) >= safe, word
            assert max(x1 - w, y1 - h) <= -safe, word
    with Image.open(raster(keymap_pdf, 200, tmp_path / "qr")[0]) as image:
        found = decode(image)
    assert [c.data.decode() for c in found] == ["https://pbx.example.fr:5001/webclient"]
    assert_tagged(keymap_pdf, "fr")


def test_the_drawing_and_its_circles_are_vectors(keymap_pdf: Path) -> None:
    def images(resources: pypdf.generic.DictionaryObject) -> list[str]:
        found = []
        for ref in (resources.get("/XObject") or {}).values():
            obj = ref.get_object()
            found.append(str(obj["/Subtype"]))
            if "/Resources" in obj:
                found += images(obj["/Resources"].get_object())
        return found

    page = pypdf.PdfReader(keymap_pdf).pages[0]
    assert "/Image" not in images(page["/Resources"].get_object())
    alts = [alt for alt, _ in figures(keymap_pdf)]
    assert "Téléphone de test : écran, trois touches" in alts  # the SVG's <title>


def test_each_circle_is_where_its_callout_says(keymap_pdf: Path, tmp_path: Path) -> None:
    (x0, y0, x1, y1) = next(box for alt, box in figures(keymap_pdf) if alt.startswith("Télé"))
    words = [w for line in lines(keymap_pdf, 1) for w in line]
    dpi = 150
    with Image.open(raster(keymap_pdf, dpi, tmp_path / "circles")[0]) as image:
        rgb = image.convert("RGB")
        for number, (x, y) in enumerate(CALLOUTS, 1):
            # Expected centre, in points from the top left (the tags' px are 3/4 pt).
            cx, cy = (x0 + (x1 - x0) * x / 100) * 0.75, (y0 + (y1 - y0) * y / 100) * 0.75
            hits = [
                w for w in words
                if w[0] == str(number) and abs((w[1] + w[3]) / 2 - cx) < 1.5
                and abs((w[2] + w[4]) / 2 - cy) < 2
            ]  # fmt: skip
            assert len(hits) == 1, (number, cx, cy)
            # Inside the circle, beside its number: the accent.
            px = round((cx - 1.6 * PT_PER_MM) / 72 * dpi), round(cy / 72 * dpi)
            assert _near(rgb.getpixel(px), ACCENT), (number, rgb.getpixel(px))


def _near(colour: object, expected: tuple[int, int, int], tol: int = 40) -> bool:
    assert isinstance(colour, tuple)
    return all(abs(a - b) <= tol for a, b in zip(colour, expected, strict=False))


# -- the legend, checked -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("1. **Un** une.", "callout 2 has no legend line: 2 callout(s), 1 legend line(s)"),
        ("1. Un.\n2. Deux.\n3. Trois.", "legend line 3 has no callout: 2 callout(s), 3"),
        ("- Un.\n- Deux.", "2 callouts and no legend"),
        ("2. Deux.\n3. Trois.", "the legend starts at 2, its callouts at 1"),
    ],
)
def test_every_callout_has_its_legend_line(project: Path, body: str, message: str) -> None:
    path = write(project, "legende", KEYMAP + TWO, body)
    card = parse_card(path, load_settings(project))
    with pytest.raises(ContentError) as info:
        sides_html(card, Diagnostics())
    assert info.value.message.startswith(message)
    assert info.value.file == "content/cards/legende.md"
    text = path.read_text(encoding="utf-8").split("\n")
    assert text[(info.value.line or 0) - 1] == "callouts:"


def test_check_reports_a_missing_legend_line(project: Path) -> None:
    write(project, "legende", KEYMAP + TWO, "1. Un seul.")
    diag = Diagnostics()
    cards = load_cards(project / "content/cards", load_settings(project), diag)
    assert "legende" not in [c.name for c in cards]  # recorded and left out, as any wrong card
    assert any("callout 2 has no legend line" in str(d) for d in diag.errors)
    (project / "content/cards/legende.md").unlink()


def test_a_legend_with_nested_lists_counts_its_own_lines(project: Path) -> None:
    body = "1. Un.\n   - détail\n   - détail\n2. Deux.\n\n3. Après."
    path = write(project, "imbrique", KEYMAP + TWO, body)
    with pytest.raises(ContentError, match="legend line 3 has no callout"):
        sides_html(parse_card(path, load_settings(project)), Diagnostics())
    write(project, "imbrique", KEYMAP + TWO, "1. Un.\n   - détail\n2. Deux.\n\nFin.")
    card = parse_card(path, load_settings(project))
    assert 'class="legend"' in sides_html(card, Diagnostics())["front"]
    path.unlink()


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("callouts:\n  - {x: 1, y: 1}", "'callouts' needs 'layout: keymap'"),
        ("drawing: ../.gitbook/assets/phone.svg", "'drawing' needs 'layout: keymap'"),
        ("layout: keymap\n" + TWO, "layout 'keymap' needs a 'drawing' (an SVG or PNG)"),
        ("layout: keymap\ndrawing: ../.gitbook/assets/phon.svg\n" + TWO,
         "drawing '../.gitbook/assets/phon.svg' not found"),
        ("layout: keymap\ndrawing: ../guide.md\n" + TWO,
         "drawing '../guide.md' is not an SVG or PNG file"),
        (KEYMAP, "layout 'keymap' needs 'callouts': a list of {x: %, y: %}"),
        (KEYMAP + "callouts:\n  - {x: 10, y: 120}", "callout 1 must be {x: %, y: %}, each from"),
        (KEYMAP + "callouts:\n  - {x: 10}", "callout 1 must be {x: %, y: %}"),
        (KEYMAP + "callouts:\n  - [10, 20]", "callout 1 must be {x: %, y: %}"),
    ],
)  # fmt: skip
def test_wrong_key_map_front_matter_names_its_line(project: Path, front: str, message: str) -> None:
    path = write(project, "faux", front, "1. Un.")
    with pytest.raises(ConfigError) as info:
        parse_card(path, load_settings(project))
    assert info.value.message.startswith(message)
    assert (info.value.line or 0) > 1
    path.unlink()


def test_a_key_map_that_cannot_fit_fails_like_any_card(project: Path, renderer: Renderer) -> None:
    legend = "\n".join(f"{n}. **Touche {n}** " + "Une longue explication. " * 40 for n in (1, 2))
    path = write(project, "trop", KEYMAP + TWO, legend)
    card = parse_card(path, load_settings(project))
    with pytest.raises(RenderError, match="does not fit on one page even at 8 pt"):
        render_card(card, renderer, project.parent / "trop.pdf")
    path.unlink()


def test_on_a_wide_card_the_legend_stands_beside_the_drawing(
    project: Path, renderer: Renderer
) -> None:
    source = (project / "content/cards/keymap.md").read_text(encoding="utf-8")
    wide = source.replace(
        "title: Carte des touches", "title: Large\nsize: A6\norientation: landscape"
    )
    path = project / "content/cards/large.md"
    path.write_text(wide, encoding="utf-8")
    card = load_card(project / "content/cards", "large", load_settings(project))
    pdf = project.parent / "large.pdf"
    assert render_card(card, renderer, pdf).pages == 1
    (x0, _, x1, _) = next(box for alt, box in figures(pdf) if alt.startswith("Télé"))
    legend = [w for line in lines(pdf, 1) for w in line if w[0] in ("Gauche", "Milieu", "Droite")]
    assert len(legend) == 3
    assert all(w[1] > x1 * 0.75 for w in legend)  # right of the drawing (px -> pt)
    assert x0 * 0.75 < 148 * PT_PER_MM / 2  # the drawing: in the first column
    path.unlink()


def test_the_bundled_yealink_card_fits_with_its_owner_box(copy: Path) -> None:
    """A welcome pack prints the person's box on the front: the key map gives it room (the
    pack of every Yealink user failed, 8 mm too long at 8 pt, before)."""
    from clirun import cli

    (copy / "users.csv").write_text(
        "Prénom;Nom;Courriel;N° de poste;Appareils\n"
        "Jean;Dupont;jean.dupont@groupehautier.fr;201;yealink\n", encoding="utf-8")  # fmt: skip
    code, _, err = cli(["welcome", "users.csv", "--jobs", "1"], copy)
    assert code == 0, err
    (card,) = (copy / "out" / "welcome").glob("*/bienvenue-*.pdf")  # the person's cards
    from pypdf import PdfReader

    front = PdfReader(card).pages[0].extract_text()
    for text in ("Jean Dupont", "201", "Clavier"):  # the box, and the legend's last line
        assert text in front
