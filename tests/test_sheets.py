"""Imposition read back: page boxes in points, text positions per cell, marks, pixels, order."""

from __future__ import annotations

import itertools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from PIL import Image
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject

from builder.errors import RenderError
from builder.sheets import (
    booklet_order,
    impose_booklet,
    impose_cards,
    impose_copies,
    impose_print_shop,
    trim_card,
)
from builder.sheets.geometry import MM, Rect, fit_grid, mm

A4_PT = (595.276, 841.89)
BLEED = 8.504  # 3 mm in points
CARD_BG = (204, 221, 238)
BLEED_BG = (0, 160, 80)

# One WeasyPrint render makes every input; named pages give each its size (and bleed).
FIXTURE_HTML = """<style>
@page a6 { size: 105mm 148mm; margin: 0; background: rgb(204, 221, 238) }
@page cc { size: 85.6mm 54mm; margin: 0 }
@page shop { size: 105mm 148mm; margin: 0; bleed: 3mm; background: rgb(0, 160, 80) }
@page a5 { size: 148mm 210mm; margin: 0 }
@page wide { size: 148mm 105mm; margin: 0 }
body { margin: 0; font: 12pt sans-serif }
div { break-after: page; padding: 12mm }
.a6 { page: a6 } .cc { page: cc } .shop { page: shop } .a5 { page: a5 } .wide { page: wide }
</style>"""
PAGES = [
    ("a6", "CARD-1 FRONT"), ("a6", "CARD-1 BACK"), ("a6", "CARD-2 FRONT"),
    ("a6", "CARD-3 FRONT"), ("a6", "CARD-3 BACK"), ("cc", "CARD-4 FRONT"),
    ("shop", "SHOP-1 FRONT"), ("shop", "SHOP-1 BACK"), ("shop", "SHOP-2 FRONT"),
    ("wide", "CARD-5 FRONT"), ("wide", "CARD-5 BACK"),
] + [("a5", f"PAGE {n}") for n in range(1, 11)]  # fmt: skip
FILES = {"card1": (0, 2), "card2": (2, 3), "card3": (3, 5), "card4": (5, 6),
         "shop1": (6, 8), "shop2": (8, 9), "card5": (9, 11), "manual": (11, 21)}  # fmt: skip


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Render the fixture pages once and split them into one PDF per card and the manual."""
    import weasyprint

    folder = tmp_path_factory.mktemp("sheets-in")
    body = "".join(f'<div class="{cls}">{text}</div>' for cls, text in PAGES)
    whole = folder / "all.pdf"
    weasyprint.HTML(string=FIXTURE_HTML + body).write_pdf(whole)
    reader = PdfReader(whole)
    paths = {}
    for name, (start, end) in FILES.items():
        writer = PdfWriter()
        for page in reader.pages[start:end]:
            writer.add_page(page)
        paths[name] = folder / f"{name}.pdf"
        writer.write(paths[name])
    return paths


# --- reading outputs back ---------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    text: str
    box: Rect  # PDF coordinates (origin bottom left), points


def words(pdf: Path) -> list[list[Word]]:
    """Return each page's words with their boxes, from poppler's pdftotext -bbox."""
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    page_re = r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>'
    for height, body in re.findall(page_re, xml, re.S):
        h = float(height)
        found = re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
            body,
        )
        pages.append(
            [
                Word(t, Rect(float(a), h - float(d), float(c), h - float(b)))
                for a, b, c, d, t in found
            ]
        )
    return pages


def labels(page: list[Word]) -> dict[str, Rect]:
    """Join 'CARD-1' 'FRONT' into one label with the box around both words."""
    out = {}
    for first, second in itertools.pairwise(page):
        if re.fullmatch(r"(CARD|SHOP)-\d|PAGE", first.text):
            b, c = first.box, second.box
            out[f"{first.text} {second.text}"] = Rect(b.x0, min(b.y0, c.y0), c.x1, max(b.y1, c.y1))
    return out


def placed(page: PageObject) -> list[Rect]:
    """Return where each drawn form lands on the sheet: its BBox through its matrix."""
    resources = cast(DictionaryObject, page["/Resources"].get_object())
    forms = cast(DictionaryObject, resources["/XObject"].get_object())
    rects, matrix = [], Transformation()
    for operands, op in ContentStream(page.get_contents(), page.pdf).operations:
        if op == b"cm":
            a, b, c, d, e, f = (float(v) for v in operands)
            matrix = Transformation((a, b, c, d, e, f))
        elif op == b"Do":
            form = cast(DictionaryObject, forms[operands[0]].get_object())
            x0, y0, x1, y1 = (float(v) for v in cast(ArrayObject, form["/BBox"]))
            pts = [matrix.apply_on((x, y)) for x in (x0, x1) for y in (y0, y1)]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            rects.append(Rect(min(xs), min(ys), max(xs), max(ys)))
    return rects


def marks(page: PageObject) -> list[tuple[float, float, float, float]]:
    """Return the line segments drawn on a sheet (m ... l pairs)."""
    segs, start = [], (0.0, 0.0)
    for operands, op in ContentStream(page.get_contents(), page.pdf).operations:
        if op == b"m":
            start = (float(operands[0]), float(operands[1]))
        elif op == b"l":
            segs.append((*start, float(operands[0]), float(operands[1])))
    return segs


def crosses(seg: tuple[float, float, float, float], r: Rect) -> bool:
    """Tell whether an axis-parallel segment runs over a rectangle, its edges included."""
    x0, x1 = sorted((seg[0], seg[2]))
    y0, y1 = sorted((seg[1], seg[3]))
    if x0 == x1:
        return r.x0 - 0.01 <= x0 <= r.x1 + 0.01 and min(y1, r.y1) - max(y0, r.y0) > 0.01
    return r.y0 - 0.01 <= y0 <= r.y1 + 0.01 and min(x1, r.x1) - max(x0, r.x0) > 0.01


def size(page: PageObject) -> tuple[float, float]:
    return (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2))


def raster(pdf: Path, folder: Path, page: int = 1, dpi: int = 72) -> Image.Image:
    """Rasterise one page with pdftoppm."""
    stem = folder / f"{pdf.stem}-{page}"
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", str(page), "-l", str(page),
         str(pdf), str(stem)],
        check=True,
    )  # fmt: skip
    return Image.open(f"{stem}.png").convert("RGB")


def quarter(r: Rect, sheet: tuple[float, float]) -> tuple[int, int]:
    """Return (row, column) of the sheet quarter holding the rectangle's centre."""
    cx, cy = (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2
    return (0 if cy > sheet[1] / 2 else 1, 0 if cx < sheet[0] / 2 else 1)


# --- geometry ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("card_mm", "count", "rotated"),
    [((105, 148), 4, False), ((74, 105), 8, True), ((85.6, 54), 10, False),
     ((148, 210), 2, True), ((148, 105), 4, True)],
)  # fmt: skip
def test_office_grid_counts_and_margins(
    card_mm: tuple[float, float], count: int, rotated: bool
) -> None:
    sheet = (mm(210), mm(297))
    grid = fit_grid(sheet, (mm(card_mm[0]), mm(card_mm[1])), margin=mm(5), gutter=mm(4),
                    min_scale=0.9)  # fmt: skip
    assert grid is not None
    assert (grid.per_sheet, grid.rotated) == (count, rotated)
    assert 0.9 <= grid.scale <= 1
    printable = Rect(0, 0, *sheet).grow(-mm(5))
    assert all(printable.contains(c) for c in grid.cells)
    for i, a in enumerate(grid.cells):
        for b in grid.cells[i + 1 :]:
            assert a.x1 + mm(4) <= b.x0 + 0.01 or a.y0 >= b.y1 + mm(4) - 0.01


def test_booklet_order_pairs_facing_pages() -> None:
    assert booklet_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    sides = booklet_order(10)
    assert sides[:2] == [(0, 1), (2, 0)]  # pages 11 and 12 are blank
    assert sorted(n for side in sides for n in side if n) == list(range(1, 11))


# --- office sheets -----------------------------------------------------------------------


def test_all_cards_fronts_in_cells_backs_mirrored(inputs: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "all-cards.pdf"
    report = impose_cards([inputs["card1"], inputs["card2"], inputs["card3"]], target)
    assert report.pages == 2
    assert report.duplex
    (group,) = report.groups
    assert (group.per_sheet, group.sheets, group.card_mm) == (4, 1, (105.0, 148.0))
    reader = PdfReader(target)
    assert [size(p) for p in reader.pages] == [(595.28, 841.89)] * 2
    front, back = (labels(p) for p in words(target))
    cells = placed(reader.pages[0])
    assert len(cells) == 3
    for k, cell in enumerate(cells, 1):
        assert cell.contains(front[f"CARD-{k} FRONT"])  # each card's text inside its own cell
        assert cell.x0 >= mm(5) - 0.01
        assert cell.y0 >= mm(5) - 0.01
        assert A4_PT[0] - cell.x1 >= mm(5) - 0.01
        assert A4_PT[1] - cell.y1 >= mm(5) - 0.01
    assert quarter(front["CARD-1 FRONT"], A4_PT) == (0, 0)
    assert quarter(front["CARD-2 FRONT"], A4_PT) == (0, 1)
    assert quarter(front["CARD-3 FRONT"], A4_PT) == (1, 0)
    assert set(back) == {"CARD-1 BACK", "CARD-3 BACK"}
    for k in (1, 3):
        mirrored = cells[k - 1].mirrored(A4_PT[0])
        assert mirrored.contains(back[f"CARD-{k} BACK"])
        # same place in its card as the front's label: an upright back, not a turned one
        dx = back[f"CARD-{k} BACK"].x0 - mirrored.x0
        assert dx == pytest.approx(front[f"CARD-{k} FRONT"].x0 - cells[k - 1].x0, abs=0.5)


def test_turned_cards_backs_upright_behind_fronts(inputs: dict[str, Path], tmp_path: Path) -> None:
    report = impose_copies(inputs["card5"], tmp_path / "wide.pdf", copies=1)
    assert report.groups[0].rotated
    cell = placed(PdfReader(report.target).pages[0])[0]
    (front,), (back,) = (list(labels(p).values()) for p in words(report.target))
    # Labels sit at each side's top left. Turned a quarter left, the front's top edge is at
    # the cell's left, its left edge at the bottom. After the long-edge flip the card's top
    # is at the mirrored cell's right and the back's left edge (behind the front's right
    # edge) at the top: the back reads upright, turned the other way.
    mirrored = cell.mirrored(A4_PT[0])
    assert cell.contains(front)
    assert mirrored.contains(back)
    assert front.x0 - cell.x0 == pytest.approx(mirrored.x1 - back.x1, abs=0.5)
    assert front.y0 - cell.y0 == pytest.approx(mirrored.y1 - back.y1, abs=0.5)
    assert front.y1 < (cell.y0 + cell.y1) / 2 < back.y0


def test_cut_guides_only_outside_cards(inputs: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "guides.pdf"
    impose_copies(inputs["card1"], target)
    page = PdfReader(target).pages[0]
    cells, segs = placed(page), marks(page)
    assert len(cells) == 4
    assert len(segs) >= 8
    printable = Rect(0, 0, *A4_PT).grow(-mm(5))
    for seg in segs:
        assert not any(crosses(seg, c) for c in cells)
        assert printable.contains(Rect(min(seg[0], seg[2]), min(seg[1], seg[3]),
                                       max(seg[0], seg[2]), max(seg[1], seg[3])))  # fmt: skip
    edges = {round(c.x0, 1) for c in cells} | {round(c.x1, 1) for c in cells}
    assert edges <= {round(s[0], 1) for s in segs if s[0] == s[2]}  # every cut line marked
    # pixels: card colour only inside cells, nothing but marks outside
    image = raster(target, tmp_path)
    for c in cells:
        inner = c.grow(-2)
        assert image.getpixel((int(inner.x0), int(A4_PT[1] - inner.y1))) == CARD_BG
    assert image.getpixel((int(cells[0].x1 + 4), int(A4_PT[1] - cells[0].y1 + 20))) == (255,) * 3


def test_copies_fill_sheets_with_backs(inputs: dict[str, Path], tmp_path: Path) -> None:
    report = impose_copies(inputs["card1"], tmp_path / "copies.pdf", copies=6)
    assert (report.pages, report.groups[0].sheets) == (4, 2)
    pages = [labels(p) for p in words(report.target)]
    counts = [len(re.findall(r"CARD-1", " ".join(w.text for w in p)))
              for p in words(report.target)]  # fmt: skip
    assert counts == [4, 4, 2, 2]
    assert "CARD-1 BACK" in pages[3]


def test_office_sheet_of_bleed_cards_cut_at_trim(inputs: dict[str, Path], tmp_path: Path) -> None:
    report = impose_copies(inputs["shop1"], tmp_path / "trimmed.pdf", copies=1)
    (cell,) = placed(PdfReader(report.target).pages[0])
    assert cell.width / cell.height == pytest.approx(105 / 148)
    image = raster(report.target, tmp_path)
    top = A4_PT[1] - cell.y1
    assert image.getpixel((round(cell.x0 + 2), round(top + 2))) == BLEED_BG
    assert image.getpixel((round(cell.x0 - 2), round(top + 20))) == (255, 255, 255)


def test_small_cards_ten_per_sheet_at_actual_size(inputs: dict[str, Path], tmp_path: Path) -> None:
    report = impose_copies(inputs["card4"], tmp_path / "cc.pdf")
    (group,) = report.groups
    assert (group.per_sheet, group.scale, report.pages, report.duplex) == (10, 1.0, 1, False)
    cells = placed(PdfReader(report.target).pages[0])
    assert {(round(c.width / MM, 1), round(c.height / MM, 1)) for c in cells} == {(85.6, 54.0)}


def test_bad_inputs_leave_previous_output(inputs: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "all-cards.pdf"
    target.write_bytes(b"previous")
    with pytest.raises(RenderError, match="cannot read"):
        impose_cards([inputs["card1"], tmp_path / "missing.pdf"], target)
    with pytest.raises(RenderError, match="1 or 2 pages"):
        impose_cards([inputs["manual"]], target)
    with pytest.raises(RenderError, match="0 copies"):
        impose_copies(inputs["card1"], target, copies=0)
    with pytest.raises(RenderError, match="does not fit"):
        impose_cards([inputs["card1"]], target, sheet_mm=(100, 140))
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["all-cards.pdf"]


# --- print shop --------------------------------------------------------------------------


def test_a_print_shop_file_has_its_bleed(inputs: dict[str, Path], tmp_path: Path) -> None:
    for page in PdfReader(inputs["shop1"]).pages:
        t, b = page.trimbox, page.bleedbox
        margins = [t.left - b.left, t.bottom - b.bottom, b.right - t.right, b.top - t.top]
        assert [float(m) for m in margins] == pytest.approx([BLEED] * 4, abs=0.001)
    image = raster(inputs["shop1"], tmp_path)
    w, h = image.size
    for xy in [(2, 2), (w - 3, 2), (2, h - 3), (w - 3, h - 3), (w // 2, 3)]:  # in the bleed
        assert image.getpixel(xy) == BLEED_BG


def test_a_bleed_card_cut_to_its_trim(inputs: dict[str, Path], tmp_path: Path) -> None:
    report = trim_card(inputs["shop1"], tmp_path / "card.pdf", trim_mm=(105, 148))
    assert (report.pages, report.trim_mm) == (2, (105.0, 148.0))
    source = PdfReader(inputs["shop1"])
    for before, page in zip(source.pages, PdfReader(report.target).pages, strict=True):
        trim = [float(v) for v in before.trimbox]
        for name in ("mediabox", "cropbox", "trimbox", "bleedbox"):  # bleed: the crop's
            assert [float(v) for v in getattr(page, name)] == pytest.approx(trim), name
    image = raster(report.target, tmp_path)
    assert image.size == (round(105 / 25.4 * 72), round(148 / 25.4 * 72))  # the trim, no bleed


def test_trimming_refuses_a_card_without_bleed(inputs: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="BleedBox is"):
        trim_card(inputs["card1"], tmp_path / "x.pdf")
    with pytest.raises(RenderError, match=r"trim is 105\.0 x 148\.0 mm, not 85\.6 x 54"):
        trim_card(inputs["shop1"], tmp_path / "x.pdf", trim_mm=(85.6, 54))
    assert not (tmp_path / "x.pdf").exists()


def test_print_shop_sheet_keeps_bleed_marks_outside(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    report = impose_print_shop([inputs["shop1"], inputs["shop2"]], tmp_path / "shop.pdf")
    assert report.pages == 2
    assert report.groups[0].scale == 1.0
    reader = PdfReader(report.target)
    sheet = size(reader.pages[0])
    assert sheet == (907.09, 1275.59)  # SRA3
    cells, segs = placed(reader.pages[0]), marks(reader.pages[0])
    assert {(round(c.width, 2), round(c.height, 2)) for c in cells} == {(314.65, 436.54)}
    trims = [c.grow(-BLEED) for c in cells]
    for seg in segs:
        assert not any(crosses(seg, c) for c in cells)  # never on a card or its bleed
    for t in trims:  # every trim corner is marked on both axes
        for x, y in [(t.x0, t.y0), (t.x1, t.y0), (t.x0, t.y1), (t.x1, t.y1)]:
            assert any(abs(s[0] - x) < 0.01 and abs(s[2] - x) < 0.01 for s in segs)
            assert any(abs(s[1] - y) < 0.01 and abs(s[3] - y) < 0.01 for s in segs)
    image = raster(report.target, tmp_path)
    for c in cells:  # the background reaches into the bleed on the sheet too
        assert image.getpixel((round(c.x0 + 2), round(sheet[1] - c.y1 + 2))) == BLEED_BG


# --- booklet -----------------------------------------------------------------------------


def test_booklet_order_read_back(inputs: dict[str, Path], tmp_path: Path) -> None:
    report = impose_booklet(inputs["manual"], tmp_path / "booklet.pdf")
    assert (report.pages_in, report.blanks, report.sheets, report.scale) == (10, 2, 3, 1.0)
    assert (report.pages_in + report.blanks) % 4 == 0
    reader = PdfReader(report.target)
    assert [size(p) for p in reader.pages] == [(841.89, 595.28)] * 6
    seen = []
    for page in words(report.target):
        left = right = 0
        for label, r in labels(page).items():
            n = int(label.split()[1])
            if r.x1 <= A4_PT[1] / 2:
                left = n
            elif r.x0 >= A4_PT[1] / 2:
                right = n
        seen.append((left, right))
    assert seen == [(0, 1), (2, 0), (10, 3), (4, 9), (8, 5), (6, 7)]
    cells = placed(reader.pages[2])  # pages meet at the fold
    assert cells[0].x1 == pytest.approx(A4_PT[1] / 2) == pytest.approx(cells[1].x0)


# --- how to print an office sheet ----------------------------------------------------------


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The print note of office sheets, in French and in English, laid out by our renderer."""
    from builder.diagnostics import Diagnostics
    from builder.pdf import Renderer
    from builder.sheets.job import write_note

    folder = tmp_path_factory.mktemp("notes")
    renderer = Renderer([folder], Diagnostics())
    try:
        found = {
            lang: write_note(renderer, lang, folder / f"note-{lang}.pdf") for lang in ("fr", "en")
        }
    finally:
        renderer.close()
    assert not renderer.diag.items
    return found


def note_words(page: list[Word]) -> list[Word]:
    """The words above the cards: in the top 14 mm of an A4 sheet (margin and note)."""
    return [w for w in page if w.box.y0 >= A4_PT[1] - mm(14) - 0.5]


def test_office_sheets_say_how_to_print_in_the_top_margin(
    inputs: dict[str, Path], notes: dict[str, Path], tmp_path: Path
) -> None:
    target = tmp_path / "noted.pdf"
    report = impose_cards([inputs["card1"], inputs["card2"], inputs["card3"]], target,
                          note=notes["fr"])  # fmt: skip
    assert report.duplex
    assert report.groups[0].per_sheet == 4  # the note's room costs no card
    front, back = words(target)
    text = " ".join(w.text for w in note_words(front))
    for phrase in ("recto verso", "bord long", "100 %", "Découpez", "traits de coupe"):
        assert phrase in text, phrase
    assert not note_words(back)  # the back of the sheet has no note
    page = PdfReader(target).pages[0]
    cells = placed(page)[:3]  # the cards: the note is drawn last, as a fourth form
    for w in note_words(front):
        assert w.box.y1 <= A4_PT[1] - mm(5) + 0.5  # printable: under the top margin
        assert not any(c.contains(w.box) or _overlap(c, w.box) for c in cells)
    band = Rect(0, A4_PT[1] - mm(14), A4_PT[0], A4_PT[1])
    assert not any(crosses(seg, band.grow(-0.5)) for seg in marks(page))  # no mark on the text


def test_one_sided_sheets_and_english_notes_say_so(
    inputs: dict[str, Path], notes: dict[str, Path], tmp_path: Path
) -> None:
    fr = impose_cards([inputs["card2"]], tmp_path / "fr.pdf", note=notes["fr"])
    en = impose_copies(inputs["card1"], tmp_path / "en.pdf", copies=2, note=notes["en"])
    assert not fr.duplex
    assert en.duplex
    fr_text = " ".join(w.text for w in note_words(words(fr.target)[0]))
    en_text = " ".join(w.text for w in note_words(words(en.target)[0]))
    assert "recto seul" in fr_text
    assert "recto verso" not in fr_text
    for phrase in ("double-sided", "long edge", "100%", "Cut along the cut marks"):
        assert phrase in en_text, phrase


def test_a_note_of_another_size_is_refused(
    inputs: dict[str, Path], notes: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(RenderError, match="the print note is 210 x 297 mm, not the sheet's"):
        impose_cards([inputs["card1"]], tmp_path / "a3.pdf", sheet_mm=(297, 420),
                     note=notes["fr"])  # fmt: skip


def _overlap(a: Rect, b: Rect) -> bool:
    return min(a.x1, b.x1) > max(a.x0, b.x0) and min(a.y1, b.y1) > max(a.y0, b.y0)


def test_a_card_pdf_rewritten_is_read_again(inputs: dict[str, Path], tmp_path: Path) -> None:
    """Readers are kept by the hash of the bytes (two sheets impose the same cards): a card
    saved with new content, at the same path, is imposed as it is now."""
    card = tmp_path / "card.pdf"
    card.write_bytes(inputs["card1"].read_bytes())
    first = impose_copies(card, tmp_path / "a.pdf", copies=1)
    assert "CARD-1" in " ".join(w.text for w in words(first.target)[0])
    card.write_bytes(inputs["card2"].read_bytes())
    again = impose_copies(card, tmp_path / "b.pdf", copies=1)
    text = " ".join(w.text for w in words(again.target)[0])
    assert "CARD-2" in text
    assert "CARD-1" not in text
