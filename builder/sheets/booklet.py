"""The manual as a saddle-stitched booklet: two pages side by side on each side of a sheet.

Sheets are landscape; print them duplex with a flip on the SHORT edge (the usual "booklet"
setting), stack them in order, fold the stack in the middle and staple on the fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pypdf import PageObject, Transformation
from pypdf.generic import IndirectObject

from builder.sheets.geometry import A4_LANDSCAPE, Rect, mm
from builder.sheets.place import SheetWriter, box, read_pdf


@dataclass(frozen=True)
class BookletReport:
    target: Path
    pages_in: int  # pages of the manual
    blanks: int  # blank pages added at the end to reach a multiple of 4
    sheets: int  # sheets of paper; the PDF has two pages (sides) per sheet
    scale: float  # 1.0 = actual size (A5 pages on A4)


def booklet_order(pages: int) -> list[tuple[int, int]]:
    """Return (left, right) page numbers of each sheet side in print order; 0 is a blank.

    For 8 pages: (8, 1), (2, 7), (6, 3), (4, 5) - the outer sheet first, its front then back.
    """
    total = -(-pages // 4) * 4

    def real(n: int) -> int:
        return n if n <= pages else 0

    sides = []
    for s in range(total // 4):
        sides.append((real(total - 2 * s), real(1 + 2 * s)))
        sides.append((real(2 + 2 * s), real(total - 1 - 2 * s)))
    return sides


def impose_booklet(
    manual: Path, target: Path, *, sheet_mm: tuple[float, float] = A4_LANDSCAPE
) -> BookletReport:
    """Impose the manual 2-up as a booklet (blanks added, pages reordered); write target."""
    reader = read_pdf(manual)
    pages = list(reader.pages)
    sheet = (mm(sheet_mm[0]), mm(sheet_mm[1]))
    halves = (Rect(0, 0, sheet[0] / 2, sheet[1]), Rect(sheet[0] / 2, 0, sheet[0], sheet[1]))
    scale = _scale(pages, halves[0])
    out = SheetWriter()
    order = booklet_order(len(pages))
    for side in order:
        placed: list[tuple[IndirectObject, Transformation]] = []
        for number, half, fold_at_right in zip(side, halves, (True, False), strict=True):
            if number:
                page = pages[number - 1]
                form = out.form(number, page, "trimbox")
                placed.append((form, _at_fold(box(page, "trimbox"), half, scale, fold_at_right)))
        out.add_sheet(sheet, placed)
    out.write(target)
    blanks = 2 * len(order) - len(pages)
    return BookletReport(target, len(pages), blanks, len(order) // 2, round(scale, 4))


def _scale(pages: list[PageObject], half: Rect) -> float:
    """Return one scale for every page: actual size unless the largest does not fit a half."""
    trims = [box(p, "trimbox") for p in pages]
    return min(
        1.0,
        half.width / max(t.width for t in trims),
        half.height / max(t.height for t in trims),
    )


def _at_fold(src: Rect, half: Rect, scale: float, fold_at_right: bool) -> Transformation:
    """Place a page in its half touching the fold, centred top to bottom."""
    w, h = src.width * scale, src.height * scale
    x = half.x1 - w if fold_at_right else half.x0
    y = half.y0 + (half.height - h) / 2
    return Transformation().translate(-src.x0, -src.y0).scale(scale).translate(x, y)
