"""Print-shop card files: check that a card was rendered with its bleed; cut it to its trim.

A card is laid out once, with its bleed: the print-shop file is that PDF, and the card for
out/cards/ is the same pages with their MediaBox cut down to the TrimBox. The layout inside
the trim is the same either way (the bleed only grows the page outwards), so a second
WeasyPrint render would only repeat work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pypdf import PageObject, PdfWriter
from pypdf.generic import NameObject

from builder.errors import RenderError
from builder.output import atomic_path
from builder.sheets.geometry import EPS, MM, Rect, mm
from builder.sheets.place import box, read_pdf

BLEED_MM = 3.0


@dataclass(frozen=True)
class BleedReport:
    target: Path
    pages: int
    trim_mm: tuple[float, float]
    bleed_mm: float


def trim_card(
    source: Path,
    target: Path,
    *,
    bleed_mm: float = BLEED_MM,
    trim_mm: tuple[float, float] | None = None,
) -> BleedReport:
    """Write target: the bleed card source with every page cut to its TrimBox.

    Checks first that every page's BleedBox is its TrimBox grown by bleed_mm (and, given
    trim_mm, that the trim is the card's size); target is not written when a check fails.
    """
    reader = read_pdf(source)
    trim = Rect(0, 0, 0, 0)
    for number, page in enumerate(reader.pages, 1):
        trim = check_bleed(page, source, number, bleed_mm=bleed_mm)
        if trim_mm is not None and not _same_size(trim, trim_mm):
            raise RenderError(
                f"page {number}: trim is {_mm_size(trim)} mm, not {trim_mm[0]:g} x {trim_mm[1]:g}",
                file=source,
                hint="the card's size in its front matter and its layout's @page disagree",
            )
    writer = PdfWriter(clone_from=reader)
    for page in writer.pages:
        trimbox = page.trimbox
        page.mediabox = trimbox
        page.cropbox = trimbox
        del page[NameObject("/BleedBox")]  # defaults to the CropBox: the trim
    with atomic_path(target) as tmp:
        writer.write(tmp)
    size = (round(trim.width / MM, 2), round(trim.height / MM, 2))
    return BleedReport(target, len(reader.pages), size, bleed_mm)


def check_bleed(page: PageObject, source: Path, number: int, *, bleed_mm: float) -> Rect:
    """Return the page's TrimBox after checking BleedBox and MediaBox hold the bleed exactly."""
    for key in ("/TrimBox", "/BleedBox"):
        if key not in page:
            raise RenderError(
                f"page {number} has no {key}", file=source, hint="render the card with bleed"
            )
    trim, bleed, media = box(page, "trimbox"), box(page, "bleedbox"), box(page, "mediabox")
    if not _is_grown(trim, bleed, mm(bleed_mm)):
        got = [round(v, 3) for v in _margins(trim, bleed)]
        raise RenderError(
            f"page {number}: BleedBox is {got} pt beyond TrimBox, not {mm(bleed_mm):.3f}",
            file=source,
            hint=f"render the card with @page {{ bleed: {bleed_mm:g}mm }}",
        )
    if not media.contains(bleed):
        raise RenderError(f"page {number}: MediaBox smaller than BleedBox", file=source)
    return trim


def _margins(inner: Rect, outer: Rect) -> tuple[float, float, float, float]:
    return (inner.x0 - outer.x0, inner.y0 - outer.y0, outer.x1 - inner.x1, outer.y1 - inner.y1)


def _is_grown(inner: Rect, outer: Rect, by: float) -> bool:
    return all(abs(m - by) <= EPS for m in _margins(inner, outer))


def _same_size(trim: Rect, size_mm: tuple[float, float]) -> bool:
    return abs(trim.width - mm(size_mm[0])) <= EPS and abs(trim.height - mm(size_mm[1])) <= EPS


def _mm_size(r: Rect) -> str:
    return f"{r.width / MM:.1f} x {r.height / MM:.1f}"
