"""Cards imposed on sheets: office sheets (cut guides) and print-shop sheets (bleed, crop marks).

Fronts fill a sheet in reading order; when any card has a back, every front sheet is followed
by a back sheet whose cells are mirrored left-right, so that printed duplex with a flip on the
long edge (portrait sheets) each back lands behind its own front.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pypdf import PageObject, Transformation
from pypdf.generic import IndirectObject

from builder.errors import RenderError
from builder.sheets.bleed import check_bleed
from builder.sheets.geometry import (
    A4,
    BLEED_MM,
    MM,
    NOTE_MM,
    SRA3,
    Grid,
    Rect,
    Segment,
    cut_marks,
    fit_grid,
    mm,
)
from builder.sheets.place import BoxName, SheetWriter, back_placement, box, placement, read_pdf

MIN_SCALE = 0.9  # office sheets shrink cards at most this much to keep the printer's margin


@dataclass(frozen=True)
class Group:
    """Sheets holding cards of one size."""

    card_mm: tuple[float, float]  # the placed box (trim, or trim + bleed) before scaling
    per_sheet: int
    scale: float  # 1.0 = actual size
    rotated: bool  # cards turned a quarter on the sheet
    sheets: int


@dataclass(frozen=True)
class SheetsReport:
    target: Path
    pages: int  # PDF pages: fronts, each followed by its backs when duplex
    duplex: bool  # print on both sides, flip on the long edge
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class _Style:
    clip: BoxName  # what of each card is drawn
    margin: float  # pt, sheet edge to nearest card
    gutter: float  # pt, between cells
    min_scale: float
    inset: float  # pt, from a cell to the card's trim (the bleed)
    offset: float  # pt, from the trim to where a mark starts
    length: float  # pt, of a mark before clipping
    keep: float  # pt, marks stay this far from every cell
    edge: float  # pt, marks stay this far from the sheet edge
    top: float = 0.0  # pt under the top margin kept for the note (office sheets)


@dataclass(frozen=True)
class _Card:
    key: Path
    front: PageObject
    back: PageObject | None
    size: tuple[float, float]  # pt, of the clip box


def impose_cards(
    cards: Sequence[Path],
    target: Path,
    *,
    sheet_mm: tuple[float, float] = A4,
    margin_mm: float = 5.0,
    gutter_mm: float = 4.0,
    note: Path | None = None,
) -> SheetsReport:
    """Impose one of each card on office sheets, cut guides in the gutters; write target.

    note: a PDF of two sheet-sized pages, how to print the sheets duplex and one-sided
    (builder/sheets/job.py); the one that applies is drawn in the top margin of each front.
    """
    style = _office(margin_mm, gutter_mm, note=note is not None)
    return _impose([_load(p, style) for p in cards], target, style, sheet_mm, note=note)


def impose_copies(
    card: Path,
    target: Path,
    *,
    copies: int | None = None,
    sheet_mm: tuple[float, float] = A4,
    margin_mm: float = 5.0,
    gutter_mm: float = 4.0,
    note: Path | None = None,
) -> SheetsReport:
    """Impose copies of one card on office sheets (default: one full sheet); write target."""
    style = _office(margin_mm, gutter_mm, note=note is not None)
    loaded = _load(card, style)
    if copies is None:
        copies = _grid(loaded.size, style, sheet_mm).per_sheet
    if copies < 1:
        raise RenderError(f"cannot print {copies} copies", hint="ask for 1 copy or more")
    return _impose([loaded] * copies, target, style, sheet_mm, note=note)


def impose_print_shop(
    cards: Sequence[Path],
    target: Path,
    *,
    sheet_mm: tuple[float, float] = SRA3,
    bleed_mm: float = BLEED_MM,
) -> SheetsReport:
    """Impose bleed-rendered cards at actual size with their bleed and crop marks; write target."""
    bleed = mm(bleed_mm)
    style = _Style(
        clip="bleedbox",
        margin=mm(10),
        gutter=mm(6),
        min_scale=1.0,
        inset=bleed,
        offset=bleed,
        length=mm(5),
        keep=0.0,
        edge=mm(5),
    )
    loaded = [_load(p, style, bleed_mm=bleed_mm) for p in cards]
    return _impose(loaded, target, style, sheet_mm)


def _office(margin_mm: float, gutter_mm: float, *, note: bool = False) -> _Style:
    offset = min(mm(0.75), mm(gutter_mm) / 4)
    return _Style(
        clip="trimbox",
        margin=mm(margin_mm),
        gutter=mm(gutter_mm),
        min_scale=MIN_SCALE,
        inset=0.0,
        offset=offset,
        length=mm(4),
        keep=offset,
        edge=mm(margin_mm),
        top=mm(NOTE_MM) if note else 0.0,
    )


def _load(path: Path, style: _Style, *, bleed_mm: float = BLEED_MM) -> _Card:
    reader = read_pdf(path)
    if len(reader.pages) > 2:
        raise RenderError(
            f"a card has 1 or 2 pages, this one {len(reader.pages)}",
            file=path,
            hint="a card side must fit on one page",
        )
    pages = list(reader.pages)
    if style.clip == "bleedbox":
        for number, page in enumerate(pages, 1):
            check_bleed(page, path, number, bleed_mm=bleed_mm)
    clip = box(pages[0], style.clip)
    back = pages[1] if len(pages) == 2 else None
    return _Card(path, pages[0], back, (round(clip.width, 2), round(clip.height, 2)))


def _grid(size: tuple[float, float], style: _Style, sheet_mm: tuple[float, float]) -> Grid:
    # The note's room is taken off the top: the grid is laid out (and centred) below it.
    sheet = (mm(sheet_mm[0]), mm(sheet_mm[1]) - style.top)
    grid = fit_grid(
        sheet, size, margin=style.margin, gutter=style.gutter, min_scale=style.min_scale
    )
    if grid is None:
        w, h = (round(v / MM, 1) for v in size)
        raise RenderError(
            f"a {w:g} x {h:g} mm card does not fit on a {sheet_mm[0]:g} x {sheet_mm[1]:g} mm sheet",
            hint="choose a larger sheet or a smaller card size",
        )
    return grid


def _impose(
    cards: list[_Card],
    target: Path,
    style: _Style,
    sheet_mm: tuple[float, float],
    *,
    note: Path | None = None,
) -> SheetsReport:
    if not cards:
        raise RenderError("no card to impose", hint="add a card to the space's cards/ folder")
    out = SheetWriter()
    sheet = (mm(sheet_mm[0]), mm(sheet_mm[1]))
    duplex = any(c.back is not None for c in cards)
    header = _note(out, note, sheet, duplex=duplex) if note else None
    groups = []
    for size in dict.fromkeys(c.size for c in cards):
        grid = _grid(size, style, sheet_mm)
        same = [c for c in cards if c.size == size]
        chunks = [same[i : i + grid.per_sheet] for i in range(0, len(same), grid.per_sheet)]
        for chunk in chunks:
            _add_sheets(out, chunk, grid, style, sheet, duplex=duplex, note=header)
        w, h = (round(v / MM, 2) for v in size)
        scale = round(grid.scale, 4)
        groups.append(Group((w, h), grid.per_sheet, scale, grid.rotated, len(chunks)))
    out.write(target)
    return SheetsReport(target, len(out.writer.pages), duplex, tuple(groups))


def _add_sheets(
    out: SheetWriter,
    chunk: list[_Card],
    grid: Grid,
    style: _Style,
    sheet: tuple[float, float],
    *,
    duplex: bool,
    note: IndirectObject | None = None,
) -> None:
    """Append the front sheet of a chunk of cards, and its back sheet when printing duplex."""
    turn = 90 if grid.rotated else 0
    cells = grid.cells[: len(chunk)]
    fronts: list[tuple[IndirectObject, Transformation]] = []
    backs: list[tuple[IndirectObject, Transformation]] = []
    for card, cell in zip(chunk, cells, strict=True):
        src = box(card.front, style.clip)
        form = out.form((card.key, 0), card.front, style.clip)
        fronts.append((form, placement(src, cell, rotate=turn)))
        if card.back is not None:
            src = box(card.back, style.clip)
            matrix = back_placement(placement(src, cell, rotate=turn), src, sheet[0])
            backs.append((out.form((card.key, 1), card.back, style.clip), matrix))
    if note is not None:  # drawn where it was laid out: the sheet's own size
        fronts.append((note, Transformation()))
    out.add_sheet(sheet, fronts, _marks(cells, style, sheet, grid.scale))
    if duplex:
        out.add_sheet(sheet, backs)


def _marks(
    cells: Sequence[Rect], style: _Style, sheet: tuple[float, float], scale: float
) -> list[Segment]:
    zone = Rect(0, 0, *sheet).grow(-style.edge)
    # No mark through the note: it is kept out like a card.
    note = [Rect(0, sheet[1] - style.edge - style.top, sheet[0], sheet[1])] if style.top else []
    return cut_marks(
        [c.grow(-style.inset * scale) for c in cells],
        keepout=[c.grow(style.keep) for c in cells] + note,
        zone=zone,
        offset=style.offset,
        length=style.length,
    )


def _note(
    out: SheetWriter, note: Path, sheet: tuple[float, float], *, duplex: bool
) -> IndirectObject:
    """The note page that applies (first: duplex, second: one-sided) as a form, checked."""
    reader = read_pdf(note)
    page = reader.pages[0 if duplex or len(reader.pages) < 2 else 1]
    size = box(page, "mediabox")
    if abs(size.width - sheet[0]) > 0.5 or abs(size.height - sheet[1]) > 0.5:
        raise RenderError(
            f"the print note is {size.width / MM:.0f} x {size.height / MM:.0f} mm,"
            f" not the sheet's {sheet[0] / MM:.0f} x {sheet[1] / MM:.0f} mm",
            file=note,
        )
    return out.form((note, duplex), page, "trimbox")
